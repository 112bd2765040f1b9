/* Accounts (admin): list, add, name, role (an assessor with its body, a
 * unit account with its unit), reset a password, sign out everywhere,
 * delete; bulk creation from a spreadsheet and the printable hand-out of
 * the generated passwords, drawn here from the import's answer only (the
 * passwords are kept in this page's memory until it is closed, never
 * stored or sent again).
 * Hooks: #users tr[data-user], tr.user-edit[data-for][data-edit=password|name|role],
 * #new-user, #new-user-msg, #list-msg, #bulk-file, #bulk-preview, #bulk-confirm,
 * #handout .slip[data-user]. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'users.title': 'Accounts', 'users.list': 'Accounts', 'users.name': 'Login name', 'users.role': 'Role', 'users.actions': 'Actions',
    'users.display': 'Name', 'users.displayOpt': 'Name (optional)', 'users.displayHint': 'shown in the meeting staff list',
    'users.roles': 'Admin: sets up years, forms and meetings, sees all results. Assessment group: runs the meetings assigned to it (issues slips, starts and ends the assessment). Read-only: reads results (e.g. the organization department). Body data entry: enters the values of the indicators its body (e.g. the statistics bureau) is responsible for. Assessed unit: reads its own indicators and approved values. When someone forgets their password, an admin presses "Reset password", sets a new one and tells them. Resetting a password, changing a role and "Sign out everywhere" sign that account out on every device (use "Sign out everywhere" when a phone is lost).',
    'users.add': 'Add an account', 'users.password': 'Initial password', 'users.create': 'Add', 'users.gen': 'Generate password',
    'users.nameHint': 'letters or digits, e.g. zhangsan', 'users.pwHint': 'at least 8 characters; tell the person',
    'users.delete': 'Delete', 'users.you': '(you)', 'users.reset': 'Reset password', 'users.rename': 'Edit name', 'users.own': 'Change my password',
    'users.newPw': 'New password for {0}', 'users.setPw': 'Set password', 'users.cancel': 'Cancel', 'users.save': 'Save',
    'users.nameFor': 'Name of {0}', 'users.pwDone': 'The password of {0} is reset. Tell the person the new password.',
    'users.renamed': 'Saved the name of {0}.', 'users.pwShort': 'At least 8 characters.',
    'users.asciiName': 'Login names use letters or digits (e.g. zhangsan); put the person\'s name under "Name".',
    'users.pwShown': 'New password of {0}:', 'users.pwOnce': 'Shown only until you close it: tell the person now.',
    'users.copy': 'Copy', 'users.copied': 'Copied', 'users.dismiss': 'Done, hide it',
    'users.confirm': 'Delete account {0}? This cannot be undone.', 'users.deleted': 'Deleted {0}.', 'users.created': 'Added {0}.',
    'users.changeRole': 'Change role', 'users.roleFor': 'Role of {0}', 'users.roleDone': 'The role of {0} is changed; {0} signs in again to use it.',
    'users.signout': 'Sign out everywhere', 'users.signoutConfirm': 'Sign {0} out on every device? The password stays; {0} signs in again.',
    'users.signedOut': '{0} is signed out on every device.',
    'role.assessor': 'Body data entry', 'role.unit': 'Assessed unit', 'users.bound': 'Body / unit',
    'users.body': 'Body', 'users.unit': 'Unit', 'users.bodyHint': 'add bodies under "Bodies" in a year\'s set-up',
    'users.needBody': 'Choose the body this account enters data for.', 'users.needUnit': 'Choose the unit of this account.',
    'users.noBodies': 'No year has bodies yet: add them in a year\'s set-up first.', 'users.noUnits': 'No year has units yet.',
    'users.bodyFor': 'Body of {0}', 'users.unitFor': 'Unit of {0}',
    'users.bulk': 'Add accounts in bulk', 'users.bulkHint': 'Create the accounts of the bodies and assessed units at once: download the template, one account per row (login name, name, role, body or unit), upload it to check, then confirm. Each account gets a generated password shown only once: print the hand-out slips now, cut them apart and give them out.',
    'imp.xlsx': 'Excel template', 'imp.csv': 'CSV template', 'imp.choose': 'Choose file', 'imp.limit': 'Excel or CSV file, at most 1 MB',
    'imp.checking': 'Checking the file…', 'imp.tooBig': 'The file is over 1 MB: split it.', 'imp.cancel': 'Cancel',
    'bulk.checked': 'File "{0}" checked: {1} account(s) to create.', 'bulk.confirm': 'Create {0} account(s)', 'bulk.creating': 'Creating the accounts and their passwords…',
    'bulk.done': 'Created {0} account(s). Print the hand-out below now: the passwords are shown only this once.',
    'bulk.bad': 'Nothing was created. Fix these cells and choose the file again:', 'net.error': 'Network connection failed; please try again.',
    'users.handout': 'Account hand-out', 'users.handoutOnce': 'The initial passwords are shown only this once and are not stored in plain text: print them now (or save as PDF). After leaving or reloading this page they cannot be shown again.',
    'users.print': 'Print the hand-out', 'users.handoutClose': 'Printed, close', 'users.handoutCloseConfirm': 'Close the hand-out? The passwords cannot be shown again.',
    'slip.title': 'Ceping account', 'slip.address': 'Address', 'slip.login': 'Login name', 'slip.who': 'Name', 'slip.role': 'Role', 'slip.password': 'Initial password',
    'slip.change': 'Change the password after the first sign-in.'
  });
  var T = C.t;
  var ROLE = { admin: ['role.admin', '管理员'], group: ['role.group', '考核组'], viewer: ['role.viewer', '只读'],
    assessor: ['role.assessor', '考核主体填报'], unit: ['role.unit', '被考核单位'] };
  var ROLES = ['group', 'viewer', 'admin', 'assessor', 'unit'];
  // binds: the bodies and units of every year, code → name, for the
  // choosers and to show an account's binding by name.
  var binds = { body: {}, unit: {} };
  var LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
  function roleName(r) { return ROLE[r] ? T(ROLE[r][0], ROLE[r][1]) : r; }
  // detailText is a detail's message in the page's language.
  function detailText(d) { return C.pick(d.message, d.message_en || d.message); }
  var users = [], open = null; // open: {name, kind} of the row editor shown
  var shown = null; // shown: {name, password} just set, shown until dismissed
  function $(id) { return D.getElementById(id); }
  function say(id, text, ok) { var m = $(id); m.textContent = text; m.className = 'msg ' + (ok ? 'ok' : 'bad'); }
  function password() {
    var chars = 'abcdefghijkmnpqrstuvwxyz23456789', a = new Uint8Array(12), s = '';
    crypto.getRandomValues(a);
    for (var i = 0; i < a.length; i++) s += chars[a[i] % chars.length];
    return s;
  }

  // editor is the row under an account's row: a new password, or its name.
  function editor(u, kind) {
    if (kind === 'role') return roleEditor(u);
    var input = C.el('input', kind === 'password' ? { type: 'text', autocomplete: 'new-password', minlength: '8', maxlength: '72', 'aria-label': T('users.newPw', '{0} 的新密码', u.name) }
      : { type: 'text', maxlength: '32', placeholder: '如：张三', value: u.display_name || '', 'aria-label': T('users.nameFor', '{0} 的姓名', u.name) });
    var err = C.el('small', { 'class': 'field-error' });
    var ok = C.el('button', { type: 'submit', 'class': 'primary', text: kind === 'password' ? T('users.setPw', '设为新密码') : T('users.save', '保存') });
    var no = C.el('button', { type: 'button', text: T('users.cancel', '取消') });
    var kids = [C.el('label', {}, [C.el('span', { text: kind === 'password' ? T('users.newPw', '{0} 的新密码', u.name) : T('users.nameFor', '{0} 的姓名', u.name) }), input, err])];
    var actions = C.el('div', { 'class': 'actions' }, [ok]);
    if (kind === 'password') {
      var gen = C.el('button', { type: 'button', text: T('users.gen', '生成密码') });
      gen.addEventListener('click', function () { input.value = password(); });
      actions.appendChild(gen);
    }
    actions.appendChild(no);
    kids.push(actions);
    var form = C.el('form', { 'class': 'form inline', novalidate: '' }, kids);
    no.addEventListener('click', function () { open = null; render(); });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      err.textContent = '';
      var req;
      if (kind === 'password') {
        if (input.value.length < 8) { err.textContent = T('users.pwShort', '新密码至少 8 个字符。'); input.focus(); return; }
        req = C.api('PUT', '/users/' + encodeURIComponent(u.name) + '/password', { password: input.value });
      } else {
        req = C.api('PATCH', '/users/' + encodeURIComponent(u.name), { display_name: input.value.trim() });
      }
      ok.disabled = true;
      req.then(function (r) {
        ok.disabled = false;
        if (r.status === 204 || r.status === 200) {
          open = null;
          if (kind === 'password') shown = { name: u.name, password: input.value };
          say('list-msg', kind === 'password' ? T('users.pwDone', '已重置 {0} 的密码。请把新密码告知本人。', u.name) : T('users.renamed', '已保存 {0} 的姓名。', u.name), true);
          load();
          return;
        }
        var ds = (r.data && r.data.error && r.data.error.details) || [];
        err.textContent = ds.length ? ds.map(detailText).join('；') : C.errorText(r.data);
      });
    });
    setTimeout(function () { input.focus(); }, 0);
    return C.el('tr', { 'class': 'user-edit', 'data-for': u.name, 'data-edit': kind }, [C.el('td', { colspan: '5' }, [form])]);
  }

  // bindSelect is a chooser of the bodies or units of every year.
  function bindSelect(kind, value) {
    var sel = C.el('select', { name: kind }), codes = Object.keys(binds[kind]).sort();
    sel.appendChild(C.el('option', { value: '', text: '—' }));
    codes.forEach(function (c) { sel.appendChild(C.el('option', { value: c, text: c + ' ' + binds[kind][c] })); });
    if (value && !binds[kind][value]) sel.appendChild(C.el('option', { value: value, text: value }));
    sel.value = value || '';
    return sel;
  }
  function fillBind(sel, kind) {
    var v = sel.value, fresh = bindSelect(kind, v);
    sel.textContent = '';
    while (fresh.firstChild) sel.appendChild(fresh.firstChild);
    sel.value = v;
  }
  function kindOf(role) { return role === 'assessor' ? 'body' : role === 'unit' ? 'unit' : ''; }
  function needText(kind) {
    if (kind === 'body') return Object.keys(binds.body).length ? T('users.needBody', '请选择该账号填报的考核主体。') : T('users.noBodies', '还没有任何年度添加考核主体：请先在年度设置中添加。');
    return Object.keys(binds.unit).length ? T('users.needUnit', '请选择该账号所属的单位。') : T('users.noUnits', '还没有任何年度添加单位。');
  }
  // boundText is an account's body or unit by name: "县统计局（TJJ）".
  function boundText(u) {
    var kind = u.body ? 'body' : u.unit ? 'unit' : '', code = u.body || u.unit;
    if (!kind) return '—';
    return binds[kind][code] ? binds[kind][code] + '（' + code + '）' : code;
  }

  // roleEditor is the row under an account's row that changes its role,
  // with the body or unit an assessor or a unit account is bound to.
  function roleEditor(u) {
    var sel = C.el('select', { 'aria-label': T('users.roleFor', '{0} 的角色', u.name) });
    ROLES.forEach(function (r) {
      var o = C.el('option', { value: r, text: roleName(r) });
      if (r === u.role) o.selected = true;
      sel.appendChild(o);
    });
    var body = bindSelect('body', u.body), unit = bindSelect('unit', u.unit);
    body.setAttribute('aria-label', T('users.bodyFor', '{0} 的考核主体', u.name));
    unit.setAttribute('aria-label', T('users.unitFor', '{0} 的单位', u.name));
    var bodyLabel = C.el('label', { 'data-bind': 'body' }, [C.el('span', { text: T('users.body', '所属考核主体') }), body]);
    var unitLabel = C.el('label', { 'data-bind': 'unit' }, [C.el('span', { text: T('users.unit', '所属单位') }), unit]);
    function toggle() { bodyLabel.hidden = sel.value !== 'assessor'; unitLabel.hidden = sel.value !== 'unit'; }
    toggle();
    sel.addEventListener('change', toggle);
    var err = C.el('small', { 'class': 'field-error' });
    var ok = C.el('button', { type: 'submit', 'class': 'primary', text: T('users.save', '保存') });
    var no = C.el('button', { type: 'button', text: T('users.cancel', '取消') });
    var form = C.el('form', { 'class': 'form inline', novalidate: '' }, [
      C.el('label', {}, [C.el('span', { text: T('users.roleFor', '{0} 的角色', u.name) }), sel]), bodyLabel, unitLabel, err,
      C.el('div', { 'class': 'actions' }, [ok, no])]);
    no.addEventListener('click', function () { open = null; render(); });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      err.textContent = '';
      var kind = kindOf(sel.value), req = { role: sel.value };
      if (kind) {
        req[kind] = kind === 'body' ? body.value : unit.value;
        if (!req[kind]) { err.textContent = needText(kind); (kind === 'body' ? body : unit).focus(); return; }
      }
      if (sel.value === u.role && (!kind || req[kind] === (u.body || u.unit))) { open = null; render(); return; }
      ok.disabled = true;
      C.api('PATCH', '/users/' + encodeURIComponent(u.name), req).then(function (r) {
        ok.disabled = false;
        if (r.status === 200) {
          open = null;
          say('list-msg', T('users.roleDone', '已修改 {0} 的角色，{0} 需重新登录后生效。', u.name), true);
          load();
          return;
        }
        var ds = (r.data && r.data.error && r.data.error.details) || [];
        err.textContent = ds.length ? ds.map(detailText).join('；') : C.errorText(r.data);
      });
    });
    setTimeout(function () { sel.focus(); }, 0);
    return C.el('tr', { 'class': 'user-edit', 'data-for': u.name, 'data-edit': 'role' }, [C.el('td', { colspan: '5' }, [form])]);
  }

  // pwRow shows the password just set, selectable, with 复制 and 知道了:
  // it stays until the admin hides it or leaves the page.
  function pwRow(u) {
    var code = C.el('code', { 'class': 'pw-value', text: shown.password });
    var copy = C.el('button', { type: 'button', 'data-action': 'copy', text: T('users.copy', '复制') });
    copy.addEventListener('click', function () {
      var done = function () { copy.textContent = T('users.copied', '已复制'); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(shown.password).then(done, function () { select(code); });
      else select(code);
    });
    var hide = C.el('button', { type: 'button', 'data-action': 'dismiss', text: T('users.dismiss', '知道了，隐藏') });
    hide.addEventListener('click', function () { shown = null; say('list-msg', '', true); render(); });
    var box = C.el('div', { 'class': 'pw-shown', role: 'status' }, [
      C.el('span', { text: T('users.pwShown', '{0} 的新密码：', u.name) }), code,
      C.el('div', { 'class': 'actions' }, [copy, hide]),
      C.el('small', { 'class': 'hint', text: T('users.pwOnce', '只显示到您关闭为止，请现在告知本人。') })]);
    return C.el('tr', { 'class': 'user-pw', 'data-for': u.name }, [C.el('td', { colspan: '5' }, [box])]);
  }
  function select(node) {
    var r = D.createRange(); r.selectNodeContents(node);
    var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
  }

  function render() {
    var body = D.querySelector('#users tbody');
    body.textContent = '';
    var me = D.body.getAttribute('data-user');
    users.forEach(function (u) {
      var own = u.name === me, buttons = [];
      if (own) buttons.push(C.el('a', { 'class': 'button', href: '/console/password', text: T('users.own', '修改我的密码') }));
      else {
        var reset = C.el('button', { type: 'button', 'data-action': 'reset', text: T('users.reset', '重置密码') });
        reset.addEventListener('click', function () { open = { name: u.name, kind: 'password' }; render(); });
        buttons.push(reset);
      }
      var rename = C.el('button', { type: 'button', 'data-action': 'rename', text: T('users.rename', '修改姓名') });
      rename.addEventListener('click', function () { open = { name: u.name, kind: 'name' }; render(); });
      buttons.push(rename);
      if (!own) {
        var role = C.el('button', { type: 'button', 'data-action': 'role', text: T('users.changeRole', '修改角色') });
        role.addEventListener('click', function () { open = { name: u.name, kind: 'role' }; render(); });
        buttons.push(role);
        var out = C.el('button', { type: 'button', 'data-action': 'signout', text: T('users.signout', '强制退出') });
        out.addEventListener('click', function () { signOut(u.name); });
        buttons.push(out);
      }
      var del = C.el('button', { type: 'button', 'class': 'danger', 'data-name': u.name, 'data-action': 'delete', text: T('users.delete', '删除') });
      if (own) del.disabled = true;
      del.addEventListener('click', function () { remove(u.name); });
      buttons.push(del);
      // data-label: the column's name, shown above the value on a phone.
      body.appendChild(C.el('tr', { 'data-user': u.name }, [
        C.el('td', { 'data-label': T('users.name', '登录名'), text: u.name + (own ? ' ' + T('users.you', '（当前账号）') : '') }),
        C.el('td', { 'data-label': T('users.display', '姓名'), text: u.display_name || '—' }),
        C.el('td', { 'data-label': T('users.role', '角色'), text: roleName(u.role) }),
        C.el('td', { 'data-label': T('users.bound', '考核主体 / 单位'), 'class': 'bound', text: boundText(u) }),
        C.el('td', { 'class': 'actions-cell' }, [C.el('div', { 'class': 'row-actions' }, buttons)])]));
      if (shown && shown.name === u.name) body.appendChild(pwRow(u));
      if (open && open.name === u.name) body.appendChild(editor(u, open.kind));
    });
  }
  function load() {
    return C.api('GET', '/users').then(function (r) {
      if (r.status !== 200) { say('list-msg', C.errorText(r.data), false); return; }
      users = r.data.users || [];
      render();
    });
  }
  function signOut(name) {
    if (!confirm(T('users.signoutConfirm', '让 {0} 在所有设备上退出登录吗？密码不变，{0} 需重新登录。', name))) return;
    C.api('POST', '/users/' + encodeURIComponent(name) + '/sessions/revoke').then(function (r) {
      if (r.status === 204) say('list-msg', T('users.signedOut', '{0} 已在所有设备上退出登录。', name), true);
      else say('list-msg', C.errorText(r.data), false);
    });
  }
  function remove(name) {
    if (!confirm(T('users.confirm', '确定删除账号 {0} 吗？删除后不能恢复。', name))) return;
    C.api('DELETE', '/users/' + encodeURIComponent(name)).then(function (r) {
      if (r.status === 204) { say('list-msg', T('users.deleted', '已删除 {0}。', name), true); load(); }
      else say('list-msg', C.errorText(r.data), false);
    });
  }
  // loadBinds reads the bodies and units of every year (later years last,
  // so their names win) and refreshes what shows them.
  function loadBinds() {
    return C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) return;
      var cycles = r.data.cycles || [], chain = Promise.resolve();
      cycles.forEach(function (cy) {
        var base = '/cycles/' + encodeURIComponent(cy.code);
        chain = chain.then(function () { return C.api('GET', base + '/bodies'); }).then(function (b) {
          if (b.status === 200) (b.data || []).forEach(function (x) { binds.body[x.code] = x.name; });
          return C.api('GET', base + '/units');
        }).then(function (u) {
          if (u.status === 200) (u.data || []).forEach(function (x) { binds.unit[x.code] = x.name; });
        });
      });
      return chain;
    }).then(function () {
      var f = $('new-user');
      fillBind(f.elements.namedItem('body'), 'body');
      fillBind(f.elements.namedItem('unit'), 'unit');
      render();
    });
  }

  // ---- Bulk creation and the hand-out ----

  function upload(file, dry) {
    var fd = new FormData();
    fd.append('file', file, file.name);
    return fetch('/api/v1/users/import' + (dry ? '?dry_run=1' : ''), {
      method: 'POST', credentials: 'same-origin', body: fd, headers: { 'X-CSRF-Token': C.csrf, 'Accept': 'application/json' }
    }).then(function (r) {
      if (r.status === 401) location.href = '/console/login?next=' + encodeURIComponent(location.pathname);
      var ct = r.headers.get('Content-Type') || '';
      return (ct.indexOf('json') >= 0 ? r.json() : r.text()).then(function (d) { return { status: r.status, data: d }; });
    }, function () { return { status: 0, data: { error: { message: T('net.error', '网络连接失败，请重试。') } } }; });
  }
  // place is a detail's cell ("第 5 行 D 列（考核主体/单位）") when it names one.
  function place(d) { return d.field && /[\u4e00-\u9fff]/.test(d.field) ? d.field + '：' : ''; }
  function problems(box, data) {
    box.className = 'preview bad';
    box.textContent = '';
    var e = (data && data.error) || { message: String(data) };
    box.appendChild(C.el('p', { text: C.msg(e) }));
    var list = C.el('ul', { 'class': 'problems' });
    (e.details || []).forEach(function (d) { list.appendChild(C.el('li', { text: place(d) + C.msg(d) })); });
    if ((e.details || []).length) box.appendChild(list);
  }
  function accountLine(a) {
    var bound = a.body || a.unit ? '，' + (a.bound_name || '') + '（' + (a.body || a.unit) + '）' : '';
    return a.name + (a.display_name ? ' ' + a.display_name : '') + '：' + roleName(a.role) + bound;
  }
  function bulk() {
    var input = $('bulk-file'), box = $('bulk-preview'), f = input.files && input.files[0];
    if (!f) return;
    box.hidden = false;
    box.className = 'preview';
    box.textContent = T('imp.checking', '正在检查文件…');
    if (f.size > 1048576 - 4096) { box.className = 'preview bad'; box.textContent = T('imp.tooBig', '文件超过 1 MB，请拆分后分批导入。'); input.value = ''; return; }
    upload(f, true).then(function (r) {
      if (r.status !== 200) { problems(box, r.data); input.value = ''; return; }
      var list = r.data.accounts || [];
      box.textContent = '';
      box.appendChild(C.el('p', { text: T('bulk.checked', '文件“{0}”检查通过：将新建 {1} 个账号。', f.name, list.length) }));
      var ul = C.el('ul', { 'class': 'problems' });
      list.forEach(function (a) { ul.appendChild(C.el('li', { text: accountLine(a) })); });
      box.appendChild(ul);
      var ok = C.el('button', { type: 'button', 'class': 'primary', id: 'bulk-confirm', text: T('bulk.confirm', '新建 {0} 个账号', list.length) });
      var no = C.el('button', { type: 'button', text: T('imp.cancel', '取消') });
      box.appendChild(C.el('div', { 'class': 'actions' }, [ok, no]));
      no.addEventListener('click', function () { box.hidden = true; input.value = ''; });
      ok.addEventListener('click', function () {
        ok.disabled = no.disabled = true;
        box.appendChild(C.el('p', { 'class': 'hint', text: T('bulk.creating', '正在新建账号并生成密码…') }));
        upload(f, false).then(function (r2) {
          input.value = '';
          if (r2.status !== 201) { problems(box, r2.data); return; }
          var made = r2.data.accounts || [];
          box.className = 'preview';
          box.textContent = T('bulk.done', '已新建 {0} 个账号。请立即打印下方的账号通知单：密码只显示这一次。', made.length);
          handout(made, r2.data.console_url);
          load();
        });
      });
    });
  }
  // handout draws one slip per account from the import's answer: nothing
  // is fetched again, nothing kept after the page is left.
  function handout(accounts, url) {
    var addr = url && /^https?:\/\//.test(url) ? url : location.protocol + '//' + location.host + '/console';
    var box = $('handout-slips');
    box.textContent = '';
    accounts.forEach(function (a) {
      var rows = [[T('slip.address', '系统地址'), addr, 'addr'], [T('slip.login', '登录名'), a.name, 'login']];
      if (a.display_name) rows.push([T('slip.who', '姓名'), a.display_name, '']);
      rows.push([T('slip.role', '角色'), roleName(a.role) + (a.bound_name ? '：' + a.bound_name : ''), '']);
      rows.push([T('slip.password', '初始密码'), a.password, 'pw']);
      var dl = C.el('dl');
      rows.forEach(function (x) { dl.appendChild(C.el('dt', { text: x[0] })); dl.appendChild(C.el('dd', { 'class': x[2], text: x[1] })); });
      box.appendChild(C.el('div', { 'class': 'slip', 'data-user': a.name }, [
        C.el('h3', { text: T('slip.title', '测评系统账号通知单') }), dl,
        C.el('p', { 'class': 'slip-note', text: T('slip.change', '首次登录后请修改密码。') })]));
    });
    $('handout').hidden = false;
    D.body.classList.add('print-handout');
    $('handout').scrollIntoView();
  }
  function closeHandout() {
    if (!confirm(T('users.handoutCloseConfirm', '关闭通知单吗？关闭后无法再看到这些密码。'))) return;
    $('handout-slips').textContent = '';
    $('handout').hidden = true;
    D.body.classList.remove('print-handout');
  }

  D.addEventListener('DOMContentLoaded', function () {
    D.addEventListener('cp:lang', function () { render(); });
    load();
    loadBinds();
    var f = $('new-user'), field = function (n) { return f.elements.namedItem(n); };
    $('gen-pw').addEventListener('click', function () { field('password').value = password(); });
    function slot(name) { return f.querySelector('.field-error[data-for="' + name + '"]'); }
    // The role decides which binding is asked for.
    function toggleBind() { $('bind-body').hidden = field('role').value !== 'assessor'; $('bind-unit').hidden = field('role').value !== 'unit'; }
    field('role').addEventListener('change', toggleBind);
    toggleBind();
    // A Chinese name typed as the login name: say where it goes at once.
    field('name').addEventListener('input', function () {
      var v = field('name').value.trim();
      slot('name').textContent = v && !LOGIN.test(v) ? T('users.asciiName', '登录名请用字母或数字（如 zhangsan），姓名填在“姓名”一栏') : '';
    });
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var errs = f.querySelectorAll('.field-error');
      for (var i = 0; i < errs.length; i++) errs[i].textContent = '';
      var body = { name: field('name').value.trim(), display_name: field('display_name').value.trim(), role: field('role').value, password: field('password').value };
      var kind = kindOf(body.role);
      if (kind) {
        body[kind] = field(kind).value;
        if (!body[kind]) { slot(kind).textContent = needText(kind); say('new-user-msg', needText(kind), false); field(kind).focus(); return; }
      }
      C.api('POST', '/users', body).then(function (r) {
        if (r.status === 201) { say('new-user-msg', T('users.created', '已添加 {0}。', body.name), true); f.reset(); toggleBind(); load(); return; }
        var ds = (r.data && r.data.error && r.data.error.details) || [], placed = 0;
        ds.forEach(function (d) { var s = slot(d.field); if (s) { s.textContent = detailText(d); placed++; } });
        // The fields say what is wrong; the line below the form says so once.
        var e = (r.data && r.data.error) || {};
        say('new-user-msg', placed === ds.length && e.message ? C.pick(e.message, e.message_en || e.message) : C.errorText(r.data), false);
      });
    });
    $('bulk-file').addEventListener('change', bulk);
    $('handout-print').addEventListener('click', function () { window.print(); });
    $('handout-close').addEventListener('click', closeHandout);
  });
})();
