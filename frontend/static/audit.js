/* The audit log page (admins): newest first, 100 at a time, filtered by
 * kind of action (sign-ins hidden unless asked for).
 * Hooks: #audit-type, #audit-rows tr[data-id][data-action], #audit-more, #audit-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'audit.title': 'Audit log', 'audit.intro': 'An append-only record of organizer actions: who did what to which object, and when. It holds no ballot content, slip code, password or IP address, and cannot be changed or deleted.',
    'audit.at': 'Time', 'audit.actor': 'By', 'audit.action': 'Action', 'audit.target': 'Object', 'audit.detail': 'Detail', 'audit.more': 'Load older entries', 'audit.empty': 'No entries yet.',
    'audit.filter': 'Show'
  });
  // Every action the server records (server/audit.go), in Chinese and English.
  var ACTIONS = {
    'login': ['登录', 'Sign-in'], 'login.failed': ['登录失败', 'Failed sign-in'], 'logout': ['退出登录（所有设备）', 'Signed out (every device)'],
    'setup.put': ['年度设置', 'Set-up changed'], 'import': ['从表格导入', 'Imported from a spreadsheet'],
    'rules.put': ['修改计分规则', 'Scoring rules changed'], 'targets.put': ['修改目标任务', 'Target tasks changed'],
    'form.save': ['保存测评表', 'Ballot form saved'], 'form.delete': ['删除测评表', 'Ballot form deleted'],
    'meeting.save': ['保存会议', 'Meeting saved'],
    'batch.issue': ['发放选票', 'Slips issued'], 'batch.revoke': ['作废一批选票', 'Batch voided'],
    'meeting.open': ['开始测评', 'Assessment started'], 'meeting.close': ['结束测评并封存计票', 'Assessment ended and sealed'],
    'paper.key': ['纸质选票录入', 'Paper ballot keyed'], 'paper.confirm': ['纸质选票核对计入', 'Paper ballot confirmed'],
    'paper.discard': ['删除此录入', 'Paper entry deleted'], 'paper.void': ['纸质选票未能计入', 'Paper ballot not counted'],
    'screen.link': ['生成大屏幕链接', 'Big-screen link made'],
    'screen.revoke': ['收回大屏幕链接', 'Big-screen link revoked'],
    'user.create': ['新建账号', 'Account added'], 'user.update': ['修改姓名', 'Name changed'],
    'user.password': ['修改或重置密码', 'Password changed or reset'], 'user.delete': ['删除账号', 'Account deleted'],
    'user.role': ['修改角色', 'Role changed'], 'user.sessions': ['强制退出登录', 'Signed out everywhere'],
    'bodies.put': ['保存考核主体', 'Assessment bodies saved'], 'indicators.put': ['保存目标任务分解表', 'Indicator catalogue saved'],
    'entry.put': ['填报指标数值', 'Indicator value entered'], 'entry.submit': ['报送指标', 'Indicators submitted'],
    'entry.approve': ['审核通过', 'Approved'], 'entry.return': ['退回修改', 'Returned for correction'],
    'entry.reopen': ['重新打开已通过的指标', 'Approved indicator reopened'], 'collection.deadline': ['设置采集截止日期', 'Collection deadline set'],
    'adjust.categories': ['保存加减分类别', 'Adjustment categories saved'], 'adjust.record': ['记录加减分', 'Adjustment recorded'],
    'adjust.apply': ['申请加分', 'Adjustment applied for'], 'adjust.approve': ['加减分审核通过', 'Adjustment approved'],
    'adjust.reject': ['加减分不予通过', 'Adjustment rejected'], 'adjust.withdraw': ['撤回加减分申请', 'Adjustment withdrawn'],
    'adjust.revoke': ['撤销加减分', 'Adjustment revoked'],
    'file.upload': ['上传佐证材料', 'Evidence uploaded'], 'file.delete': ['删除文件', 'File deleted'], 'report.upload': ['上传单位报告', 'Unit report uploaded']
  };
  // The filter's choices: [value, Chinese, English, actions shown (all when
  // empty), actions hidden].
  var LOGINS = ['login', 'login.failed', 'logout'];
  var TYPES = [
    ['work', '全部操作（不含登录）', 'All actions (no sign-ins)', [], LOGINS],
    ['all', '全部（含登录）', 'Everything (with sign-ins)', [], []],
    ['login', '登录记录', 'Sign-ins', LOGINS, []],
    ['setup', '年度设置、导入和测评表', 'Set-up, imports and forms', ['setup.put', 'import', 'rules.put', 'targets.put', 'form.save', 'form.delete'], []],
    ['meeting', '选票与会议', 'Slips and meetings', ['meeting.save', 'batch.issue', 'batch.revoke', 'meeting.open', 'meeting.close', 'screen.link', 'screen.revoke'], []],
    ['paper', '纸质选票', 'Paper ballots', ['paper.key', 'paper.confirm', 'paper.discard', 'paper.void'], []],
    ['collect', '数据采集', 'Indicator collection', ['bodies.put', 'indicators.put', 'entry.put', 'entry.submit', 'entry.approve', 'entry.return', 'entry.reopen', 'collection.deadline', 'file.upload', 'file.delete', 'report.upload'], []],
    ['adjust', '加减分', 'Adjustments', ['adjust.categories', 'adjust.record', 'adjust.apply', 'adjust.approve', 'adjust.reject', 'adjust.withdraw', 'adjust.revoke'], []],
    ['users', '账号', 'Accounts', ['user.create', 'user.update', 'user.role', 'user.password', 'user.sessions', 'user.delete'], []]
  ];
  var en = function () { return C.lang() === 'en'; };
  var next = 0, entries = [], type = TYPES[0];
  function $(id) { return D.getElementById(id); }
  function row(e) {
    var a = ACTIONS[e.action], when = new Date(e.at);
    var target = e.target_name ? e.target_name : e.target;
    // data-label: the column's name, shown above the value on a phone.
    var cell = function (key, zh, attrs) { attrs['data-label'] = C.t(key, zh); return C.el('td', attrs); };
    return C.el('tr', { 'data-id': String(e.id), 'data-action': e.action }, [
      cell('audit.at', '时间', { text: isNaN(when) ? e.at : when.toLocaleString(en() ? 'en' : 'zh-CN', { hour12: false }) }),
      cell('audit.actor', '操作人', { text: e.actor || '—' }),
      cell('audit.action', '操作', { text: a ? a[en() ? 1 : 0] : e.action }),
      cell('audit.target', '对象', e.target_name ? { text: target, title: e.target } : { text: target }),
      cell('audit.detail', '说明', { text: (en() && e.detail_en) || e.detail || '' })]);
  }
  function options() {
    var sel = $('audit-type');
    sel.textContent = '';
    TYPES.forEach(function (t) { sel.appendChild(C.el('option', { value: t[0], text: en() ? t[2] : t[1] })); });
    sel.value = type[0];
  }
  function render() {
    var body = $('audit-rows');
    body.textContent = '';
    if (!entries.length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: '5', text: C.t('audit.empty', '暂无记录。') })]));
    entries.forEach(function (e) { body.appendChild(row(e)); });
    $('audit-more').hidden = !next;
  }
  function query() {
    var q = '/audit?limit=100' + (next ? '&before=' + next : '');
    if (type[3].length) q += '&action=' + encodeURIComponent(type[3].join(','));
    if (type[4].length) q += '&exclude=' + encodeURIComponent(type[4].join(','));
    return q;
  }
  function load() {
    var asked = type;
    C.api('GET', query()).then(function (r) {
      if (asked !== type) return; // the filter changed meanwhile
      var m = $('audit-msg');
      if (r.status !== 200) { m.className = 'msg bad'; m.textContent = C.errorText(r.data); return; }
      m.textContent = '';
      entries = entries.concat(r.data.entries);
      next = r.data.next;
      render();
    });
  }
  D.addEventListener('DOMContentLoaded', function () {
    options();
    load();
    $('audit-more').addEventListener('click', load);
    $('audit-type').addEventListener('change', function () {
      type = TYPES.filter(function (t) { return t[0] === $('audit-type').value; })[0] || TYPES[0];
      entries = [];
      next = 0;
      load();
    });
    $('audit-filter').addEventListener('submit', function (ev) { ev.preventDefault(); });
  });
  D.addEventListener('cp:lang', function () { options(); render(); });
})();
