/* The meetings of a year: everyone sees the meetings they may read; admins
 * create and edit them (until they open). Codes are made up by the page
 * (M01, M02…; G1, G2…) and kept under 高级; a refused save marks each field
 * the server names, puts its message beside it and scrolls to the first. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'setup.title': 'Year set-up', 'forms.title': 'Ballot forms',
    'mt.title': 'Meetings', 'mt.new': 'New meeting', 'mt.edit': 'Edit meeting: {0}', 'mt.code': 'Meeting code', 'mt.name': 'Title',
    'mt.kind': 'Kind', 'mt.host': 'Unit assessed at this meeting', 'mt.noHost': '(none)',
    'mt.hostHint': 'For a work-report meeting choose the town or county department reporting; meetings that rate many units (the county conference) have none.',
    'mt.date': 'Date', 'mt.staff': 'Assessment-group staff (open, close, print slips)',
    'mt.groups': 'Voter groups (one form each)', 'mt.addGroup': 'Add a group', 'mt.reset': 'Start a new meeting',
    'mt.advanced': 'Advanced', 'mt.codeHint': 'Made up automatically; there is no need to change it. It cannot change after saving.',
    'mt.codeChange': 'Change the code', 'mt.groupCodeHint': 'Made up automatically; there is no need to change it.',
    'mt.enter': 'Enter the meeting (print slips, open voting)',
    'mt.groupCode': 'Group code', 'mt.groupName': 'Group name', 'mt.form': 'Form', 'mt.chooseForm': 'Choose a form', 'mt.remove': 'Remove this group',
    'mt.run': 'Enter the meeting', 'mt.editBtn': 'Edit', 'mt.tally': 'Tally sheet', 'mt.none': 'No meetings yet.',
    'mt.noStaff': 'No assessment-group accounts yet: add them under Users.', 'mt.noForms': 'No forms yet: make one on the Forms page first.',
    'mt.codeTaken': 'The code {0} is used by the meeting "{1}": choose another.', 'mt.created': 'Meeting created: {0}', 'mt.saved': 'Saved: {0}', 'mt.badCode': '1–64 letters, digits, _ . -, starting with a letter or digit, e.g. M01',
    'mt.voters': 'Voter groups: ', 'mt.staffOf': '; staff: '
  });
  var L = C.pick;
  var tt = C.t;
  var KIND = { work_report: ['工作报告大会', 'Work-report meeting'], conference: ['全县领导干部大会', 'Leading-cadres conference'],
    social: ['社会评价', 'Social evaluation'], group: ['考核组评价', 'Assessment-group evaluation'], other: ['其他', 'Other'] };
  var STATUS = { pending: ['未开始', 'not opened'], open: ['进行中', 'open'], closed: ['已结束', 'closed'] };
  var CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
  function two(m, k) { var v = m[k]; return v ? L(v[0], v[1]) : k; }
  function message(o) { return C.msg ? C.msg(o) : o.message; }

  var cycle, base, units = [], forms = [], users = [], meetings = [];
  var isAdmin = false, saved = null; // saved: the meeting being edited, once it exists
  var autoCode = ''; // the code the page made up for a new meeting
  function $(id) { return D.getElementById(id); }
  function enc(s) { return encodeURIComponent(s); }
  function runURL(code) { return '/console/cycles/' + enc(cycle) + '/meetings/' + enc(code); }

  function unitName(code) { var u = units.filter(function (x) { return x.code === code; })[0]; return u ? u.name : code; }

  function renderList() {
    var list = $('meeting-list');
    list.textContent = '';
    if (!meetings.length) list.appendChild(C.el('li', { text: tt('mt.none', '还没有会议。') }));
    meetings.forEach(function (m) {
      var href = runURL(m.code);
      var acts = C.el('p', { 'class': 'actions' }, [C.el('a', { 'class': 'button primary', href: href, text: tt('mt.run', '进入会议') })]);
      if (m.status === 'closed') acts.appendChild(C.el('a', { 'class': 'button', href: href + '/tally', text: tt('mt.tally', '计票单') }));
      if (isAdmin && m.status === 'pending') {
        var b = C.el('button', { type: 'button', 'data-edit': m.code, text: tt('mt.editBtn', '编辑') });
        b.addEventListener('click', function () { edit(m); $('editor').scrollIntoView(); });
        acts.appendChild(b);
      }
      var info = [two(KIND, m.kind)];
      if (m.host) info.push(unitName(m.host));
      info.push(m.date);
      var groups = (m.groups || []).map(function (g) { return g.name; }).join('、');
      list.appendChild(C.el('li', { 'data-meeting': m.code }, [
        C.el('h3', {}, [C.el('a', { href: href, text: m.title }), ' ', C.el('span', { 'class': 'badge ' + m.status, text: two(STATUS, m.status) })]),
        C.el('p', { 'class': 'hint', text: info.join(' · ') }),
        C.el('p', { 'class': 'hint', text: tt('mt.voters', '参评类别：') + (groups || '—') + (m.staff && m.staff.length ? tt('mt.staffOf', '；工作人员：') + m.staff.join('、') : '') }),
        acts]));
    });
  }

  function loadList() {
    return C.api('GET', base + '/meetings').then(function (r) {
      if (r.status !== 200) { $('list-msg').textContent = C.errorText(r.data); $('meeting-list').textContent = ''; return; }
      meetings = r.data.meetings;
      renderList();
    });
  }

  // ---- the editor (admins) ----

  // nextMeetingCode is M01, M02…: the first not yet used in the year.
  function nextMeetingCode() {
    var used = {}, m;
    meetings.forEach(function (x) {
      used[x.code.toUpperCase()] = true;
      if ((m = /^M0*(\d+)$/i.exec(x.code))) used['#' + (+m[1])] = true; // M1 and M01 are the same to a clerk
    });
    for (var n = 1; ; n++) {
      var c = 'M' + (n < 10 ? '0' + n : String(n));
      if (!used[c] && !used['#' + n]) return c;
    }
  }

  // nextGroupCode is G1, G2…: the first not used by the rows on the page.
  function nextGroupCode() {
    var used = {};
    var inputs = $('f-groups').querySelectorAll('[name=gcode]');
    for (var i = 0; i < inputs.length; i++) used[inputs[i].value.toUpperCase()] = true;
    for (var n = 1; ; n++) if (!used['G' + n]) return 'G' + n;
  }

  // label is a text element that follows the language switch (data-zh keeps
  // its Chinese even when it is made while the page is in English).
  function label(tag, key, zh, attrs) {
    var e = C.el(tag, attrs || {});
    e.setAttribute('data-i18n', key);
    e.setAttribute('data-zh', zh);
    e.textContent = tt(key, zh);
    return e;
  }

  function formLabel(f) {
    var same = forms.filter(function (x) { return x.title === f.title; }).length > 1;
    return same ? f.title + '（' + f.code + '）' : f.title;
  }

  function groupRow(g) {
    var row = C.el('div', { 'class': 'group-row' });
    var name = C.el('input', { name: 'gname', required: '', value: g.name || '', placeholder: L('如：机关干部', 'e.g. 机关干部'), autocomplete: 'off' });
    var form = C.el('select', { name: 'gform', required: '' });
    form.appendChild(label('option', 'mt.chooseForm', '请选择测评表', { value: '' }));
    forms.forEach(function (f) { form.appendChild(C.el('option', { value: f.code, text: formLabel(f) })); });
    form.value = g.form || '';
    var code = C.el('input', { name: 'gcode', required: '', readonly: '', value: g.code || nextGroupCode(), autocomplete: 'off' });
    var change = label('button', 'mt.codeChange', '修改编码', { type: 'button', 'class': 'small' });
    change.addEventListener('click', function () { code.readOnly = false; code.focus(); });
    var rm = label('button', 'mt.remove', '删除此类别', { type: 'button', 'class': 'danger small remove' });
    rm.addEventListener('click', function () { row.parentNode.removeChild(row); });
    function field(zh, key, input, what, extra) {
      return C.el('label', { 'class': 'g-' + what }, [label('span', key, zh), input].concat(extra || [])
        .concat([C.el('span', { 'class': 'field-error', 'data-gfield': what })]));
    }
    var adv = C.el('details', { 'class': 'advanced' }, [label('summary', 'mt.advanced', '高级'),
      field('类别编码', 'mt.groupCode', code, 'code', [label('small', 'mt.groupCodeHint', '系统自动生成，一般无需修改。', { 'class': 'hint' })]),
      C.el('p', {}, [change])]);
    row.appendChild(field('类别名称', 'mt.groupName', name, 'name'));
    var formExtra = forms.length ? [] : [label('small', 'mt.noForms', '还没有测评表：请先在“测评表”页新建。', { 'class': 'hint' })];
    row.appendChild(field('测评表', 'mt.form', form, 'form', formExtra));
    row.appendChild(C.el('div', { 'class': 'row-foot' }, [adv, rm]));
    return row;
  }

  function clearErrors() {
    var errs = D.querySelectorAll('#meeting-form .field-error');
    for (var i = 0; i < errs.length; i++) errs[i].textContent = '';
    var bad = D.querySelectorAll('#meeting-form .invalid');
    for (var j = 0; j < bad.length; j++) { bad[j].classList.remove('invalid'); bad[j].removeAttribute('aria-invalid'); }
    $('form-msg').textContent = '';
  }

  // fieldOf returns the message slot and the input of a field the server
  // names: "title", "groups[1].form", "staff[0]"…
  function fieldOf(f) {
    var m;
    if ((m = /^groups\[(\d+)\]\.(\w+)$/.exec(f))) {
      var row = $('f-groups').children[+m[1]];
      if (!row) return null;
      return { slot: row.querySelector('[data-gfield="' + m[2] + '"]'), input: row.querySelector('[name=g' + m[2] + ']') };
    }
    if (/^staff\[\d+\]$/.test(f)) f = 'staff';
    var slot = f && D.querySelector('#meeting-form [data-field="' + f + '"]');
    if (!slot) return null;
    return { slot: slot, input: $('f-' + f) || (f === 'staff' ? $('f-staff').querySelector('input') : null) };
  }

  function mark(where, text) {
    if (!where || !where.slot) return false;
    where.slot.textContent = (where.slot.textContent ? where.slot.textContent + ' ' : '') + text;
    if (where.input) { where.input.classList.add('invalid'); where.input.setAttribute('aria-invalid', 'true'); }
    // A field under a closed 高级 is shown.
    for (var p = where.slot.parentNode; p && p !== D; p = p.parentNode) if (p.tagName === 'DETAILS') p.open = true;
    return true;
  }

  // focusFirst brings the first marked field into view and puts the cursor there.
  function focusFirst() {
    var slots = D.querySelectorAll('#meeting-form .field-error');
    for (var i = 0; i < slots.length; i++) {
      if (!slots[i].textContent) continue;
      var box = slots[i].parentNode;
      var input = box.querySelector('.invalid') || box.querySelector('input, select');
      box.scrollIntoView({ block: 'center' });
      if (input && input.focus) input.focus({ preventScroll: true });
      return;
    }
    $('form-msg').scrollIntoView({ block: 'center' });
  }

  // showErrors puts each detail next to its field, the rest and the summary
  // under the form, then scrolls to the first.
  function showErrors(data) {
    var details = (data && data.error && data.error.details) || [];
    var rest = [];
    details.forEach(function (d) {
      if (!mark(fieldOf(d.field || ''), message(d))) rest.push(message(d));
    });
    var msg = $('form-msg');
    msg.className = 'msg bad';
    msg.textContent = data && data.error ? message(data.error) + (rest.length ? '：' + rest.join('；') : '') : String(data);
    focusFirst();
  }

  function showSaved(m) {
    saved = m;
    $('editor-title').textContent = m ? tt('mt.edit', '编辑会议：{0}', m.title) : tt('mt.new', '新建会议');
    $('enter-bar').hidden = !m;
    if (m) $('enter-link').href = runURL(m.code);
    $('f-code').readOnly = true;
    $('code-change').hidden = !!m;
  }

  function edit(m) {
    clearErrors();
    showSaved(m);
    $('f-advanced').open = false;
    autoCode = m ? '' : nextMeetingCode();
    $('f-code').value = m ? m.code : autoCode;
    $('f-title').value = m ? m.title : '';
    $('f-kind').value = m ? m.kind : 'work_report';
    $('f-host').value = m ? (m.host || '') : '';
    $('f-date').value = m ? m.date : '';
    var boxes = $('f-staff').querySelectorAll('input');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = !!m && (m.staff || []).indexOf(boxes[i].value) >= 0;
    var gs = $('f-groups');
    gs.textContent = '';
    ((m && m.groups) || [{}]).forEach(function (g) { gs.appendChild(groupRow(g)); });
  }

  function save(ev) {
    ev.preventDefault();
    clearErrors();
    var body = { title: $('f-title').value.trim(), kind: $('f-kind').value, host: $('f-host').value, date: $('f-date').value, staff: [], groups: [] };
    var boxes = $('f-staff').querySelectorAll('input:checked');
    for (var i = 0; i < boxes.length; i++) body.staff.push(boxes[i].value);
    var rows = $('f-groups').children;
    for (var j = 0; j < rows.length; j++) {
      body.groups.push({ code: rows[j].querySelector('[name=gcode]').value.trim(), name: rows[j].querySelector('[name=gname]').value.trim(),
        form: rows[j].querySelector('[name=gform]').value });
    }
    if (!saved && !$('f-code').value.trim()) $('f-code').value = autoCode = nextMeetingCode();
    var code = $('f-code').value.trim();
    if (!CODE.test(code)) {
      mark(fieldOf('code'), tt('mt.badCode', '编码须为 1–64 位字母、数字、_ . -，以字母或数字开头，如 M01'));
      focusFirst();
      return;
    }
    $('save').disabled = true;
    // Saving a meeting replaces the one under its code: a new meeting first
    // makes sure its code is still free (another admin, or a list not yet
    // reloaded), taking the next automatic code if it is not.
    var free = saved ? Promise.resolve(code) : C.api('GET', base + '/meetings/' + enc(code)).then(function (r) {
      if (r.status !== 200) return code;
      meetings.push(r.data);
      if (code !== autoCode) return null;
      code = autoCode = nextMeetingCode();
      $('f-code').value = code;
      return code;
    });
    free.then(function (c) {
      if (c === null) {
        $('save').disabled = false;
        mark(fieldOf('code'), tt('mt.codeTaken', '编码 {0} 已被会议“{1}”使用，请换一个', code, meetings[meetings.length - 1].title));
        focusFirst();
        return;
      }
      return C.api('PUT', base + '/meetings/' + enc(c), body).then(function (r) {
        $('save').disabled = false;
        if (r.status === 200 || r.status === 201) {
          var msg = $('form-msg');
          msg.className = 'msg ok';
          msg.textContent = r.status === 201 ? tt('mt.created', '已创建会议：{0}', r.data.title) : tt('mt.saved', '已保存：{0}', r.data.title);
          if (r.status === 201) meetings.push(r.data);
          showSaved(r.data);
          loadList();
          return;
        }
        showErrors(r.data);
      });
    }).then(null, function () {
      $('save').disabled = false;
      var msg = $('form-msg');
      msg.className = 'msg bad';
      msg.textContent = L('网络连接失败，会议没有保存，请重试。', 'The network failed: the meeting was not saved. Please try again.');
    });
  }

  function unitOption(u) {
    return C.el('option', { value: u.code, text: u.name + '（' + (u.kind === 'town' ? L('镇', 'town') : L('县级部门', 'county department')) + '）' });
  }

  function fillChoices() {
    var host = $('f-host'), keep = host.value;
    while (host.options.length > 1) host.removeChild(host.options[1]);
    units.forEach(function (u) { host.appendChild(unitOption(u)); });
    host.value = keep;
    var staff = $('f-staff');
    staff.textContent = '';
    if (!users.length) staff.appendChild(C.el('span', { 'class': 'hint', text: tt('mt.noStaff', '还没有考核组账号：请先在“账号”中添加。') }));
    users.forEach(function (u) {
      var who = u.display_name ? u.display_name + '（' + u.name + '）' : u.name;
      staff.appendChild(C.el('label', {}, [C.el('input', { type: 'checkbox', name: 'staff', value: u.name }), who]));
    });
  }

  function loadEditor() {
    Promise.all([C.api('GET', base + '/units'), C.api('GET', base + '/forms'), C.api('GET', '/users'), loadList()]).then(function (rs) {
      units = rs[0].status === 200 ? rs[0].data : [];
      forms = rs[1].status === 200 ? rs[1].data.forms : [];
      users = rs[2].status === 200 ? rs[2].data.users.filter(function (u) { return u.role === 'group'; }) : [];
      fillChoices();
      edit(null);
      renderList();
    });
  }

  D.addEventListener('DOMContentLoaded', function () {
    var page = $('meetings-page');
    cycle = page.getAttribute('data-cycle');
    base = '/cycles/' + enc(cycle);
    isAdmin = D.body.getAttribute('data-role') === 'admin' && !!$('meeting-form');
    // The heading names the year by its name, not its code.
    C.api('GET', '/cycles').then(function (r) {
      var name = cycle;
      if (r.status === 200) (r.data.cycles || []).forEach(function (cy) { if (cy.code === cycle && cy.name) name = cy.name; });
      $('cycle-name').textContent = name;
    }, function () { $('cycle-name').textContent = cycle; });
    D.addEventListener('cp:lang', function () {
      renderList();
      if (isAdmin) {
        showSaved(saved);
      }
    });
    if (isAdmin) {
      $('meeting-form').addEventListener('submit', save);
      // Fixing a marked field clears its mark and message.
      $('meeting-form').addEventListener('input', function (ev) {
        var el = ev.target;
        if (!el.classList || !el.classList.contains('invalid')) return;
        el.classList.remove('invalid');
        el.removeAttribute('aria-invalid');
        var slot = el.parentNode.querySelector('.field-error');
        if (slot) slot.textContent = '';
      });
      $('add-group').addEventListener('click', function () {
        var row = groupRow({});
        $('f-groups').appendChild(row);
        row.querySelector('[name=gname]').focus();
      });
      $('code-change').addEventListener('click', function () { $('f-code').readOnly = false; $('f-code').focus(); });
      $('reset').addEventListener('click', function () { edit(null); $('f-title').focus(); });
      loadEditor();
    } else {
      C.api('GET', base + '/units').then(function (r) { if (r.status === 200) units = r.data; renderList(); });
      loadList();
    }
  });
})();
