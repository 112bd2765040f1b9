/* An assessor's entries (我的填报): its body's indicators grouped by unit,
 * values kept as drafts as they are typed, the factor and points each
 * gives, and one "submit all". Hooks: #collect[data-cycle,data-body,
 * data-bound,data-units,data-floor], #summary, #returned, #groups,
 * .entry[data-code][data-status], .save-state[data-state], #submit-all,
 * #submit-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document, T = C.t;
  C.extend({
    'nav.collect': 'My entries', 'nav.mine': 'Our indicators', 'role.who.assessor': ' (Assessment body)', 'role.who.unit': ' (Assessed unit)',
    'collect.title': 'My entries', 'collect.years': 'Year: ', 'collect.submitAll': 'Submit all',
    'collect.submitHint': 'Values are kept as drafts as you type. When all are filled in, press "Submit all"; the office then reviews them and they can no longer be changed.',
    'collect.noYear': 'There is no assessment year yet. Ask the assessment office.',
    'collect.none': '{0} has no indicators to enter in this year. Ask the assessment office if this is wrong.',
    'collect.deadline': 'Deadline: {0}', 'collect.overdue': ' (overdue)', 'collect.noDeadline': 'No deadline set.',
    'collect.progress': '{0} indicator(s): {1} entered, {2} submitted, {3} approved, {4} returned',
    'collect.returnedTitle': 'Returned for correction ({0})', 'collect.returnedHint': 'The office returned these: correct them as its comment says, then submit again.',
    'collect.comment': 'Office\'s comment: ', 'collect.points': '{0} pts', 'collect.target': 'target {0} {1}',
    'collect.higher': 'higher is better', 'collect.lower': 'lower is better', 'collect.score100': 'score 0–100',
    'collect.actual': 'Actual value ({0})', 'collect.actualNoUnit': 'Actual value', 'collect.score': 'Score (0–100)',
    'collect.major': 'Major loss (scores 0)', 'collect.reason': 'Reason for the major loss (required)', 'collect.note': 'Note (optional)',
    'collect.completion': 'completion {0}', 'collect.factor': 'factor {0}', 'collect.gives': 'points {0} / {1}',
    'rule.floor': 'Completion not above {0}%: scores 0 under the rules.', 'rule.capped': 'Completion above 100%: counted as 100%.', 'rule.major_loss': 'Major loss: scores 0.',
    'st.draft': 'Draft', 'st.submitted': 'Submitted', 'st.approved': 'Approved', 'st.returned': 'Returned', 'st.empty': 'Not entered',
    'save.saved': 'Saved', 'save.saving': 'Saving…', 'save.pending': 'Changed, saving soon…', 'save.offline': 'Network lost; retrying in {0} s',
    'save.retry': 'Retry now', 'save.empty': 'Enter a value: an empty field is not saved.', 'save.nan': 'Enter a number, e.g. 8.5.',
    'save.noReason': 'Write the reason for the major loss.',
    'collect.unsaved': '{0} indicator(s) are not saved yet; fix or retry them, then submit:', 'collect.netSubmit': 'Network lost: nothing was submitted. Press "Submit all" again in a moment.',
    'collect.missing': '{0} indicator(s) have no value yet: ', 'collect.submitted': 'Submitted {0} indicator(s); the office will review them.',
    'collect.nothing': 'Everything is submitted; the office is reviewing it.', 'collect.enterValue': 'Enter a value',
    'collect.valueLabel': 'Value: ', 'collect.noteLabel': 'Note: ', 'collect.reasonLabel': 'Major loss: '
  });
  var CAT = { economic: ['经济发展', 'Economic development'], social: ['社会发展', 'Social development'], environment: ['资源环境', 'Resources and environment'],
    stability: ['社会稳定', 'Social stability'], team: ['班子和队伍建设', 'Leadership and staff'], work: ['年度工作任务', 'Annual work tasks'] };
  var STATUS = { draft: '草稿', submitted: '已报送', approved: '已通过', returned: '已退回' };
  var root, cycle, body, bound, units = {}, floor = '60';
  var rows = [], byCode = {}, progress = null, deadline = '';

  function enc(s) { return encodeURIComponent(s); }
  function cat(c) { return CAT[c] ? C.pick(CAT[c][0], CAT[c][1]) : c; }
  function unitName(code) { return units[code] || code; }
  function num(x) { return x == null ? '' : String(+(+x).toFixed(4)); }
  function pct(x) { return String(+(x * 100).toFixed(2)) + '%'; }
  function el(tag, attrs, kids) { return C.el(tag, attrs, kids); }
  function editable(row) { return !row.entry || row.entry.status === 'draft' || row.entry.status === 'returned'; }
  function status(row) { return row.entry ? row.entry.status : ''; }

  D.addEventListener('DOMContentLoaded', function () {
    root = D.getElementById('collect');
    cycle = root.getAttribute('data-cycle');
    body = root.getAttribute('data-body');
    bound = root.getAttribute('data-bound');
    floor = root.getAttribute('data-floor') || '60';
    try { units = JSON.parse(root.getAttribute('data-units') || '{}'); } catch (e) { units = {}; }
    if (!cycle) { summary(T('collect.noYear', '还没有考核年度，请联系考核办。')); return; }
    D.getElementById('submit-all').addEventListener('click', submitAll);
    D.addEventListener('cp:lang', function () { render(); });
    // A draft still being typed or waiting for the network: say so
    // before the page goes away.
    window.addEventListener('beforeunload', function (ev) {
      if (rows.some(function (r) { return r.dirty || r.inflight; })) { ev.preventDefault(); ev.returnValue = ''; }
    });
    load();
  });

  function summary(text) {
    var s = D.getElementById('summary');
    s.textContent = '';
    s.appendChild(el('p', { text: text }));
  }

  function pageMsg(text) { D.getElementById('page-msg').textContent = text || ''; }

  // load reads the body's indicators and its board row, and renders them.
  function load() {
    return Promise.all([C.api('GET', '/cycles/' + enc(cycle) + '/entries'), C.api('GET', '/cycles/' + enc(cycle) + '/collection')]).then(function (rs) {
      var er = rs[0], cr = rs[1];
      if (er.status !== 200) { summary(C.errorText(er.data)); return; }
      pageMsg('');
      rows = []; byCode = {};
      er.data.entries.forEach(function (line) {
        var e = line.entry, row = { ind: line, entry: e, state: e ? 'saved' : '', msg: '' };
        row.value = e ? num(line.method === 'score' ? e.score : e.actual) : '';
        row.major = !!(e && e.major_loss);
        row.reason = (e && e.reason) || '';
        row.note = (e && e.note) || '';
        rows.push(row); byCode[line.code] = row;
      });
      if (cr.status === 200) {
        deadline = cr.data.deadline || '';
        progress = (cr.data.bodies || []).filter(function (b) { return b.code === body; })[0] || null;
      }
      render();
    }, function () { summary(T('save.offline', '网络中断，{0} 秒后重试', 3)); setTimeout(load, 3000); });
  }

  function render() {
    var groups = D.getElementById('groups'), ret = D.getElementById('returned'), bar = D.getElementById('submit-bar');
    groups.textContent = ''; ret.textContent = '';
    var s = D.getElementById('summary');
    s.textContent = '';
    s.appendChild(el('p', { 'class': 'bound' }, [el('strong', { text: bound })]));
    if (!rows.length) {
      s.appendChild(el('p', { id: 'no-indicators', text: T('collect.none', '{0}在本年度没有需要填报的指标。如有疑问，请联系考核办。', bound) }));
      bar.hidden = true;
      return;
    }
    s.appendChild(el('p', { id: 'deadline', text: deadline ? T('collect.deadline', '报送截止日期：{0}', deadline) + (progress && progress.overdue ? T('collect.overdue', '（已逾期）') : '') : T('collect.noDeadline', '未设截止日期。') }));
    if (progress) {
      s.appendChild(el('p', { id: 'progress', text: T('collect.progress', '共 {0} 项：已填 {1} 项，已报送 {2} 项，已通过 {3} 项，退回 {4} 项',
        progress.indicators, progress.entered, progress.submitted, progress.approved, progress.returned) }));
    }
    var returned = rows.filter(function (r) { return status(r) === 'returned'; });
    if (returned.length) {
      ret.appendChild(el('h2', { text: T('collect.returnedTitle', '退回修改（{0} 项）', returned.length) }));
      ret.appendChild(el('p', { 'class': 'hint', text: T('collect.returnedHint', '考核办退回了以下指标：请按退回意见修改后重新报送。') }));
      returned.forEach(function (r) { ret.appendChild(card(r, true)); });
    }
    var order = [], by = {};
    rows.forEach(function (r) {
      if (status(r) === 'returned') return;
      var u = r.ind.unit;
      if (!by[u]) { by[u] = []; order.push(u); }
      by[u].push(r);
    });
    order.forEach(function (u) {
      var sec = el('section', { 'class': 'unit-group', 'data-unit': u });
      sec.appendChild(el('h2', { text: unitName(u) }));
      by[u].forEach(function (r) { sec.appendChild(card(r, false)); });
      groups.appendChild(sec);
    });
    bar.hidden = false;
    var open = rows.some(editable);
    D.getElementById('submit-all').disabled = !open;
    D.getElementById('submit-hint').textContent = open ? T('collect.submitHint', '数值随填随存为草稿；全部填完后点“全部报送”，报送后由考核办审核，不能再改。') : T('collect.nothing', '全部指标已报送，等待考核办审核。');
  }

  function meta(ind) {
    var parts = [cat(ind.category), T('collect.points', '{0} 分', num(ind.points))];
    if (ind.method === 'completion') {
      parts.push(T('collect.target', '目标 {0} {1}', num(ind.target), ind.measure || '').replace(/\s+$/, '') + '，' + (ind.better === 'lower' ? T('collect.lower', '越低越好') : T('collect.higher', '越高越好')));
    } else {
      parts.push(T('collect.score100', '0–100 评分'));
    }
    return parts.join(' · ');
  }

  function card(row, returned) {
    var ind = row.ind, st = status(row);
    var c = el('section', { 'class': 'entry card', id: 'e-' + ind.code, 'data-code': ind.code, 'data-status': st || 'empty' });
    row.card = c;
    row.badge = el('span');
    c.appendChild(el('div', { 'class': 'entry-head' }, [el('h3', { text: ind.name + (returned ? '（' + unitName(ind.unit) + '）' : '') }), row.badge]));
    badge(row);
    c.appendChild(el('p', { 'class': 'meta hint', text: meta(ind) }));
    if (st === 'returned' && row.entry.comment) {
      c.appendChild(el('p', { 'class': 'comment' }, [el('strong', { text: T('collect.comment', '考核办退回意见：') }), row.entry.comment]));
    }
    var label = ind.method === 'score' ? T('collect.score', '评分（0–100）') : (ind.measure ? T('collect.actual', '实际完成值（{0}）', ind.measure) : T('collect.actualNoUnit', '实际完成值'));
    if (!editable(row)) {
      var dl = el('p', { 'class': 'readonly' }, [el('span', { 'class': 'hint', text: label + '：' }), el('strong', { 'class': 'value-text', text: row.value || '—' })]);
      c.appendChild(dl);
      if (row.major) c.appendChild(el('p', { 'class': 'readonly' }, [el('span', { 'class': 'hint', text: T('collect.reasonLabel', '重大失分：') }), row.reason]));
      if (row.note) c.appendChild(el('p', { 'class': 'readonly' }, [el('span', { 'class': 'hint', text: T('collect.noteLabel', '说明：') }), row.note]));
      row.figs = el('p', { 'class': 'figures' });
      row.rule = el('p', { 'class': 'rule' });
      c.appendChild(row.figs); c.appendChild(row.rule);
      figures(row);
      return c;
    }
    var id = 'v-' + ind.code;
    var input = el('input', { id: id, name: 'value', type: 'text', inputmode: 'decimal', autocomplete: 'off', 'aria-describedby': 'f-' + ind.code + ' s-' + ind.code });
    input.value = row.value;
    c.appendChild(el('label', { 'class': 'field value', 'for': id }, [el('span', { text: label }), input]));
    row.figs = el('p', { 'class': 'figures', id: 'f-' + ind.code });
    row.rule = el('p', { 'class': 'rule' });
    c.appendChild(row.figs); c.appendChild(row.rule);
    row.missing = el('p', { 'class': 'field-error missing-msg' });
    c.appendChild(row.missing);
    var major = el('input', { type: 'checkbox', name: 'major' });
    major.checked = row.major;
    c.appendChild(el('label', { 'class': 'check' }, [major, el('span', { text: T('collect.major', '认定重大失分（记 0 分）') })]));
    var reason = el('input', { name: 'reason', type: 'text', maxlength: '500', autocomplete: 'off' });
    reason.value = row.reason;
    var reasonLabel = el('label', { 'class': 'field reason' }, [el('span', { text: T('collect.reason', '重大失分原因（必填）') }), reason]);
    reasonLabel.hidden = !row.major;
    c.appendChild(reasonLabel);
    var note = el('input', { name: 'note', type: 'text', maxlength: '500', autocomplete: 'off' });
    note.value = row.note;
    c.appendChild(el('label', { 'class': 'field note' }, [el('span', { text: T('collect.note', '说明（选填）') }), note]));
    row.stateEl = el('span', { 'class': 'save-state', id: 's-' + ind.code, role: 'status' });
    row.retryBtn = el('button', { type: 'button', 'class': 'retry', text: T('save.retry', '立即重试') });
    row.retryBtn.hidden = true;
    row.retryBtn.addEventListener('click', function () { save(row); });
    c.appendChild(el('div', { 'class': 'save-line' }, [row.stateEl, row.retryBtn]));
    input.addEventListener('input', function () { row.value = input.value; clearMissing(row); schedule(row); });
    major.addEventListener('change', function () { row.major = major.checked; reasonLabel.hidden = !row.major; clearMissing(row); schedule(row); });
    reason.addEventListener('input', function () { row.reason = reason.value; schedule(row); });
    note.addEventListener('input', function () { row.note = note.value; schedule(row); });
    figures(row);
    showState(row);
    return c;
  }

  // badge shows the entry's status: 草稿, 已报送, 已通过, 已退回 or 未填写.
  function badge(row) {
    var st = status(row);
    row.badge.className = 'badge st-' + (st || 'empty');
    row.badge.textContent = st ? T('st.' + st, STATUS[st]) : T('st.empty', '未填写');
    if (row.card) row.card.setAttribute('data-status', st || 'empty');
  }

  function clearMissing(row) {
    if (row.card) row.card.classList.remove('missing');
    if (row.missing) row.missing.textContent = '';
  }

  // figures shows what the saved value gives: completion, factor, points
  // and the rule that bites, in words.
  function figures(row) {
    var e = row.entry, ind = row.ind;
    if (!row.figs) return;
    row.figs.textContent = ''; row.rule.textContent = '';
    if (!e || e.factor == null) return;
    var parts = [];
    if (e.completion != null) parts.push(T('collect.completion', '完成率 {0}', pct(e.completion)));
    parts.push(T('collect.factor', '系数 {0}', num(e.factor)));
    parts.push(T('collect.gives', '得分 {0} / {1}', num(e.points), num(ind.points)));
    row.figs.textContent = parts.join(' · ');
    var rule = { floor: T('rule.floor', '完成率未超过 {0}%，按细则记 0 分', floor), capped: T('rule.capped', '完成率超过 100%，按 100% 计'), major_loss: T('rule.major_loss', '重大失分，记 0 分') }[e.rule];
    if (rule) { row.rule.textContent = rule; row.rule.setAttribute('data-rule', e.rule); } else row.rule.removeAttribute('data-rule');
  }

  function showState(row) {
    if (!row.stateEl) return;
    var text = '';
    switch (row.state) {
      case 'saved': text = T('save.saved', '已保存'); break;
      case 'saving': text = T('save.saving', '正在保存…'); break;
      case 'pending': text = T('save.pending', '已修改，稍后自动保存…'); break;
      case 'offline': text = T('save.offline', '网络中断，{0} 秒后自动重试', Math.round(row.delay / 1000)); break;
      case 'invalid': case 'error': text = row.msg; break;
    }
    row.stateEl.textContent = text;
    row.stateEl.setAttribute('data-state', row.state || 'none');
    row.stateEl.className = 'save-state' + (row.state === 'invalid' || row.state === 'error' || row.state === 'offline' ? ' error' : row.state === 'saved' ? ' ok' : '');
    row.retryBtn.hidden = row.state !== 'offline' && row.state !== 'error';
  }

  function setState(row, state, msg) { row.state = state; row.msg = msg || ''; showState(row); }

  function schedule(row) {
    row.dirty = true;
    clearTimeout(row.timer); clearTimeout(row.retryTimer);
    setState(row, 'pending');
    row.timer = setTimeout(function () { save(row); }, 600);
  }

  // payload is the entry to PUT, or {error} when the fields cannot be saved.
  function payload(row) {
    var v = String(row.value || '').replace(/\s+/g, '').replace(/[％%]$/, '').replace(/。|．/g, '.'), b = { note: row.note };
    if (v === '' && !row.major) return { error: T('save.empty', '请填写数值：空值不会保存。') };
    if (v !== '') {
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(v)) return { error: T('save.nan', '请输入数字，如 8.5。') };
      b[row.ind.method === 'score' ? 'score' : 'actual'] = parseFloat(v);
    }
    if (row.major) {
      if (!String(row.reason).trim()) return { error: T('save.noReason', '请写明重大失分的原因。') };
      b.major_loss = true; b.reason = row.reason;
    }
    return { body: b };
  }

  function save(row) {
    clearTimeout(row.timer); clearTimeout(row.retryTimer);
    row.timer = null;
    if (row.inflight) { row.again = true; return; }
    var p = payload(row);
    if (p.error) { row.dirty = false; setState(row, 'invalid', p.error); return; }
    row.dirty = false; row.again = false; row.inflight = true;
    setState(row, 'saving');
    C.api('PUT', '/cycles/' + enc(cycle) + '/indicators/' + enc(row.ind.code) + '/entry', p.body).then(function (r) {
      row.inflight = false;
      if (r.status === 200) {
        row.entry = r.data; row.delay = 0;
        if (row.again || row.dirty) { save(row); return; }
        setState(row, 'saved');
        figures(row);
        badge(row);
        return;
      }
      if (r.status >= 500 || r.status === 429) { offline(row); return; }
      setState(row, 'error', C.errorText(r.data));
      if (r.data && r.data.error && r.data.error.code === 'entry_locked') setTimeout(load, 1500);
    }, function () { row.inflight = false; offline(row); });
  }

  // offline keeps the draft and tries again, waiting longer each time.
  function offline(row) {
    row.dirty = true;
    row.delay = Math.min(16000, (row.delay || 1000) * 2);
    setState(row, 'offline');
    row.retryTimer = setTimeout(function () { save(row); }, row.delay);
  }

  // settle saves what is waiting and resolves once no save is in flight.
  function settle() {
    rows.forEach(function (r) { if (editable(r) && r.timer) save(r); });
    return new Promise(function (resolve) {
      var n = 0;
      (function wait() {
        if (!rows.some(function (r) { return r.inflight; }) || ++n > 150) { resolve(); return; }
        setTimeout(wait, 100);
      })();
    });
  }

  function jump(row) {
    if (!row || !row.card) return;
    row.card.scrollIntoView({ block: 'center' });
    var i = row.card.querySelector('input[name=value]');
    if (i) i.focus();
  }

  function nameOf(code) { var r = byCode[code]; return r ? r.ind.name + '（' + unitName(r.ind.unit) + '）' : code; }

  function listMsg(text, codes) {
    var m = D.getElementById('submit-msg');
    m.textContent = '';
    m.className = 'msg bad';
    m.appendChild(el('p', { text: text }));
    var ul = el('ul', { 'class': 'missing-list' });
    codes.forEach(function (code) {
      var a = el('a', { href: '#e-' + code, text: nameOf(code) });
      a.addEventListener('click', function (ev) { ev.preventDefault(); jump(byCode[code]); });
      ul.appendChild(el('li', {}, [a]));
    });
    m.appendChild(ul);
  }

  function submitAll() {
    var btn = D.getElementById('submit-all'), m = D.getElementById('submit-msg');
    btn.disabled = true;
    m.textContent = ''; m.className = 'msg';
    settle().then(function () {
      var stuck = rows.filter(function (r) { return editable(r) && r.entry && (r.state === 'offline' || r.state === 'error' || r.state === 'invalid' || r.dirty); });
      if (stuck.length) {
        listMsg(T('collect.unsaved', '有 {0} 项指标还没有保存成功，请修改或重试后再报送：', stuck.length), stuck.map(function (r) { return r.ind.code; }));
        btn.disabled = false; jump(stuck[0]); return null;
      }
      return C.api('POST', '/cycles/' + enc(cycle) + '/bodies/' + enc(body) + '/submit').then(function (r) {
        btn.disabled = false;
        if (r.status === 200) {
          return load().then(function () {
            m.className = 'msg ok';
            m.textContent = T('collect.submitted', '已报送 {0} 项指标，等待考核办审核。', r.data.submitted);
            m.focus();
          });
        }
        var e = r.data && r.data.error;
        if (e && e.code === 'entries_missing') {
          var codes = (e.details || []).map(function (d) { return d.subject; }).filter(Boolean);
          listMsg(T('collect.missing', '还有 {0} 项指标没有填写数值：', codes.length), codes);
          codes.forEach(function (code) {
            var row = byCode[code];
            if (row && row.card) { row.card.classList.add('missing'); if (row.missing) row.missing.textContent = T('collect.enterValue', '请填写数值'); }
          });
          jump(byCode[codes[0]]);
          return null;
        }
        m.className = 'msg bad';
        m.textContent = C.errorText(r.data);
        return null;
      }, function () {
        btn.disabled = false;
        m.className = 'msg bad';
        m.textContent = T('collect.netSubmit', '网络中断，没有报送成功，请稍后再点“全部报送”。');
      });
    });
  }
})();
