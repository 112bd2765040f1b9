/* The console overview: years, each with its set-up checklist (admins) and
 * the meetings the user may see; admins create a year here and go on to its
 * set-up. Hooks: #overview [data-cycle] .checklist li[data-step], #new-cycle. */
(function () {
  'use strict';
  var C = window.Ceping, D = document, T = C.t;
  C.extend({
    'overview.advanced': 'Advanced', 'overview.codeHint': 'Taken from the year in the name; you may change it. Letters and digits only; it cannot change later.',
    'ov.none': 'No assessment years yet.', 'ov.noMeetings': 'No meetings yet', 'ov.setup': 'Year set-up (units, people, targets)',
    'ov.forms': 'Ballot forms', 'ov.meetings': 'Meetings', 'ov.results': 'Results',
    'ov.units': 'Units {0}', 'ov.people': 'People {0}', 'ov.targets': 'Target tasks {0}', 'ov.formsN': 'Ballot forms {0}',
    'ov.meetingsN': 'Meetings {0}', 'ov.open': ' ({0} open)', 'ov.done': 'done', 'ov.todo': 'to do',
    'st.pending': 'Not started', 'st.open': 'Open', 'st.closed': 'Closed',
    'ov.needName': 'Enter the name of the year, e.g. 2024 annual assessment.',
    'ov.needCode': 'The name has no year in it: enter a code under "Advanced" (letters or digits, e.g. 2024).',
    'ov.badCode': 'Use letters or digits, e.g. 2024.'
  });
  var STATUS = { pending: ['st.pending', '未开始'], open: ['st.open', '进行中'], closed: ['st.closed', '已结束'] };
  var CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
  var cycles = null;
  function isAdmin() { return D.body.getAttribute('data-role') === 'admin'; }
  function enc(s) { return encodeURIComponent(s); }
  function get(path) { return C.api('GET', path).then(function (r) { return r.status === 200 ? r.data : null; }, function () { return null; }); }

  // step is one checklist entry: a link with its count and, for the steps
  // that must be done before the meetings, ✓ or ✗.
  function step(key, href, text, ok) {
    var a = C.el('a', { href: href }, [text]);
    if (ok != null) {
      a.appendChild(D.createTextNode(' '));
      a.appendChild(C.el('span', { 'class': ok ? 'done' : 'todo', title: ok ? T('ov.done', '已完成') : T('ov.todo', '待完成'), text: ok ? '✓' : '✗' }));
    }
    return C.el('li', { 'data-step': key, 'data-done': ok == null ? '' : String(ok) }, [a]);
  }
  function checklist(box, cy, base, meetings) {
    var c = '/cycles/' + enc(cy.code);
    Promise.all([get(c + '/units'), get(c + '/people'), get(c + '/targets'), get(c + '/forms')]).then(function (rs) {
      var units = rs[0] || [], people = rs[1] || [], targets = rs[2] || [], forms = (rs[3] && rs[3].forms) || [];
      var open = meetings.filter(function (m) { return m.status === 'open'; }).length;
      var withTargets = targets.length;
      box.textContent = '';
      box.appendChild(step('units', base + '/setup#units-card', T('ov.units', '单位 {0}', units.length), units.length > 0));
      box.appendChild(step('people', base + '/setup#people-card', T('ov.people', '人员 {0}', people.length), people.length > 0));
      box.appendChild(step('targets', base + '/setup#targets-card',
        T('ov.targets', '目标任务 {0}', units.length && withTargets < units.length ? withTargets + '/' + units.length : withTargets),
        withTargets > 0 && withTargets >= units.length));
      box.appendChild(step('forms', base + '/forms', T('ov.formsN', '测评表 {0}', forms.length), forms.length > 0));
      box.appendChild(step('meetings', base + '/meetings', T('ov.meetingsN', '会议 {0}', meetings.length) + (open ? T('ov.open', '（{0} 进行中）', open) : ''), null));
    });
  }

  function card(cy) {
    var el = C.el('section', { 'class': 'card', 'data-cycle': cy.code });
    var base = '/console/cycles/' + enc(cy.code);
    el.appendChild(C.el('h2', { text: cy.name + '（' + cy.code + '）' }));
    var steps = C.el('ul', { 'class': 'checklist' });
    if (isAdmin()) el.appendChild(steps);
    var links = C.el('p', { 'class': 'actions' });
    if (isAdmin()) {
      links.appendChild(C.el('a', { 'class': 'button', href: base + '/setup', text: T('ov.setup', '年度设置（单位、人员、目标）') }));
      links.appendChild(C.el('a', { 'class': 'button', href: base + '/forms', text: T('ov.forms', '测评表') }));
      links.appendChild(C.el('a', { 'class': 'button', href: base + '/meetings', text: T('ov.meetings', '会议') }));
    }
    if (/^(admin|viewer)$/.test(D.body.getAttribute('data-role'))) links.appendChild(C.el('a', { 'class': 'button', href: base + '/collection', 'data-link': 'collection', text: C.pick('数据采集', 'Indicator collection') }));
    if (/^(admin|viewer)$/.test(D.body.getAttribute('data-role'))) links.appendChild(C.el('a', { 'class': 'button', href: base + '/adjustments', 'data-link': 'adjustments', text: C.pick('加减分', 'Adjustments') }));
    if (/^(admin|viewer)$/.test(D.body.getAttribute('data-role'))) links.appendChild(C.el('a', { 'class': 'button', href: base + '/reports', 'data-link': 'reports', text: C.pick('单位报告', 'Unit reports') }));
    if (D.body.getAttribute('data-role') !== 'group') links.appendChild(C.el('a', { 'class': 'button', href: base + '/results', text: T('ov.results', '考核结果') }));
    el.appendChild(links);
    var list = C.el('ul', { 'class': 'meetings' });
    el.appendChild(list);
    C.api('GET', '/cycles/' + enc(cy.code) + '/meetings').then(function (m) {
      if (m.status !== 200) return;
      var meetings = m.data.meetings || [];
      if (!meetings.length) list.appendChild(C.el('li', { text: T('ov.noMeetings', '暂无会议') }));
      meetings.forEach(function (mt) {
        var st = STATUS[mt.status];
        list.appendChild(C.el('li', {}, [
          C.el('a', { href: base + '/meetings/' + enc(mt.code), text: mt.title }), ' ',
          C.el('span', { 'class': 'badge ' + mt.status, text: st ? T(st[0], st[1]) : mt.status }), ' ' + mt.date]));
      });
      if (isAdmin()) checklist(steps, cy, base, meetings);
    });
    return el;
  }
  function render() {
    var box = D.getElementById('overview');
    box.textContent = '';
    if (!cycles.length) box.appendChild(C.el('p', { text: T('ov.none', '还没有考核年度。') }));
    cycles.forEach(function (cy) { box.appendChild(card(cy)); });
  }
  function load() {
    C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) { D.getElementById('overview').textContent = C.errorText(r.data); return; }
      cycles = r.data.cycles || [];
      render();
    });
  }

  // yearOf is the year in a name ("2024年度…" → "2024"), full-width digits
  // too; else its first run of digits; else "".
  function yearOf(name) {
    var s = String(name).replace(/[０-９]/g, function (d) { return String.fromCharCode(d.charCodeAt(0) - 0xFEE0); });
    var m = /(?:19|20)\d\d/.exec(s) || /\d+/.exec(s);
    return m ? m[0] : '';
  }

  D.addEventListener('DOMContentLoaded', function () {
    load();
    D.addEventListener('cp:lang', function () { if (cycles) render(); });
    var f = D.getElementById('new-cycle');
    if (!f) return;
    var name = f.elements.namedItem('name'), code = f.elements.namedItem('code'), adv = D.getElementById('new-cycle-advanced');
    var msg = D.getElementById('new-cycle-msg'), typed = false;
    name.addEventListener('input', function () { if (!typed) code.value = yearOf(name.value); });
    code.addEventListener('input', function () { typed = code.value !== ''; code.classList.remove('invalid'); });
    function fail(text, field) {
      msg.textContent = text;
      msg.className = 'msg bad';
      if (field === code) adv.open = true;
      if (field) { field.classList.add('invalid'); field.focus(); }
    }
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      name.classList.remove('invalid');
      code.classList.remove('invalid');
      var body = { code: code.value.trim(), name: name.value.trim() };
      if (!body.name) return fail(T('ov.needName', '请填写年度名称，如：2024年度目标责任考核'), name);
      if (!body.code) { body.code = yearOf(body.name); code.value = body.code; }
      if (!body.code) return fail(T('ov.needCode', '名称中没有年份：请在“高级”中填写编码（字母或数字，如 2024）'), code);
      if (!CODE.test(body.code)) return fail(T('ov.badCode', '编码：请填写字母或数字，如 2024'), code);
      msg.textContent = '';
      C.api('POST', '/cycles', body).then(function (r) {
        if (r.status === 201) { location.href = '/console/cycles/' + enc(body.code) + '/setup'; return; }
        // A taken code is the usual reason: show the code to change.
        fail(C.errorText(r.data), r.status === 409 || /code|编码/.test(JSON.stringify(r.data)) ? code : null);
      });
    });
  });
})();
