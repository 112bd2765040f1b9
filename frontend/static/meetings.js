/* The meetings of a year: everyone sees the meetings they may read; admins
 * create and edit them (until they open), with a message next to each
 * field the server refuses. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'mt.title': 'Meetings', 'mt.new': 'New meeting', 'mt.edit': 'Edit meeting', 'mt.code': 'Meeting code', 'mt.name': 'Title',
    'mt.kind': 'Kind', 'mt.host': 'Unit assessed', 'mt.date': 'Date', 'mt.staff': 'Assessment-group staff (open, close, print slips)',
    'mt.groups': 'Voter groups (one form each)', 'mt.addGroup': 'Add a group', 'mt.reset': 'Start a new meeting',
    'mt.groupCode': 'Group code', 'mt.groupName': 'Group name', 'mt.form': 'Form', 'mt.remove': 'Remove',
    'mt.run': 'Run', 'mt.editBtn': 'Edit', 'mt.tally': 'Tally sheet', 'mt.none': 'No meetings yet.', 'mt.noStaff': 'No group accounts yet: add them under Users.'
  });
  var L = C.pick;
  var tt = C.t;
  var KIND = { work_report: ['工作报告大会', 'Work-report meeting'], conference: ['全县领导干部大会', 'Leading-cadres conference'],
    social: ['社会评价', 'Social evaluation'], group: ['考核组评价', 'Assessment-group evaluation'], other: ['其他', 'Other'] };
  var STATUS = { pending: ['未开始', 'not opened'], open: ['进行中', 'open'], closed: ['已结束', 'closed'] };
  function two(m, k) { var v = m[k]; return v ? L(v[0], v[1]) : k; }

  var cycle, base, units = [], forms = [], users = [], meetings = [];
  var isAdmin = false;
  function $(id) { return D.getElementById(id); }
  function enc(s) { return encodeURIComponent(s); }

  function unitName(code) { var u = units.filter(function (x) { return x.code === code; })[0]; return u ? u.name : code; }

  function renderList() {
    var list = $('meeting-list');
    list.textContent = '';
    if (!meetings.length) list.appendChild(C.el('li', { text: tt('mt.none', '还没有会议。') }));
    meetings.forEach(function (m) {
      var href = '/console/cycles/' + enc(cycle) + '/meetings/' + enc(m.code);
      var acts = C.el('p', { 'class': 'actions' }, [C.el('a', { 'class': 'button primary', href: href, text: tt('mt.run', '进入会议') })]);
      if (m.status === 'closed') acts.appendChild(C.el('a', { 'class': 'button', href: href + '/tally', text: tt('mt.tally', '计票单') }));
      if (isAdmin && m.status === 'pending') {
        var b = C.el('button', { type: 'button', 'data-edit': m.code, text: tt('mt.editBtn', '编辑') });
        b.addEventListener('click', function () { edit(m); });
        acts.appendChild(b);
      }
      var info = [two(KIND, m.kind)];
      if (m.host) info.push(unitName(m.host));
      info.push(m.date);
      var groups = (m.groups || []).map(function (g) { return g.name; }).join('、');
      list.appendChild(C.el('li', { 'data-meeting': m.code }, [
        C.el('h3', {}, [C.el('a', { href: href, text: m.title }), ' ', C.el('span', { 'class': 'badge ' + m.status, text: two(STATUS, m.status) })]),
        C.el('p', { 'class': 'hint', text: info.join(' · ') }),
        C.el('p', { 'class': 'hint', text: L('参评类别：', 'Voter groups: ') + (groups || '—') + (m.staff && m.staff.length ? L('；工作人员：', '; staff: ') + m.staff.join('、') : '') }),
        acts]));
    });
  }

  function loadList() {
    C.api('GET', base + '/meetings').then(function (r) {
      if (r.status !== 200) { $('list-msg').textContent = C.errorText(r.data); $('meeting-list').textContent = ''; return; }
      meetings = r.data.meetings;
      renderList();
    });
  }

  // ---- the editor (admins) ----
  function groupRow(g) {
    var row = C.el('div', { 'class': 'group-row' });
    var code = C.el('input', { name: 'gcode', required: '', value: g.code || '', placeholder: 'cadres' });
    var name = C.el('input', { name: 'gname', required: '', value: g.name || '', placeholder: '机关干部' });
    var form = C.el('select', { name: 'gform' });
    forms.forEach(function (f) { form.appendChild(C.el('option', { value: f.code, text: f.title + '（' + f.code + '）' })); });
    if (g.form) form.value = g.form;
    var rm = C.el('button', { type: 'button', 'class': 'danger small', text: tt('mt.remove', '删除') });
    rm.addEventListener('click', function () { row.parentNode.removeChild(row); });
    function field(label, key, input, what) {
      return C.el('label', {}, [C.el('span', { 'data-i18n': key, text: label }), input, C.el('span', { 'class': 'field-error', 'data-gfield': what })]);
    }
    row.appendChild(field(tt('mt.groupCode', '类别编码'), 'mt.groupCode', code, 'code'));
    row.appendChild(field(tt('mt.groupName', '类别名称'), 'mt.groupName', name, 'name'));
    row.appendChild(field(tt('mt.form', '测评表'), 'mt.form', form, 'form'));
    row.appendChild(rm);
    return row;
  }

  function clearErrors() {
    var errs = D.querySelectorAll('#meeting-form .field-error');
    for (var i = 0; i < errs.length; i++) errs[i].textContent = '';
    $('form-msg').textContent = '';
  }

  // showErrors puts each detail next to its field: "title", "groups[1].form", "staff[0]"…
  function showErrors(data) {
    var details = (data && data.error && data.error.details) || [];
    var rest = [];
    details.forEach(function (d) {
      var f = d.field || '', m, target = null;
      if ((m = /^groups\[(\d+)\]\.(\w+)$/.exec(f))) {
        var row = $('f-groups').children[+m[1]];
        if (row) target = row.querySelector('[data-gfield="' + m[2] + '"]');
      } else if (/^staff\[\d+\]$/.test(f)) {
        target = D.querySelector('#meeting-form [data-field="staff"]');
      } else if (f) {
        target = D.querySelector('#meeting-form [data-field="' + f + '"]');
      }
      if (target) target.textContent = (target.textContent ? target.textContent + ' ' : '') + d.message;
      else rest.push(d.message);
    });
    var msg = $('form-msg');
    msg.className = 'msg bad';
    msg.textContent = data && data.error ? data.error.message + (rest.length ? '：' + rest.join('；') : '') : String(data);
  }

  function edit(m) {
    clearErrors();
    $('editor-title').textContent = m ? L('编辑会议：', 'Edit meeting: ') + m.title : tt('mt.new', '新建会议');
    $('f-code').value = m ? m.code : '';
    $('f-code').readOnly = !!m;
    $('f-title').value = m ? m.title : '';
    $('f-kind').value = m ? m.kind : 'work_report';
    $('f-host').value = m ? (m.host || '') : '';
    $('f-date').value = m ? m.date : '';
    var boxes = $('f-staff').querySelectorAll('input');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = !!m && (m.staff || []).indexOf(boxes[i].value) >= 0;
    var gs = $('f-groups');
    gs.textContent = '';
    ((m && m.groups) || [{}]).forEach(function (g) { gs.appendChild(groupRow(g)); });
    if (m) $('editor').scrollIntoView();
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
    var code = $('f-code').value.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(code)) {
      D.querySelector('#meeting-form [data-field="code"]').textContent = L('编码须为 1–64 位字母、数字、_ . -，以字母或数字开头', '1–64 letters, digits, _ . -, starting with a letter or digit');
      return;
    }
    $('save').disabled = true;
    C.api('PUT', base + '/meetings/' + enc(code), body).then(function (r) {
      $('save').disabled = false;
      if (r.status === 200 || r.status === 201) {
        var msg = $('form-msg');
        msg.className = 'msg ok';
        msg.textContent = (r.status === 201 ? L('已创建会议：', 'Created: ') : L('已保存：', 'Saved: ')) + r.data.title;
        $('f-code').readOnly = true;
        loadList();
        return;
      }
      showErrors(r.data);
    });
  }

  function loadEditor() {
    Promise.all([C.api('GET', base + '/units'), C.api('GET', base + '/forms'), C.api('GET', '/users')]).then(function (rs) {
      units = rs[0].status === 200 ? rs[0].data : [];
      forms = rs[1].status === 200 ? rs[1].data.forms : [];
      users = rs[2].status === 200 ? rs[2].data.users.filter(function (u) { return u.role === 'group'; }) : [];
      var host = $('f-host');
      units.forEach(function (u) { host.appendChild(C.el('option', { value: u.code, text: u.name + '（' + u.code + '，' + (u.kind === 'town' ? L('镇', 'town') : L('部门', 'department')) + '）' })); });
      var staff = $('f-staff');
      if (!users.length) staff.appendChild(C.el('span', { 'class': 'hint', text: tt('mt.noStaff', '还没有考核组账号：请先在“账号”中添加。') }));
      users.forEach(function (u) {
        staff.appendChild(C.el('label', {}, [C.el('input', { type: 'checkbox', name: 'staff', value: u.name }), u.name]));
      });
      edit(null);
      renderList();
    });
  }

  D.addEventListener('DOMContentLoaded', function () {
    var page = $('meetings-page');
    cycle = page.getAttribute('data-cycle');
    base = '/cycles/' + enc(cycle);
    isAdmin = D.body.getAttribute('data-role') === 'admin';
    D.addEventListener('cp:lang', function () { renderList(); });
    if (isAdmin) {
      $('meeting-form').addEventListener('submit', save);
      $('add-group').addEventListener('click', function () { $('f-groups').appendChild(groupRow({})); });
      $('reset').addEventListener('click', function () { edit(null); });
      loadEditor();
    } else {
      C.api('GET', base + '/units').then(function (r) { if (r.status === 200) units = r.data; renderList(); });
    }
    loadList();
  });
})();
