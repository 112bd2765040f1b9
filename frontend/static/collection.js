/* The office's collection board (数据采集): the deadline, each body's
 * progress (refreshed every 12 s and when the page comes back into view),
 * and one body's entries by unit, where an admin approves, returns (with a
 * comment) and reopens; a viewer reads. Each entry's history comes from
 * the audit log.
 * Hooks: #board-rows tr[data-body][data-overdue] td[data-k], #body-card[data-body],
 * #body-units tr.entry[data-code][data-status] button[data-act], tr.history[data-code],
 * #approve-body, #col-dialog (#col-dialog-comment, #col-dialog-yes, #col-dialog-no). */
(function () {
  'use strict';
  var C = window.Ceping, D = document, T = C.t;
  C.extend({
    'col.title': 'Indicator collection', 'col.intro': 'Each assessment body enters and submits its target-task indicators; the office approves or returns each one. This page refreshes every 12 seconds.',
    'col.deadline': 'Deadline', 'col.deadlineSet': 'Set the deadline', 'col.deadlineClear': 'Clear the deadline', 'col.noDeadline': 'No deadline set.',
    'col.deadlineIs': 'Entries are due by {0} (end of day).', 'col.deadlineSaved': 'Deadline saved.', 'col.deadlineCleared': 'Deadline cleared.',
    'col.board': 'Progress by assessment body', 'col.body': 'Assessment body', 'col.indicators': 'Indicators', 'col.entered': 'Entered',
    'col.submitted': 'Submitted', 'col.approved': 'Approved', 'col.returned': 'Returned', 'col.state': 'State', 'col.actions': 'Actions',
    'col.open': 'Open', 'col.close': 'Close', 'col.updated': 'Updated {0}', 'col.noBodies': 'No assessment bodies yet: add them and the indicator catalogue first.',
    'col.overdue': 'Overdue', 'col.allApproved': 'All approved', 'col.waiting': 'Submitted, to review', 'col.working': 'Entering', 'col.notStarted': 'Not started',
    'col.progress': '{0} of {1} entered',
    'col.summary': '{0} indicators: {1} entered, {2} submitted, {3} approved, {4} returned.',
    'col.approveAll': 'Approve all submitted ({0})', 'col.approveAllTitle': 'Approve the whole body',
    'col.approveAllText': 'Approve all {0} submitted indicator(s) of {1}? Approved values count in the scores; you can reopen one later with a comment.',
    'col.approveAllYes': 'Approve {0}', 'col.approvedN': '{0} indicator(s) approved.',
    'col.indicator': 'Indicator', 'col.value': 'Value', 'col.completion': 'Completion', 'col.factor': 'Factor', 'col.points': 'Points',
    'col.note': 'Note', 'col.status': 'Status', 'col.by': 'Updated', 'col.target': 'target {0}', 'col.score': 'score 0–100', 'col.ofPoints': 'of {0}',
    'col.approve': 'Approve', 'col.return': 'Return', 'col.reopen': 'Reopen', 'col.history': 'History', 'col.hideHistory': 'Hide history',
    'col.returnTitle': 'Return {0}', 'col.returnText': 'The body will see your comment and correct the value, then submit again.', 'col.returnYes': 'Return',
    'col.reopenTitle': 'Reopen {0}', 'col.reopenText': 'The approved value goes back to the body to correct; it no longer counts until approved again. This is recorded in the audit log.',
    'col.reopenYes': 'Reopen', 'col.comment': 'Comment (required, the body reads it)', 'col.needComment': 'Write a comment: the body needs to know what to fix.',
    'col.cancel': 'Cancel', 'col.offline': 'The connection was lost and nothing was sent; try again.', 'col.deadlinePick': 'Pick a date; to remove the deadline, use Clear the deadline.', 'col.returned1': '{0} returned.', 'col.approved1': '{0} approved.', 'col.reopened1': '{0} reopened.',
    'col.officeComment': 'Office: {0}', 'col.majorLoss': 'major loss: {0}', 'col.empty': '—', 'col.noHistory': 'No changes recorded yet.',
    'st.none': 'Not entered', 'st.draft': 'Draft', 'st.submitted': 'Submitted', 'st.approved': 'Approved', 'st.returned': 'Returned',
    'rule.major_loss': 'Major loss: 0 points', 'rule.floor': 'Completion at or below 60%: 0 points', 'rule.capped': 'At or above target: full points',
    'act.entry.put': 'Value entered', 'act.entry.submit': 'Submitted', 'act.entry.approve': 'Approved', 'act.entry.return': 'Returned', 'act.entry.reopen': 'Reopened'
  });
  var STATUS = { none: '未填报', draft: '草稿', submitted: '已报送', approved: '已通过', returned: '已退回' };
  var RULES = { major_loss: '重大失分，得 0 分', floor: '完成率 60% 及以下，不得分', capped: '达到或超过目标，按满分计' };
  var ACTS = { 'entry.put': '填报', 'entry.submit': '报送', 'entry.approve': '审核通过', 'entry.return': '退回', 'entry.reopen': '重新打开' };
  var REFRESH = 12000;

  var root, cycle, admin, board = null, units = {}, body = '', lines = null, linesKey = '', hist = {}, busy = false;
  function $(id) { return D.getElementById(id); }
  function enc(s) { return encodeURIComponent(s); }
  function base() { return '/cycles/' + enc(cycle); }
  function en() { return C.lang() === 'en'; }
  function say(id, text, bad) { var m = $(id); m.textContent = text || ''; m.className = 'msg' + (bad ? ' bad' : ' ok'); }
  function when(s) {
    var d = new Date(s);
    return isNaN(d) ? (s || '') : d.toLocaleString(en() ? 'en' : 'zh-CN', { hour12: false });
  }
  function num(x, places) { return x == null ? '' : String(Math.round(x * Math.pow(10, places)) / Math.pow(10, places)); }
  function bodyRow(code) { return ((board && board.bodies) || []).filter(function (b) { return b.code === code; })[0]; }

  // The dialog: title, text, an optional required comment; fn(comment) on yes.
  var pending = null;
  function ask(opt, fn) {
    var dlg = $('col-dialog');
    if (!dlg.showModal) { // an old WebView without <dialog>
      if (opt.comment) {
        var c = window.prompt([opt.title, opt.text, opt.comment].join('\n\n'), '');
        if (c && c.trim()) fn(c.trim());
      } else if (window.confirm([opt.title, opt.text].join('\n\n'))) fn('');
      return;
    }
    $('col-dialog-title').textContent = opt.title;
    $('col-dialog-text').textContent = opt.text;
    $('col-dialog-comment-label').hidden = !opt.comment;
    $('col-dialog-comment-name').textContent = opt.comment || '';
    $('col-dialog-comment').value = '';
    $('col-dialog-yes').textContent = opt.yes;
    $('col-dialog-yes').className = opt.danger ? 'danger' : 'primary';
    say('col-dialog-msg', '');
    pending = { fn: fn, comment: !!opt.comment };
    dlg.showModal();
    (opt.comment ? $('col-dialog-comment') : $('col-dialog-no')).focus();
  }
  function dialogYes(ev) {
    ev.preventDefault();
    if (!pending) return;
    var c = $('col-dialog-comment').value.trim();
    if (pending.comment && !c) { say('col-dialog-msg', T('col.needComment', '请写明意见：填报单位需要知道要改什么。'), true); $('col-dialog-comment').focus(); return; }
    var fn = pending.fn;
    pending = null;
    $('col-dialog').close();
    fn(c);
  }

  // The deadline.
  function renderDeadline() {
    var d = board && board.deadline;
    $('deadline-text').textContent = d ? T('col.deadlineIs', '请于 {0}（当日 24 时前）报送。', d) : T('col.noDeadline', '尚未设置截止日期。');
    var input = $('deadline-input');
    if (input && D.activeElement !== input) input.value = d || '';
  }
  function putDeadline(value) {
    C.api('PUT', base() + '/collection', { deadline: value }).then(function (r) {
      if (r.status !== 200) { say('deadline-msg', C.errorText(r.data), true); return; }
      board = r.data;
      say('deadline-msg', value ? T('col.deadlineSaved', '截止日期已保存。') : T('col.deadlineCleared', '已取消截止日期。'));
      renderDeadline();
      renderBoard();
    });
  }

  // The board: one row per body.
  function state(b) {
    if (b.overdue) return ['overdue', T('col.overdue', '逾期')];
    if (b.indicators > 0 && b.approved === b.indicators) return ['done', T('col.allApproved', '已全部通过')];
    if (b.indicators > 0 && b.submitted === b.indicators) return ['waiting', T('col.waiting', '已报送，待审核')];
    if (b.entered > 0 || b.submitted > 0 || b.returned > 0) return ['working', T('col.working', '填报中')];
    return ['idle', T('col.notStarted', '未开始')];
  }
  function renderBoard() {
    var tb = $('board-rows');
    tb.textContent = '';
    var rows = (board && board.bodies) || [];
    if (!rows.length) tb.appendChild(C.el('tr', {}, [C.el('td', { colspan: '8', text: T('col.noBodies', '还没有考核主体：请先在年度设置中录入考核主体和目标任务分解表。') })]));
    rows.forEach(function (b) {
      var st = state(b);
      var cell = function (k, key, zh, text) { return C.el('td', { 'class': 'num', 'data-k': k, 'data-label': T(key, zh), text: String(text) }); };
      var prog = C.el('progress', { max: String(b.indicators || 1), value: String(b.entered), 'aria-label': T('col.progress', '已填 {0}/{1}', b.entered, b.indicators) });
      var open = C.el('button', { type: 'button', 'class': 'open-body', 'data-body': b.code, text: T('col.open', '查看') });
      open.addEventListener('click', function () { openBody(b.code, true); });
      var tr = C.el('tr', { 'data-body': b.code, 'data-overdue': String(b.overdue), 'class': b.code === body ? 'current ' + st[0] : st[0] }, [
        C.el('td', { 'class': 'body-name', 'data-label': T('col.body', '考核主体') }, [C.el('strong', { text: b.name }), ' ', C.el('span', { 'class': 'muted', text: b.code })]),
        cell('indicators', 'col.indicators', '指标', b.indicators),
        cell('entered', 'col.entered', '已填', b.entered),
        cell('submitted', 'col.submitted', '已报送', b.submitted),
        cell('approved', 'col.approved', '已通过', b.approved),
        cell('returned', 'col.returned', '已退回', b.returned),
        C.el('td', { 'data-k': 'state', 'data-label': T('col.state', '状态') }, [C.el('span', { 'class': 'badge ' + st[0], text: st[1] }), ' ', prog]),
        C.el('td', { 'class': 'act' }, [open])]);
      tb.appendChild(tr);
    });
    $('board-updated').textContent = T('col.updated', '更新于 {0}', new Date().toLocaleTimeString(en() ? 'en' : 'zh-CN', { hour12: false }));
  }
  function loadBoard() {
    return C.api('GET', base() + '/collection').then(function (r) {
      if (r.status !== 200) { say('board-msg', C.errorText(r.data), true); return; }
      say('board-msg', '');
      board = r.data;
      renderDeadline();
      renderBoard();
    });
  }

  // One body's entries, grouped by unit in catalogue order.
  function openBody(code, scroll) {
    body = code;
    hist = {};
    lines = null;
    linesKey = '';
    if (window.history.replaceState) window.history.replaceState(null, '', '#body=' + enc(code));
    $('body-card').hidden = false;
    $('body-card').setAttribute('data-body', code);
    say('body-msg', '');
    renderBoard();
    loadBody().then(function () { if (scroll) $('body-card').scrollIntoView(); });
  }
  function closeBody() {
    body = '';
    lines = null;
    $('body-card').hidden = true;
    $('body-card').removeAttribute('data-body');
    if (window.history.replaceState) window.history.replaceState(null, '', location.pathname);
    renderBoard();
  }
  function loadBody() {
    var asked = body;
    if (!asked) return Promise.resolve();
    return C.api('GET', base() + '/entries?body=' + enc(asked)).then(function (r) {
      if (asked !== body) return;
      if (r.status !== 200) { say('body-msg', C.errorText(r.data), true); return; }
      var key = JSON.stringify(r.data.entries);
      if (key === linesKey) return; // nothing changed: keep the table as it is
      linesKey = key;
      lines = r.data.entries;
      renderBody();
    });
  }
  function valueText(l) {
    var e = l.entry, parts = [];
    if (!e) return T('col.empty', '—');
    if (e.actual != null) parts.push(num(e.actual, 6) + (l.measure ? ' ' + l.measure : ''));
    if (e.score != null) parts.push(en() ? 'score ' + num(e.score, 6) : num(e.score, 6) + ' 分');
    if (e.major_loss) parts.push(T('col.majorLoss', '重大失分：{0}', e.reason || ''));
    return parts.length ? parts.join(en() ? ', ' : '，') : T('col.empty', '—');
  }
  function statusOf(l) { return l.entry ? l.entry.status : 'none'; }
  function renderBody() {
    var b = bodyRow(body) || { code: body, name: body };
    $('body-title').textContent = b.name + '（' + b.code + '）';
    var box = $('body-units');
    box.textContent = '';
    var byUnit = [], seen = {}, counts = { entered: 0, submitted: 0, approved: 0, returned: 0 };
    (lines || []).forEach(function (l) {
      if (!seen[l.unit]) { seen[l.unit] = []; byUnit.push(l.unit); }
      seen[l.unit].push(l);
      var s = statusOf(l);
      if (l.entry && (l.entry.actual != null || l.entry.score != null || l.entry.major_loss)) counts.entered++;
      if (s === 'submitted') counts.submitted++;
      if (s === 'approved') counts.approved++;
      if (s === 'returned') counts.returned++;
    });
    $('body-summary').textContent = T('col.summary', '共 {0} 项指标：已填 {1}，待审核 {2}，已通过 {3}，已退回 {4}。', (lines || []).length, counts.entered, counts.submitted, counts.approved, counts.returned);
    var ab = $('approve-body');
    if (ab) {
      ab.hidden = !counts.submitted;
      ab.textContent = T('col.approveAll', '全部审核通过（{0} 项）', counts.submitted);
      ab.setAttribute('data-count', String(counts.submitted));
    }
    byUnit.forEach(function (u) {
      var sec = C.el('section', { 'class': 'unit', 'data-unit': u });
      sec.appendChild(C.el('h3', { text: (units[u] || u) + '（' + u + '）' }));
      var head = C.el('tr', {}, ['col.indicator|指标', 'col.value|数值', 'col.completion|完成率', 'col.factor|系数', 'col.points|得分', 'col.note|说明', 'col.status|状态', 'col.by|更新', 'col.actions|操作'].map(function (k, i) {
        var p = k.split('|'), cls = i >= 2 && i <= 4 ? 'num' : '';
        return i === 8 ? C.el('th', {}, [C.el('span', { 'class': 'vh', text: T(p[0], p[1]) })]) : C.el('th', { 'class': cls, text: T(p[0], p[1]) });
      }));
      var tb = C.el('tbody');
      seen[u].forEach(function (l) { entryRows(l).forEach(function (tr) { tb.appendChild(tr); }); });
      sec.appendChild(C.el('div', { 'class': 'table-wrap' }, [C.el('table', { 'class': 'entries' }, [C.el('thead', {}, [head]), tb])]));
      box.appendChild(sec);
    });
  }
  function entryRows(l) {
    var e = l.entry, s = statusOf(l);
    var td = function (key, zh, attrs, kids) { attrs['data-label'] = T(key, zh); return C.el('td', attrs, kids); };
    var what = [C.el('strong', { text: l.name }), ' ', C.el('span', { 'class': 'muted', text: l.code }), C.el('br'),
      C.el('small', { 'class': 'muted', text: (l.method === 'completion' ? T('col.target', '目标 {0}', num(l.target, 6) + (l.measure ? ' ' + l.measure : '')) : T('col.score', '评分 0–100')) + ' · ' + T('col.ofPoints', '分值 {0}', l.points) })];
    var value = [valueText(l)];
    if (e && e.rule) { value.push(C.el('br')); value.push(C.el('small', { 'class': 'rule rule-' + e.rule, text: T('rule.' + e.rule, RULES[e.rule] || e.rule) })); }
    var note = [];
    if (e && e.note) note.push(C.el('span', { text: e.note }));
    if (e && e.comment) { if (note.length) note.push(C.el('br')); note.push(C.el('span', { 'class': 'office-comment', text: T('col.officeComment', '考核办意见：{0}', e.comment) })); }
    var acts = [];
    var btn = function (act, key, zh, cls) {
      var b = C.el('button', { type: 'button', 'data-act': act, 'class': cls || '', text: T(key, zh) });
      b.addEventListener('click', function () { review(l, act); });
      acts.push(b);
    };
    if (admin && s === 'submitted') { btn('approve', 'col.approve', '通过', 'primary'); btn('return', 'col.return', '退回', 'danger'); }
    if (admin && s === 'approved') btn('reopen', 'col.reopen', '重新打开', 'danger');
    var open = !!hist[l.code];
    var hb = C.el('button', { type: 'button', 'data-act': 'history', 'aria-expanded': String(open), text: open ? T('col.hideHistory', '收起记录') : T('col.history', '修改记录') });
    hb.addEventListener('click', function () { toggleHistory(l.code); });
    acts.push(hb);
    var tr = C.el('tr', { 'class': 'entry status-' + s, 'data-code': l.code, 'data-status': s }, [
      td('col.indicator', '指标', { 'class': 'what' }, what),
      td('col.value', '数值', { 'class': 'value' }, value),
      td('col.completion', '完成率', { 'class': 'num' }, [e && e.completion != null ? num(e.completion * 100, 2) + '%' : '']),
      td('col.factor', '系数', { 'class': 'num' }, [e && e.factor != null ? num(e.factor, 4) : '']),
      td('col.points', '得分', { 'class': 'num' }, [e && e.points != null ? num(e.points, 3) + ' / ' + l.points : '']),
      td('col.note', '说明', { 'class': 'note' }, note),
      td('col.status', '状态', {}, [C.el('span', { 'class': 'badge st-' + s, text: T('st.' + s, STATUS[s] || s) })]),
      td('col.by', '更新', { 'class': 'by' }, e && e.updated_by ? [e.updated_by, C.el('br'), C.el('small', { text: when(e.updated_at) })] : []),
      C.el('td', { 'class': 'act' }, acts)]);
    var out = [tr];
    if (open) out.push(historyRow(l.code));
    return out;
  }

  // An entry's history: its own changes and its body's submits and
  // approvals that name it, newest first.
  function historyRow(code) {
    var h = hist[code], cell = C.el('td', { colspan: '9' });
    if (h === 'loading') cell.appendChild(C.el('span', { 'class': 'muted', text: T('common.loading', '加载中…') }));
    else if (typeof h === 'string') cell.appendChild(C.el('span', { 'class': 'msg bad', text: h }));
    else if (!h.length) cell.appendChild(C.el('span', { 'class': 'muted', text: T('col.noHistory', '还没有记录。') }));
    else cell.appendChild(C.el('ol', { 'class': 'history-list' }, h.map(function (x) {
      return C.el('li', { 'data-action': x.action }, [C.el('span', { 'class': 'muted', text: when(x.at) }), ' ', C.el('strong', { text: x.actor }), ' ',
        C.el('span', { 'class': 'act-name', text: T('act.' + x.action, ACTS[x.action] || x.action) }), ' ', C.el('span', { text: (en() && x.detail_en) || x.detail })]);
    })));
    return C.el('tr', { 'class': 'history', 'data-code': code }, [cell]);
  }
  function loadHistory(code) {
    return C.api('GET', base() + '/indicators/' + enc(code) + '/history').then(function (r) {
      if (!hist[code]) return; // closed meanwhile
      hist[code] = r.status === 200 ? r.data.history : C.errorText(r.data);
      renderBody();
    });
  }
  function toggleHistory(code) {
    if (hist[code]) { delete hist[code]; renderBody(); return; }
    hist[code] = 'loading';
    renderBody();
    loadHistory(code);
  }

  // The office's decisions.
  function after(code, text) {
    return function (r) {
      busy = false;
      if (r.status !== 200) { say('body-msg', C.errorText(r.data), true); }
      else say('body-msg', text);
      if (code && hist[code]) loadHistory(code);
      return Promise.all([loadBoard(), loadBody()]);
    };
  }
  // post sends a decision; the refresh waits until it is answered, and a
  // lost connection says so instead of leaving the page stuck.
  function post(url, body, then) {
    busy = true;
    return C.api('POST', url, body).then(then, function () {
      busy = false;
      say('body-msg', T('col.offline', '网络连接中断，未能提交，请稍后重试。'), true);
    });
  }
  function review(l, act) {
    var url = base() + '/indicators/' + enc(l.code) + '/' + act;
    if (act === 'approve') {
      post(url, undefined, after(l.code, T('col.approved1', '已审核通过：{0}', l.name)));
      return;
    }
    var ret = act === 'return';
    ask({
      title: ret ? T('col.returnTitle', '退回：{0}', l.name) : T('col.reopenTitle', '重新打开：{0}', l.name),
      text: ret ? T('col.returnText', '填报单位会看到您的意见，修改后重新报送。') : T('col.reopenText', '已通过的数值退回填报单位修改，重新审核通过前不计入得分。此操作记入审计日志。'),
      comment: T('col.comment', '意见（必填，填报单位可见）'),
      yes: ret ? T('col.returnYes', '退回') : T('col.reopenYes', '重新打开'), danger: true
    }, function (comment) {
      post(url, { comment: comment }, after(l.code, ret ? T('col.returned1', '已退回：{0}', l.name) : T('col.reopened1', '已重新打开：{0}', l.name)));
    });
  }
  function approveBody() {
    var n = +$('approve-body').getAttribute('data-count') || 0, b = bodyRow(body) || { name: body }, code = body;
    if (!n) return;
    ask({
      title: T('col.approveAllTitle', '整体审核通过'),
      text: T('col.approveAllText', '将{1}已报送的 {0} 项指标全部审核通过？通过后计入得分；如有错误，可逐项重新打开（须写明意见）。', n, b.name),
      yes: T('col.approveAllYes', '通过 {0} 项', n)
    }, function () {
      post(base() + '/bodies/' + enc(code) + '/approve', undefined, function (r) {
        return after('', r.status === 200 ? T('col.approvedN', '已审核通过 {0} 项指标。', r.data.approved) : '')(r);
      });
    });
  }

  function refresh() {
    if (busy || D.hidden || ($('col-dialog').open)) return;
    loadBoard();
    loadBody();
  }

  D.addEventListener('DOMContentLoaded', function () {
    root = $('collection');
    cycle = root.getAttribute('data-cycle');
    admin = root.getAttribute('data-admin') === '1';
    C.api('GET', '/cycles').then(function (r) {
      var cy = r.status === 200 && (r.data.cycles || []).filter(function (c) { return c.code === cycle; })[0];
      if (cy) $('cycle-name').textContent = cy.name;
    });
    C.api('GET', base() + '/units').then(function (r) {
      if (r.status === 200) (r.data || []).forEach(function (u) { units[u.code] = u.name; });
      if (lines) renderBody();
    });
    var m = /^#body=(.+)$/.exec(location.hash);
    loadBoard().then(function () { if (m) openBody(decodeURIComponent(m[1]), false); });
    $('body-close').addEventListener('click', closeBody);
    if ($('approve-body')) $('approve-body').addEventListener('click', approveBody);
    $('col-dialog-form').addEventListener('submit', dialogYes);
    $('col-dialog-no').addEventListener('click', function () { pending = null; $('col-dialog').close(); });
    var f = $('deadline-form');
    if (f) {
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = $('deadline-input').value;
        if (!v) { say('deadline-msg', T('col.deadlinePick', '请选择日期；如要取消截止日期，请点“取消截止日期”。'), true); return; }
        putDeadline(v);
      });
      $('deadline-clear').addEventListener('click', function () { putDeadline(''); });
    }
    setInterval(refresh, REFRESH);
    window.addEventListener('focus', refresh);
    D.addEventListener('visibilitychange', function () { if (!D.hidden) refresh(); });
  });
  D.addEventListener('cp:lang', function () { if (board) { renderDeadline(); renderBoard(); } if (lines) renderBody(); });
})();
