/* Change one's own password (every role): the current one, the new one
 * twice. Hooks: #pw-form, .field-error[data-for], #pw-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document, T = C.t;
  C.extend({
    'pw.title': 'Change password', 'pw.account': 'Account: ', 'pw.old': 'Current password', 'pw.new': 'New password',
    'pw.again': 'New password again', 'pw.hint': 'at least 8 characters', 'pw.submit': 'Change password',
    'pw.forgot': 'Forgot your current password? Ask an admin to reset it on the Users page.',
    'pw.everywhere': 'Changing your password signs this account out on every other device; "Sign out" at the top signs it out on every device.',
    'pw.needOld': 'Enter your current password.', 'pw.short': 'The new password needs at least 8 characters.',
    'pw.differ': 'The two new passwords differ.', 'pw.done': 'Your password is changed; other devices are signed out. Use the new one next time you sign in.'
  });
  D.addEventListener('DOMContentLoaded', function () {
    var f = D.getElementById('pw-form'), msg = D.getElementById('pw-msg');
    function field(n) { return f.elements.namedItem(n); }
    function slot(n) { return f.querySelector('.field-error[data-for="' + n + '"]'); }
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var errs = f.querySelectorAll('.field-error');
      for (var i = 0; i < errs.length; i++) errs[i].textContent = '';
      msg.textContent = '';
      var old = field('old_password').value, pw = field('password').value, again = field('again').value, bad = null;
      if (!old) { slot('old_password').textContent = T('pw.needOld', '请填写原密码。'); bad = bad || 'old_password'; }
      if (pw.length < 8) { slot('password').textContent = T('pw.short', '新密码至少 8 个字符。'); bad = bad || 'password'; }
      else if (pw !== again) { slot('again').textContent = T('pw.differ', '两次输入的新密码不一致。'); bad = bad || 'again'; }
      if (bad) { field(bad).focus(); return; }
      var me = D.body.getAttribute('data-user');
      C.api('PUT', '/users/' + encodeURIComponent(me) + '/password', { old_password: old, password: pw }).then(function (r) {
        if (r.status === 204) { f.reset(); msg.className = 'msg ok'; msg.textContent = T('pw.done', '密码已修改，其他设备上的登录已失效。下次登录请使用新密码。'); return; }
        var e = (r.data && r.data.error) || {};
        (e.details || []).forEach(function (d) {
          var s = slot(d.field);
          if (s) { s.textContent = C.pick(d.message, d.message_en || d.message); if (field(d.field)) field(d.field).focus(); }
        });
        msg.className = 'msg bad';
        msg.textContent = e.message ? C.pick(e.message, e.message_en || e.message) : C.errorText(r.data);
      });
    });
  });
})();
