/* Paper ballots: key in, confirm by a second person, delete an entry.
 * Plain ES2017 on window.Ceping (console.js). The slip code stays in the
 * form field and the request body only: never in a URL, never stored,
 * cleared once used. (The big screen's link is made on the run page.)
 *
 * Keying is built for the keyboard: every grade is a select whose options
 * read "1 优秀", "2 称职"…; a digit picks that grade and moves on to the
 * next field, 0 clears, Enter moves on instead of sending. Each subject row
 * of a section with dimensions starts with "本行全部设为…", which fills
 * the row; a section without dimensions has "空着的全部设为…". Tab order is
 * the page order: row by row.
 *
 * Hooks: #slip-form #slip-code #slip-msg; #ballot-form with
 * section[data-section][data-type] and fields named "SEC/SUBJ" or
 * "SEC/SUBJ/DIM" (select for grades, input[type=number] for scores,
 * input[type=checkbox][value=SUBJ] for choose); select.fill-row[data-subject]
 * in each row of a dimension grid, select.fill-col[data-section];
 * #ballot-msg, .problem on the rows the server named; #key-done;
 * #waiting .paper[data-id] with h3.paper-title, .confirm-code, .confirm,
 * .discard and .paper-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'paper.back': '← Back', 'paper.title': 'Paper ballot entry',
    'paper.intro': 'For attendees without a phone: one staff member types the slip code and keys in the paper ballot; a second staff member checks it against the paper, types the code again and confirms. Only then does it count. Until then nothing is counted and the slip stays valid; if the slip is used by phone first, the phone\'s ballot stands.',
    'paper.keyTitle': 'Key in a paper ballot', 'paper.code': 'Slip code (scanner or typed)', 'paper.next': 'Next', 'paper.submitKey': 'Submit (to be confirmed by someone else)', 'paper.cancel': 'Cancel',
    'paper.keys': 'Keyboard: in a grade box press a digit (1, 2, 3, 4 as listed in the box) to choose it and move to the next box; 0 clears. “Set the whole row to” at the start of each row fills the row at once. Tab goes row by row; Enter also moves on.',
    'paper.waitingTitle': 'Paper ballots waiting for confirmation', 'paper.waitingHint': 'The confirming person checks the lines below against the paper and types the code on the paper again. Nobody confirms a ballot they keyed themselves.',
    'paper.loading': 'Loading…',
    'paper.none': 'No paper ballot is waiting.', 'paper.cardTitle': 'Waiting no. {0} · {1} · keyed by {2} {3}', 'paper.confirmCode': 'Code on the paper', 'paper.confirm': 'Confirm: count it',
    'paper.discard': 'Delete this entry (the slip stays valid)',
    'paper.own': 'You keyed this one: another staff member must confirm it.', 'paper.discardAsk': 'Delete this entry? Nothing is counted; the slip stays valid: it can be keyed again or used by phone.',
    'paper.counted': 'Confirmed and counted.', 'paper.keyed': 'Keyed in. It counts once another staff member confirms it.', 'paper.discarded': 'Entry deleted; the slip stays valid.',
    'paper.optional': '(optional)', 'paper.choose': 'choose up to {0}', 'paper.score': 'score {0}–{1}', 'paper.pick': '—', 'paper.open': 'open', 'paper.pending': 'not started', 'paper.closed': 'closed',
    'paper.group': 'Group: {0}', 'paper.fillRow': 'Set the whole row to…', 'paper.fillRowOf': '{0}: set the whole row to', 'paper.fillCol': 'Set the empty ones to…',
    'paper.net': 'Network error: please try again'
  });
  var ZH = {
    none: '没有待确认的纸质选票。', cardTitle: '待确认第 {0} 张 · {1} · 录入人 {2} {3}', confirmCode: '纸质选票上的票码', confirm: '确认计入',
    discard: '删除此录入（选票仍有效）',
    own: '这张是您录入的，须由另一名工作人员确认。', discardAsk: '删除这份录入？不计票；这张选票仍然有效，可以重新录入，也可以由本人用手机投票。',
    counted: '已确认并计入。', keyed: '已录入，另一名工作人员确认后计入。', discarded: '已删除此录入，这张选票仍然有效。',
    optional: '（选填）', choose: '最多选 {0} 人', score: '{0}–{1} 分', pick: '—', open: '进行中', pending: '未开始', closed: '已结束',
    group: '参评类别：{0}', fillRow: '本行全部设为…', fillRowOf: '{0}：本行全部设为', fillCol: '空着的全部设为…',
    net: '网络连接失败，请重试'
  };
  // t(k, a0…): the page's text k in the chosen language.
  function t(k) {
    var args = Array.prototype.slice.call(arguments, 1);
    return C.t.apply(null, ['paper.' + k, ZH[k] || k].concat(args));
  }
  function $(id) { return D.getElementById(id); }
  var root = $('paper-page');
  var cycle = root.getAttribute('data-cycle'), meeting = root.getAttribute('data-meeting');
  var base = '/cycles/' + encodeURIComponent(cycle) + '/meetings/' + encodeURIComponent(meeting);
  var view = null, code = '';

  // slipCode reads what a scanner or a person typed: a bare code, or the
  // slip's QR link BASE/b#CODE.
  function slipCode(s) {
    s = String(s || '').trim();
    var i = s.indexOf('#');
    if (i >= 0) s = s.slice(i + 1);
    try { s = decodeURIComponent(s); } catch (e) { /* keep */ }
    return s.replace(/[\s-]/g, '').toUpperCase();
  }
  function say(id, text, bad) {
    var m = $(id);
    m.textContent = text || '';
    m.style.whiteSpace = 'pre-line'; // one line per problem (CSSOM: the CSP forbids style attributes)
    m.className = 'msg' + (bad ? ' bad' : text ? ' ok' : '');
  }
  function hhmm(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return '';
    return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
  }
  // msgOf is a server message in the page's language: never a field path.
  function msgOf(d) {
    var m = C.lang() === 'en' && d.message_en ? d.message_en : String(d.message || '');
    return C.lang() === 'en' ? m : m.replace(/\s*\([^()\u4e00-\u9fff]*[a-z]{2}[^()\u4e00-\u9fff]*\)\s*$/, '');
  }
  // errText is an API error as lines: its message, then each detail that
  // the lines so far do not already say.
  function errText(data) {
    if (!data || !data.error) return String(data || '');
    var lines = [];
    [data.error].concat(data.error.details || []).forEach(function (d) {
      var m = msgOf(d);
      if (m && !lines.some(function (l) { return l.indexOf(m) >= 0; })) lines.push(lines.length ? '· ' + m : m);
    });
    return lines.join('\n');
  }

  // ---- the meeting ----
  function loadMeeting() {
    C.api('GET', base).then(function (r) {
      if (r.status !== 200) return;
      $('meeting-title').textContent = r.data.title;
      var b = $('meeting-status');
      b.className = 'badge ' + r.data.status;
      b.textContent = t(r.data.status);
      $('back').href = '/console/cycles/' + encodeURIComponent(cycle) + '/meetings/' + encodeURIComponent(meeting);
    });
  }

  // ---- keying ----
  function resetKeying() {
    view = null; code = '';
    $('ballot-form').hidden = true;
    $('ballot-sections').textContent = '';
    say('ballot-msg', '');
    $('slip-form').hidden = false;
    $('slip-code').value = '';
  }
  function onSlip(ev) {
    ev.preventDefault();
    say('key-done', '');
    var c = slipCode($('slip-code').value);
    C.api('POST', base + '/paper/slip', { code: c }).then(function (r) {
      if (r.status !== 200) { say('slip-msg', errText(r.data), true); return; }
      say('slip-msg', '');
      view = r.data; code = c;
      $('slip-code').value = '';
      $('slip-form').hidden = true;
      renderBallot();
      $('ballot-form').hidden = false;
      var first = $('ballot-form').querySelector('select, input');
      if (first) first.focus();
    }, function () { say('slip-msg', t('net'), true); });
  }
  // gradeSelect lists the grades numbered, so a typed digit picks one.
  function gradeSelect(s, attrs, first) {
    var sel = C.el('select', attrs);
    sel.appendChild(C.el('option', { value: '', text: first }));
    s.scale.options.forEach(function (o, i) { sel.appendChild(C.el('option', { value: o.label, text: (i + 1) + ' ' + o.label })); });
    return sel;
  }
  function renderBallot() {
    var box = $('ballot-sections');
    box.textContent = '';
    $('ballot-meta').textContent = view.group.form_title + ' · ' + t('group', view.group.name);
    view.sections.forEach(function (s) {
      var sec = C.el('fieldset', { 'class': 'card paper-sec', 'data-section': s.code, 'data-type': s.scale.type });
      var note = s.scale.type === 'choose' ? t('choose', s.scale.max) : s.scale.type === 'score' ? t('score', s.scale.min, s.scale.max) : '';
      sec.appendChild(C.el('legend', { text: s.title + (s.required ? '' : ' ' + t('optional')) + (note ? ' · ' + note : '') }));
      if (s.scale.type === 'choose') {
        s.subjects.forEach(function (j) {
          var lab = C.el('label', { 'class': 'chk' });
          lab.appendChild(C.el('input', { type: 'checkbox', name: s.code + '/' + j.code, value: j.code }));
          lab.appendChild(D.createTextNode(' ' + j.name));
          sec.appendChild(lab);
        });
        box.appendChild(sec);
        return;
      }
      var dims = s.dimensions && s.dimensions.length ? s.dimensions : null, grade = s.scale.type === 'grade';
      if (grade && !dims && s.subjects.length > 1) {
        sec.appendChild(C.el('p', {}, [gradeSelect(s, { 'class': 'fill-col', 'data-section': s.code, 'aria-label': s.title + ' ' + t('fillCol') }, t('fillCol'))]));
      }
      var table = C.el('table'), tr;
      if (dims) {
        tr = C.el('tr', {}, [C.el('th', { text: '' })]);
        if (grade) tr.appendChild(C.el('th', { text: '' }));
        dims.forEach(function (d) { tr.appendChild(C.el('th', { text: d })); });
        table.appendChild(tr);
      }
      s.subjects.forEach(function (j) {
        tr = C.el('tr', { 'data-subject': j.code }, [C.el('th', { text: j.name })]);
        if (s.scale.type === 'score') {
          var st = s.scale.step || 1;
          tr.appendChild(C.el('td', {}, [C.el('input', { type: 'number', name: s.code + '/' + j.code, min: s.scale.min, max: s.scale.max, step: st, inputmode: st % 1 ? 'decimal' : 'numeric', 'aria-label': j.name })]));
        } else if (dims) {
          tr.appendChild(C.el('td', {}, [gradeSelect(s, { 'class': 'fill-row', 'data-section': s.code, 'data-subject': j.code, 'aria-label': t('fillRowOf', j.name) }, t('fillRow'))]));
          dims.forEach(function (d) { tr.appendChild(C.el('td', {}, [gradeSelect(s, { name: s.code + '/' + j.code + '/' + d, 'aria-label': j.name + ' ' + d }, t('pick'))])); });
        } else {
          tr.appendChild(C.el('td', {}, [gradeSelect(s, { name: s.code + '/' + j.code, 'aria-label': j.name }, t('pick'))]));
        }
        table.appendChild(tr);
      });
      sec.appendChild(C.el('div', { 'class': 'table-wrap' }, [table]));
      box.appendChild(sec);
    });
  }
  // fillFrom applies a fill control: the row's grades (fill-row) or the
  // section's empty grades (fill-col), then resets the control.
  function fillFrom(ctl) {
    var v = ctl.value;
    if (!v) return;
    var sel = ctl.classList.contains('fill-row') ? ctl.parentNode.parentNode.querySelectorAll('select[name]')
      : $('ballot-form').querySelectorAll('[data-section="' + cssq(ctl.getAttribute('data-section')) + '"] select[name]');
    for (var i = 0; i < sel.length; i++) {
      if (ctl.classList.contains('fill-row') || sel[i].value === '') sel[i].value = v;
      unmark(sel[i]);
    }
    ctl.value = '';
  }
  function cssq(s) { return String(s).replace(/["\\]/g, '\\$&'); }
  // fields are the ballot's focusable controls in page (Tab) order.
  function fields() {
    return Array.prototype.filter.call($('ballot-form').querySelectorAll('select, input, button'), function (e) { return !e.disabled; });
  }
  function next(el) {
    var list = fields(), i = list.indexOf(el);
    if (i >= 0 && i + 1 < list.length) list[i + 1].focus();
  }
  // onKeyDown: a digit picks that grade and moves on; 0 clears; Enter in a
  // field moves on instead of sending the ballot half keyed.
  function onKeyDown(ev) {
    var el = ev.target;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (el.tagName === 'SELECT' && /^[0-9]$/.test(ev.key)) {
      var n = +ev.key;
      if (n >= el.options.length) return;
      ev.preventDefault();
      el.selectedIndex = n;
      el.dispatchEvent(new Event('change', { bubbles: true }));
      if (n === 0) return;
      // A filled row is done: on to the next row.
      if (el.classList.contains('fill-row')) {
        var row = el.parentNode.parentNode.querySelectorAll('select');
        el = row[row.length - 1];
      }
      next(el);
      return;
    }
    if (ev.key === 'Enter' && (el.tagName === 'SELECT' || (el.tagName === 'INPUT' && el.type !== 'submit'))) {
      ev.preventDefault();
      next(el);
    }
  }
  // onKeyPress: Enter never sends the ballot from a field (nor opens a
  // drop-down that the keydown has just moved to).
  function onKeyPress(ev) {
    var el = ev.target;
    if (ev.key === 'Enter' && (el.tagName === 'SELECT' || (el.tagName === 'INPUT' && el.type !== 'submit'))) ev.preventDefault();
  }
  function onChange(ev) {
    var el = ev.target;
    if (el.classList.contains('fill-row') || el.classList.contains('fill-col')) fillFrom(el);
    else unmark(el);
  }
  // answers collects the form in the shape a phone sends; empty fields are
  // left out so the server names what is missing.
  function answers() {
    var out = {};
    view.sections.forEach(function (s) {
      var els = $('ballot-form').querySelectorAll('[name^="' + cssq(s.code) + '/"]');
      if (s.scale.type === 'choose') {
        var chosen = [];
        for (var i = 0; i < els.length; i++) if (els[i].checked) chosen.push(els[i].value);
        if (chosen.length) out[s.code] = chosen;
        return;
      }
      var sec = {};
      for (var k = 0; k < els.length; k++) {
        var e = els[k], p = e.name.split('/'), v = e.value;
        if (p[0] !== s.code || v === '') continue;
        if (s.scale.type === 'score') v = Number(v);
        if (p.length > 2) { sec[p[1]] = sec[p[1]] || {}; sec[p[1]][p.slice(2).join('/')] = v; } else sec[p[1]] = v;
      }
      if (Object.keys(sec).length) out[s.code] = sec;
    });
    return out;
  }
  // markProblems highlights the rows the server named (CSSOM styles: the
  // CSP allows no style attributes in markup).
  function markProblems(data) {
    var rows = $('ballot-form').querySelectorAll('.problem');
    for (var i = 0; i < rows.length; i++) { rows[i].classList.remove('problem'); rows[i].style.background = ''; }
    ((data && data.error && data.error.details) || []).forEach(function (d) {
      var sec = $('ballot-form').querySelector('[data-section="' + cssq(d.section) + '"]');
      if (!sec) return;
      var row = d.subject ? sec.querySelector('tr[data-subject="' + cssq(d.subject) + '"]') : null;
      (row || sec).classList.add('problem');
      (row || sec).style.background = '#fdecec';
    });
  }
  // unmark clears the problem colour of a row or section once it changes.
  function unmark(el) {
    var box = el.closest ? el.closest('.problem') : null;
    if (box) { box.classList.remove('problem'); box.style.background = ''; }
  }
  function onKey(ev) {
    ev.preventDefault();
    if (!view) return;
    $('ballot-submit').disabled = true;
    C.api('POST', base + '/paper', { code: code, answers: answers() }).then(function (r) {
      $('ballot-submit').disabled = false;
      if (r.status === 201) {
        resetKeying();
        say('key-done', t('keyed'));
        loadWaiting();
        $('slip-code').focus();
        return;
      }
      markProblems(r.data);
      say('ballot-msg', errText(r.data), true);
    }, function () { $('ballot-submit').disabled = false; say('ballot-msg', t('net'), true); });
  }

  // ---- waiting ballots ----
  var cards = {};
  function cardTitle(p, n) {
    return t('cardTitle', n, p.group_name || p.group, p.keyed_by, hhmm(p.keyed_at));
  }
  function paperCard(p) {
    var card = C.el('article', { 'class': 'card paper', 'data-id': p.id });
    var msg = C.el('p', { 'class': 'msg bad paper-msg', role: 'alert' });
    msg.style.whiteSpace = 'pre-line';
    card.appendChild(C.el('h3', { 'class': 'paper-title' }));
    var table = C.el('table');
    p.lines.forEach(function (l) {
      table.appendChild(C.el('tr', {}, [C.el('td', { text: l.section }), C.el('td', { text: l.subject || '' }), C.el('td', { text: l.answer })]));
    });
    card.appendChild(C.el('div', { 'class': 'table-wrap' }, [table]));
    var form = C.el('form', { 'class': 'form inline confirm-form', autocomplete: 'off' });
    if (p.can_confirm) {
      var lab = C.el('label', {}, [C.el('span', { text: t('confirmCode') })]);
      var input = C.el('input', { 'class': 'confirm-code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: '200', required: '' });
      lab.appendChild(input);
      form.appendChild(lab);
      form.appendChild(C.el('button', { type: 'submit', 'class': 'primary confirm', text: t('confirm') }));
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var c = slipCode(input.value);
        C.api('POST', base + '/paper/' + encodeURIComponent(p.id) + '/confirm', { code: c }).then(function (r) {
          input.value = '';
          if (r.status === 201) { say('key-done', t('counted')); loadWaiting(); return; }
          msg.textContent = errText(r.data);
          loadWaiting(); // a slip spent or revoked meanwhile drops the paper copy
        }, function () { msg.textContent = t('net'); });
      });
    } else {
      form.appendChild(C.el('p', { 'class': 'hint', text: t('own') }));
    }
    var discard = C.el('button', { type: 'button', 'class': 'danger discard', text: t('discard') });
    discard.addEventListener('click', function () {
      if (!window.confirm(t('discardAsk'))) return;
      C.api('DELETE', base + '/paper/' + encodeURIComponent(p.id)).then(function (r) {
        if (r.status === 204 || r.status === 404) { say('key-done', t('discarded')); loadWaiting(); return; }
        msg.textContent = errText(r.data);
      }, function () { msg.textContent = t('net'); });
    });
    form.appendChild(discard);
    card.appendChild(form);
    card.appendChild(msg);
    return card;
  }
  // loadWaiting adds new waiting ballots and removes gone ones, leaving the
  // cards being typed into alone; the cards are numbered oldest first.
  var seq = 0;
  function loadWaiting() {
    var my = ++seq;
    C.api('GET', base + '/paper').then(function (r) {
      if (my !== seq) return; // a newer answer is on its way: a stale one must not remove fresh cards
      var box = $('waiting');
      if (r.status !== 200) { box.textContent = errText(r.data); cards = {}; return; }
      var seen = {};
      if (!Object.keys(cards).length) box.textContent = '';
      r.data.paper.forEach(function (p, i) {
        seen[p.id] = true;
        if (!cards[p.id]) { cards[p.id] = paperCard(p); box.appendChild(cards[p.id]); }
        cards[p.id].querySelector('.paper-title').textContent = cardTitle(p, i + 1);
      });
      Object.keys(cards).forEach(function (id) {
        if (!seen[id]) { box.removeChild(cards[id]); delete cards[id]; }
      });
      var none = box.querySelector('.none');
      if (!r.data.paper.length && !none) box.appendChild(C.el('p', { 'class': 'none hint', text: t('none') }));
      if (r.data.paper.length && none) box.removeChild(none);
    }, function () { /* the next poll tries again */ });
  }
  function rerenderWaiting() {
    $('waiting').textContent = '';
    cards = {};
    loadWaiting();
  }

  D.addEventListener('DOMContentLoaded', function () {
    loadMeeting();
    loadWaiting();
    $('slip-form').addEventListener('submit', onSlip);
    $('ballot-form').addEventListener('submit', onKey);
    $('ballot-form').addEventListener('keydown', onKeyDown);
    $('ballot-form').addEventListener('keypress', onKeyPress);
    $('ballot-form').addEventListener('change', onChange);
    $('ballot-cancel').addEventListener('click', function () { resetKeying(); $('slip-code').focus(); });
    setInterval(loadWaiting, 5000);
  });
  D.addEventListener('cp:lang', function () {
    loadMeeting();
    rerenderWaiting();
    if (view) {
      var keep = answers();
      renderBallot();
      restore(keep);
    }
  });
  function restore(a) {
    var f = $('ballot-form');
    Object.keys(a).forEach(function (sec) {
      var v = a[sec];
      if (Array.isArray(v)) { v.forEach(function (j) { var e = f.querySelector('[name="' + cssq(sec + '/' + j) + '"]'); if (e) e.checked = true; }); return; }
      Object.keys(v).forEach(function (j) {
        if (typeof v[j] === 'object') Object.keys(v[j]).forEach(function (d) { var e = f.elements[sec + '/' + j + '/' + d]; if (e) e.value = v[j][d]; });
        else { var e = f.elements[sec + '/' + j]; if (e) e.value = v[j]; }
      });
    });
  }
})();
