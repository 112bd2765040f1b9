/* The audit log page (admins): newest first, 100 at a time.
 * Hooks: #audit-rows tr[data-id][data-action], #audit-more, #audit-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'audit.title': 'Audit log', 'audit.intro': 'An append-only record of organizer actions: who did what to which object, and when. It holds no ballot content, slip code, password or IP address, and cannot be changed or deleted.',
    'audit.at': 'Time', 'audit.actor': 'By', 'audit.action': 'Action', 'audit.target': 'Object', 'audit.detail': 'Detail', 'audit.more': 'Load older entries', 'audit.empty': 'No entries yet.'
  });
  var ACTIONS = {
    'login': ['登录', 'Sign-in'], 'batch.issue': ['发票', 'Slips issued'], 'batch.revoke': ['作废一批票', 'Batch revoked'],
    'meeting.open': ['开始投票', 'Meeting opened'], 'meeting.close': ['结束投票并封存', 'Meeting closed and sealed'],
    'rules.put': ['修改计分规则', 'Scoring rules changed'], 'targets.put': ['修改目标任务得分', 'Targets changed'],
    'form.delete': ['删除测评表', 'Ballot form deleted'],
    'user.create': ['新建账号', 'User added'], 'user.delete': ['删除账号', 'User deleted'],
    'paper.key': ['录入纸质票', 'Paper ballot keyed'], 'paper.confirm': ['确认纸质票（计入）', 'Paper ballot confirmed'],
    'paper.discard': ['作废纸质票', 'Paper ballot discarded'], 'paper.void': ['纸质票未能计入（票已使用/作废或会议已结束）', 'Paper ballot void (slip used or revoked, or meeting closed)'],
    'screen.link': ['生成大屏幕链接', 'Big-screen link made']
  };
  var en = function () { return C.lang() === 'en'; };
  var next = 0, entries = [];
  function $(id) { return D.getElementById(id); }
  function row(e) {
    var a = ACTIONS[e.action], when = new Date(e.at);
    return C.el('tr', { 'data-id': String(e.id), 'data-action': e.action }, [
      C.el('td', { text: isNaN(when) ? e.at : when.toLocaleString(en() ? 'en' : 'zh-CN', { hour12: false }) }),
      C.el('td', { text: e.actor }),
      C.el('td', { text: a ? a[en() ? 1 : 0] : e.action, title: e.action }),
      C.el('td', { text: e.target }),
      C.el('td', { text: e.detail || '' })]);
  }
  function render() {
    var body = $('audit-rows');
    body.textContent = '';
    if (!entries.length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: '5', text: C.t('audit.empty', '暂无记录。') })]));
    entries.forEach(function (e) { body.appendChild(row(e)); });
    $('audit-more').hidden = !next;
  }
  function load() {
    C.api('GET', '/audit?limit=100' + (next ? '&before=' + next : '')).then(function (r) {
      var m = $('audit-msg');
      if (r.status !== 200) { m.className = 'msg bad'; m.textContent = C.errorText(r.data); return; }
      m.textContent = '';
      entries = entries.concat(r.data.entries);
      next = r.data.next;
      render();
    });
  }
  D.addEventListener('DOMContentLoaded', function () {
    load();
    $('audit-more').addEventListener('click', load);
  });
  D.addEventListener('cp:lang', function () { render(); });
})();
