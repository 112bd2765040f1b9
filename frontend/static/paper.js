/* Paper ballots: key in, confirm by a second person, discard; and the big
 * screen's link. Plain ES2017 on window.Ceping (console.js). The slip code
 * stays in the form field and the request body only: never in a URL, never
 * stored, cleared once used.
 *
 * Hooks: #slip-form #slip-code #slip-msg; #ballot-form with
 * section[data-section][data-type] and fields named "SEC/SUBJ" or
 * "SEC/SUBJ/DIM" (select for grades, input[type=number] for scores,
 * input[type=checkbox][value=SUBJ] for choose); #ballot-msg, .problem on the rows the server named;
 * #key-done; #waiting .paper[data-id] with .confirm-code, .confirm, .discard
 * and .paper-msg; #screen-form, #screen-msg a#screen-url. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'paper.back': '← Back', 'paper.title': 'Paper ballots',
    'paper.intro': 'For attendees without a phone: one staff member types the slip code and keys in the paper ballot; a second staff member checks it against the paper, types the code again and confirms. Only then does it count. Until then nothing is counted and the slip stays valid; if the slip is used by phone first, the phone\'s ballot stands.',
    'paper.keyTitle': 'Key in a paper ballot', 'paper.code': 'Slip code (scanner or typed)', 'paper.next': 'Next', 'paper.submitKey': 'Submit (to be confirmed by someone else)', 'paper.cancel': 'Cancel',
    'paper.waitingTitle': 'Paper ballots waiting for confirmation', 'paper.waitingHint': 'The confirming person checks the lines below against the paper and types the code on the paper again. Nobody confirms a ballot they keyed themselves.',
    'paper.loading': 'Loading…', 'paper.screenTitle': 'Big screen (projector) link', 'paper.screenHint': 'Makes a read-only link for the hall\'s projector PC: turnout only, no sign-in, expires by itself.',
    'paper.hours': 'Valid for (hours)', 'paper.showResults': 'Show the results after the meeting closes', 'paper.makeLink': 'Make link',
    'paper.none': 'No paper ballot is waiting.', 'paper.keyedBy': 'keyed by {0} at {1}', 'paper.confirmCode': 'Code on the paper', 'paper.confirm': 'Confirm: count it', 'paper.discard': 'Discard',
    'paper.own': 'You keyed this one: another staff member must confirm it.', 'paper.discardAsk': 'Discard this paper ballot? Nothing is counted and the slip stays valid.',
    'paper.counted': 'Confirmed and counted.', 'paper.keyed': 'Keyed in. It counts once another staff member confirms it.', 'paper.discarded': 'Discarded.',
    'paper.optional': '(optional)', 'paper.choose': 'choose up to {0}', 'paper.score': 'score {0}–{1}', 'paper.pick': '—', 'paper.open': 'open', 'paper.pending': 'not started', 'paper.closed': 'closed',
    'paper.linkMade': 'Link (valid until {0}):', 'paper.openLink': 'Open', 'paper.copy': 'Copy', 'paper.copied': 'Copied', 'paper.group': 'Group: {0}'
  });
  var ZH = {
    none: '没有待确认的纸质票。', keyedBy: '录入人 {0}，{1}', confirmCode: '纸质票上的票码', confirm: '确认计入', discard: '作废',
    own: '这张是您录入的，须由另一名工作人员确认。', discardAsk: '作废这张纸质票？不计票，这张票仍可使用。',
    counted: '已确认并计入。', keyed: '已录入，另一名工作人员确认后计入。', discarded: '已作废。',
    optional: '（选填）', choose: '最多选 {0} 人', score: '{0}–{1} 分', pick: '—', open: '进行中', pending: '未开始', closed: '已结束',
    linkMade: '链接（有效期至 {0}）：', openLink: '打开', copy: '复制', copied: '已复制', group: '参评类别：{0}'
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
    m.className = 'msg' + (bad ? ' bad' : text ? ' ok' : '');
  }
  function fmtTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(C.lang() === 'en' ? 'en' : 'zh-CN', { hour12: false });
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
      if (r.status !== 200) { say('slip-msg', C.errorText(r.data), true); return; }
      say('slip-msg', '');
      view = r.data; code = c;
      $('slip-code').value = '';
      $('slip-form').hidden = true;
      renderBallot();
      $('ballot-form').hidden = false;
      var first = $('ballot-form').querySelector('select, input');
      if (first) first.focus();
    });
  }
  function field(tag, attrs) { return C.el(tag, attrs); }
  function gradeSelect(s, name, label) {
    var sel = field('select', { name: name, 'aria-label': label });
    sel.appendChild(C.el('option', { value: '', text: t('pick') }));
    s.scale.options.forEach(function (o) { sel.appendChild(C.el('option', { value: o.label, text: o.label })); });
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
      } else {
        var table = C.el('table'), tr;
        if (s.dimensions && s.dimensions.length) {
          tr = C.el('tr', {}, [C.el('th', { text: '' })]);
          s.dimensions.forEach(function (d) { tr.appendChild(C.el('th', { text: d })); });
          table.appendChild(tr);
        }
        s.subjects.forEach(function (j) {
          tr = C.el('tr', { 'data-subject': j.code }, [C.el('th', { text: j.name })]);
          if (s.scale.type === 'score') {
            var st = s.scale.step || 1;
            tr.appendChild(C.el('td', {}, [field('input', { type: 'number', name: s.code + '/' + j.code, min: s.scale.min, max: s.scale.max, step: st, inputmode: st % 1 ? 'decimal' : 'numeric', 'aria-label': j.name })]));
          } else if (s.dimensions && s.dimensions.length) {
            s.dimensions.forEach(function (d) { tr.appendChild(C.el('td', {}, [gradeSelect(s, s.code + '/' + j.code + '/' + d, j.name + ' ' + d)])); });
          } else {
            tr.appendChild(C.el('td', {}, [gradeSelect(s, s.code + '/' + j.code, j.name)]));
          }
          table.appendChild(tr);
        });
        sec.appendChild(C.el('div', { 'class': 'table-wrap' }, [table]));
      }
      box.appendChild(sec);
    });
  }
  // answers collects the form in the shape a phone sends; empty fields are
  // left out so the server names what is missing.
  function answers() {
    var out = {};
    view.sections.forEach(function (s) {
      var els = $('ballot-form').querySelectorAll('[name^="' + s.code.replace(/["\\]/g, '\\$&') + '/"]');
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
      var sec = $('ballot-form').querySelector('[data-section="' + String(d.section).replace(/["\\]/g, '\\$&') + '"]');
      if (!sec) return;
      var row = d.subject ? sec.querySelector('[data-subject="' + String(d.subject).replace(/["\\]/g, '\\$&') + '"]') : null;
      (row || sec).classList.add('problem');
      (row || sec).style.background = '#fdecec';
    });
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
      say('ballot-msg', C.errorText(r.data), true);
    }, function () { $('ballot-submit').disabled = false; });
  }

  // ---- waiting ballots ----
  var cards = {};
  function paperCard(p) {
    var card = C.el('article', { 'class': 'card paper', 'data-id': p.id });
    var msg = C.el('p', { 'class': 'msg bad paper-msg', role: 'alert' });
    card.appendChild(C.el('h3', { text: p.id + ' · ' + (p.group_name || p.group) }));
    card.appendChild(C.el('p', { 'class': 'hint', text: t('keyedBy', p.keyed_by, fmtTime(p.keyed_at)) }));
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
          msg.textContent = C.errorText(r.data);
          loadWaiting(); // a slip spent or revoked meanwhile drops the paper copy
        });
      });
    } else {
      form.appendChild(C.el('p', { 'class': 'hint', text: t('own') }));
    }
    var discard = C.el('button', { type: 'button', 'class': 'danger discard', text: t('discard') });
    discard.addEventListener('click', function () {
      if (!window.confirm(t('discardAsk'))) return;
      C.api('DELETE', base + '/paper/' + encodeURIComponent(p.id)).then(function (r) {
        if (r.status === 204 || r.status === 404) { say('key-done', t('discarded')); loadWaiting(); return; }
        msg.textContent = C.errorText(r.data);
      });
    });
    form.appendChild(discard);
    card.appendChild(form);
    card.appendChild(msg);
    return card;
  }
  // loadWaiting adds new waiting ballots and removes gone ones, leaving the
  // cards being typed into alone.
  var seq = 0;
  function loadWaiting() {
    var my = ++seq;
    C.api('GET', base + '/paper').then(function (r) {
      if (my !== seq) return; // a newer answer is on its way: a stale one must not remove fresh cards
      var box = $('waiting');
      if (r.status !== 200) { box.textContent = C.errorText(r.data); cards = {}; return; }
      var seen = {};
      if (!Object.keys(cards).length) box.textContent = '';
      r.data.paper.forEach(function (p) {
        seen[p.id] = true;
        if (!cards[p.id]) { cards[p.id] = paperCard(p); box.appendChild(cards[p.id]); }
      });
      Object.keys(cards).forEach(function (id) {
        if (!seen[id]) { box.removeChild(cards[id]); delete cards[id]; }
      });
      var none = box.querySelector('.none');
      if (!r.data.paper.length && !none) box.appendChild(C.el('p', { 'class': 'none hint', text: t('none') }));
      if (r.data.paper.length && none) box.removeChild(none);
    });
  }
  function rerenderWaiting() {
    $('waiting').textContent = '';
    cards = {};
    loadWaiting();
  }

  // ---- big screen link ----
  function onScreen(ev) {
    ev.preventDefault();
    var f = ev.target;
    C.api('POST', base + '/screen-link', { hours: Number(f.hours.value), show_results: f.show_results.checked }).then(function (r) {
      var m = $('screen-msg');
      m.textContent = '';
      if (r.status !== 201) { m.className = 'msg bad'; m.textContent = C.errorText(r.data); return; }
      m.className = 'msg ok';
      var a = C.el('a', { id: 'screen-url', href: r.data.path, target: '_blank', rel: 'noopener noreferrer', text: r.data.url });
      var copy = C.el('button', { type: 'button', text: t('copy') });
      copy.addEventListener('click', function () {
        if (navigator.clipboard) navigator.clipboard.writeText(r.data.url).then(function () { copy.textContent = t('copied'); });
      });
      m.appendChild(D.createTextNode(t('linkMade', fmtTime(r.data.expires_at)) + ' '));
      m.appendChild(a);
      m.appendChild(D.createTextNode(' '));
      m.appendChild(copy);
    });
  }

  D.addEventListener('DOMContentLoaded', function () {
    loadMeeting();
    loadWaiting();
    $('slip-form').addEventListener('submit', onSlip);
    $('ballot-form').addEventListener('submit', onKey);
    $('ballot-cancel').addEventListener('click', function () { resetKeying(); $('slip-code').focus(); });
    $('screen-form').addEventListener('submit', onScreen);
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
    Object.keys(a).forEach(function (sec) {
      var v = a[sec];
      if (Array.isArray(v)) { v.forEach(function (j) { var e = $('ballot-form').querySelector('[name="' + sec + '/' + j + '"]'); if (e) e.checked = true; }); return; }
      Object.keys(v).forEach(function (j) {
        if (typeof v[j] === 'object') Object.keys(v[j]).forEach(function (d) { var e = $('ballot-form').elements[sec + '/' + j + '/' + d]; if (e) e.value = v[j][d]; });
        else { var e = $('ballot-form').elements[sec + '/' + j]; if (e) e.value = v[j]; }
      });
    });
  }
})();
