/* Shared by console pages: the API client (session cookie + CSRF header),
 * error rendering and the language switch. Page scripts use window.Ceping. */
(function () {
  'use strict';
  var D = document;
  var csrf = (D.querySelector('meta[name=csrf]') || {}).content || '';
  var lang = localStorage.getItem('cp.lang') || 'zh';
  var EN = {
    'nav.overview': 'Overview', 'nav.users': 'Users', 'nav.audit': 'Audit log', 'nav.logout': 'Sign out', 'nav.password': 'Change password', 'nav.nextMeetings': 'Next: meetings ›',
    'nav.collect': 'My entries', 'nav.mine': 'Our indicators', 'nav.adjust': 'Adjustments', 'nav.reports': 'Reports',
    'role.admin': 'Admin', 'role.group': 'Assessment group', 'role.viewer': 'Read-only', 'role.assessor': 'Assessment body', 'role.unit': 'Assessed unit',
    'role.who.admin': ' (Admin)', 'role.who.group': ' (Assessment group)', 'role.who.viewer': ' (Read-only)',
    'role.who.assessor': ' (Assessment body)', 'role.who.unit': ' (Assessed unit)',
    'login.title': 'Organizer sign-in', 'login.user': 'User name', 'login.password': 'Password', 'login.submit': 'Sign in',
    'login.hint': 'Attendees: scan the QR code on your slip, no sign-in needed.',
    'overview.title': 'Years and meetings', 'overview.new': 'New assessment year', 'overview.code': 'Code', 'overview.name': 'Name',
    'common.loading': 'Loading…', 'common.create': 'Create', 'common.save': 'Save'
  };
  // extend adds a page's English strings; elements with data-i18n="key"
  // switch between their Chinese text and EN[key].
  function extend(table) { for (var k in table) EN[k] = table[k]; }
  // t(key, zh, a0, a1…) is EN[key] in English (zh otherwise, or when the key
  // has no English), with {0}, {1}… replaced by a0, a1….
  // English counts read "1 meeting", "2 meetings" where the table says
  // "{0} meeting(s)".
  function t(key, zh) {
    var en = lang === 'en' && EN[key], s = en ? EN[key] : zh, args = arguments;
    if (args.length < 3) return s;
    s = s.replace(/\{(\d)\}/g, function (_, i) { var v = args[+i + 2]; return v == null ? '' : String(v); });
    return en ? s.replace(/\b(\d+) (\w+)\(s\)/g, function (_, n, w) { return n + ' ' + w + (n === '1' ? '' : 's'); }) : s;
  }
  // label is a grade or option label as the rules text words it, in
  // English when the console is; a county's own labels stay as they are.
  var LABELS = { '优秀': 'Excellent', '良好': 'Good', '一般': 'Fair', '较差': 'Poor', '称职': 'Competent', '基本称职': 'Basically competent',
    '不称职': 'Incompetent', '好': 'Good', '较好': 'Fairly good', '差': 'Poor' };
  function label(zh) { return lang === 'en' && LABELS[zh] ? LABELS[zh] : zh; }
  // pick chooses between a Chinese and an English text given together.
  function pick(zh, en) { return lang === 'en' ? en : zh; }
  function applyLang() {
    D.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    var els = D.querySelectorAll('[data-i18n]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.hasAttribute('data-zh')) el.setAttribute('data-zh', el.textContent);
      el.textContent = t(el.getAttribute('data-i18n'), el.getAttribute('data-zh'));
    }
    var b = D.getElementById('lang');
    if (b) b.textContent = lang === 'en' ? '中文' : 'English';
  }
  // api calls /api/v1 with the session cookie; resolves {status, data}.
  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return fetch('/api/v1' + path, opts).then(function (r) {
      if (r.status === 401) { location.href = '/console/login?next=' + encodeURIComponent(location.pathname); }
      var ct = r.headers.get('Content-Type') || '';
      return (ct.indexOf('json') >= 0 ? r.json() : r.text()).then(function (d) { return { status: r.status, data: d }; });
    });
  }
  // msg is a server message (an error or one of its details) in the
  // chosen language: the API sends "message" in Chinese and "message_en".
  function msg(o) { return o ? (lang === 'en' && o.message_en ? o.message_en : o.message) : ''; }
  // errorText renders an API error: its message and each detail's, once
  // each; field paths are for placing messages, never shown.
  function errorText(data) {
    if (!data || !data.error) return String(data);
    var e = data.error, seen = {}, lines = [msg(e)];
    seen[lines[0]] = true;
    (e.details || []).forEach(function (d) { var m = msg(d); if (m && !seen[m]) { seen[m] = true; lines.push('· ' + m); } });
    return lines.join('\n');
  }
  function el(tag, attrs, kids) {
    var e = D.createElement(tag);
    for (var k in (attrs || {})) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (kids || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? D.createTextNode(c) : c); });
    return e;
  }
  window.Ceping = { api: api, errorText: errorText, msg: msg, el: el, t: t, pick: pick, extend: extend, label: label, csrf: csrf, lang: function () { return lang; } };
  D.addEventListener('DOMContentLoaded', function () {
    applyLang();
    var b = D.getElementById('lang');
    if (b) b.addEventListener('click', function () { lang = lang === 'en' ? 'zh' : 'en'; localStorage.setItem('cp.lang', lang); applyLang(); D.dispatchEvent(new Event('cp:lang')); });
  });
})();
