/* Accounts (admin): list, add, delete. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'users.title': 'Accounts', 'users.list': 'Accounts', 'users.name': 'User name', 'users.role': 'Role', 'users.actions': 'Actions',
    'users.roles': 'Admin: sets up years, forms and meetings, sees all results. Assessment group: runs the meetings assigned to it. Read-only: reads results.',
    'users.add': 'Add an account', 'users.password': 'Initial password', 'users.create': 'Add', 'users.gen': 'Generate password',
    'users.nameHint': 'letters, digits, _ . - (e.g. zhang)', 'users.pwHint': 'at least 8 characters; tell the person',
    'role.admin': 'Admin', 'role.group': 'Assessment group', 'role.viewer': 'Read-only', 'users.delete': 'Delete', 'users.you': '(you)',
    'users.confirm': 'Delete account {name}? This cannot be undone.', 'users.deleted': 'Deleted {name}.', 'users.created': 'Added {name}.'
  });
  var T = C.t;
  var ROLE = { admin: ['role.admin', '管理员'], group: ['role.group', '考核组'], viewer: ['role.viewer', '只读'] };
  function roleName(r) { return ROLE[r] ? T(ROLE[r][0], ROLE[r][1]) : r; }
  var users = [];
  function render() {
    var body = D.querySelector('#users tbody');
    body.textContent = '';
    var me = D.body.getAttribute('data-user');
    users.forEach(function (u) {
      var del = C.el('button', { type: 'button', 'class': 'danger', 'data-name': u.name, text: T('users.delete', '删除') });
      if (u.name === me) del.disabled = true;
      del.addEventListener('click', function () { remove(u.name); });
      body.appendChild(C.el('tr', { 'data-user': u.name }, [
        C.el('td', { text: u.name + (u.name === me ? ' ' + T('users.you', '（当前账号）') : '') }),
        C.el('td', { text: roleName(u.role) }), C.el('td', {}, [del])]));
    });
  }
  function load() {
    return C.api('GET', '/users').then(function (r) {
      var msg = D.getElementById('list-msg');
      if (r.status !== 200) { msg.textContent = C.errorText(r.data); msg.className = 'msg bad'; return; }
      users = r.data.users || [];
      render();
    });
  }
  function say(id, text, ok) { var m = D.getElementById(id); m.textContent = text; m.className = 'msg ' + (ok ? 'ok' : 'bad'); }
  function remove(name) {
    if (!confirm(T('users.confirm', '确定删除账号 {name} 吗？删除后不能恢复。').replace('{name}', name))) return;
    C.api('DELETE', '/users/' + encodeURIComponent(name)).then(function (r) {
      if (r.status === 204) { say('list-msg', T('users.deleted', '已删除 {name}。').replace('{name}', name), true); load(); }
      else say('list-msg', C.errorText(r.data), false);
    });
  }
  function password() {
    var chars = 'abcdefghijkmnpqrstuvwxyz23456789', a = new Uint8Array(12), s = '';
    crypto.getRandomValues(a);
    for (var i = 0; i < a.length; i++) s += chars[a[i] % chars.length];
    return s;
  }
  D.addEventListener('DOMContentLoaded', function () {
    D.addEventListener('cp:lang', function () { render(); });
    load();
    var f = D.getElementById('new-user');
    D.getElementById('gen-pw').addEventListener('click', function () { f.password.value = password(); });
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var errs = f.querySelectorAll('.field-error');
      for (var i = 0; i < errs.length; i++) errs[i].textContent = '';
      var body = { name: f.name.value.trim(), role: f.role.value, password: f.password.value };
      C.api('POST', '/users', body).then(function (r) {
        if (r.status === 201) { say('new-user-msg', T('users.created', '已添加 {name}。').replace('{name}', body.name), true); f.reset(); load(); return; }
        say('new-user-msg', C.errorText(r.data), false);
        ((r.data && r.data.error && r.data.error.details) || []).forEach(function (d) {
          var slot = f.querySelector('.field-error[data-for="' + d.field + '"]');
          if (slot) slot.textContent = d.message;
        });
      });
    });
  });
})();
