/* Accounts (admin): list, add, name, role, reset a password, sign out
 * everywhere, delete.
 * Hooks: #users tr[data-user], tr.user-edit[data-for][data-edit=password|name|role],
 * #new-user, #new-user-msg, #list-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'users.title': 'Accounts', 'users.list': 'Accounts', 'users.name': 'Login name', 'users.role': 'Role', 'users.actions': 'Actions',
    'users.display': 'Name', 'users.displayOpt': 'Name (optional)', 'users.displayHint': 'shown in the meeting staff list',
    'users.roles': 'Admin: sets up years, forms and meetings, sees all results. Assessment group: runs the meetings assigned to it (issues slips, starts and ends the assessment). Read-only: reads results. When someone forgets their password, an admin presses "Reset password", sets a new one and tells them. Resetting a password, changing a role and "Sign out everywhere" sign that account out on every device (use "Sign out everywhere" when a phone is lost).',
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
    'users.signedOut': '{0} is signed out on every device.'
  });
  var T = C.t;
  var ROLE = { admin: ['role.admin', '管理员'], group: ['role.group', '考核组'], viewer: ['role.viewer', '只读'] };
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
    return C.el('tr', { 'class': 'user-edit', 'data-for': u.name, 'data-edit': kind }, [C.el('td', { colspan: '4' }, [form])]);
  }

  // roleEditor is the row under an account's row that changes its role.
  function roleEditor(u) {
    var sel = C.el('select', { 'aria-label': T('users.roleFor', '{0} 的角色', u.name) });
    ['group', 'viewer', 'admin'].forEach(function (r) {
      var o = C.el('option', { value: r, text: roleName(r) });
      if (r === u.role) o.selected = true;
      sel.appendChild(o);
    });
    var err = C.el('small', { 'class': 'field-error' });
    var ok = C.el('button', { type: 'submit', 'class': 'primary', text: T('users.save', '保存') });
    var no = C.el('button', { type: 'button', text: T('users.cancel', '取消') });
    var form = C.el('form', { 'class': 'form inline', novalidate: '' }, [
      C.el('label', {}, [C.el('span', { text: T('users.roleFor', '{0} 的角色', u.name) }), sel, err]),
      C.el('div', { 'class': 'actions' }, [ok, no])]);
    no.addEventListener('click', function () { open = null; render(); });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      err.textContent = '';
      if (sel.value === u.role) { open = null; render(); return; }
      ok.disabled = true;
      C.api('PATCH', '/users/' + encodeURIComponent(u.name), { role: sel.value }).then(function (r) {
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
    return C.el('tr', { 'class': 'user-edit', 'data-for': u.name, 'data-edit': 'role' }, [C.el('td', { colspan: '4' }, [form])]);
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
    return C.el('tr', { 'class': 'user-pw', 'data-for': u.name }, [C.el('td', { colspan: '4' }, [box])]);
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
  D.addEventListener('DOMContentLoaded', function () {
    D.addEventListener('cp:lang', function () { render(); });
    load();
    var f = $('new-user'), field = function (n) { return f.elements.namedItem(n); };
    $('gen-pw').addEventListener('click', function () { field('password').value = password(); });
    function slot(name) { return f.querySelector('.field-error[data-for="' + name + '"]'); }
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
      C.api('POST', '/users', body).then(function (r) {
        if (r.status === 201) { say('new-user-msg', T('users.created', '已添加 {0}。', body.name), true); f.reset(); load(); return; }
        var ds = (r.data && r.data.error && r.data.error.details) || [], placed = 0;
        ds.forEach(function (d) { var s = slot(d.field); if (s) { s.textContent = detailText(d); placed++; } });
        // The fields say what is wrong; the line below the form says so once.
        var e = (r.data && r.data.error) || {};
        say('new-user-msg', placed === ds.length && e.message ? C.pick(e.message, e.message_en || e.message) : C.errorText(r.data), false);
      });
    });
  });
})();
