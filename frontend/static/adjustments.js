/* The 加减分 page (/console/cycles/:cycle/adjustments): the office records
 * entries and decides applications; a unit account applies for its own
 * unit and withdraws; a viewer reads.
 * Hooks: #adj-form (#adj-unit, #adj-category, #adj-points, #adj-reason, #adj-submit),
 * #adj-status, #adj-list li[data-id][data-status] with button[data-act],
 * textarea[name=comment]; #adj-msg, #adj-form-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'adj.title': 'Adjustments', 'adj.unit': 'Unit', 'adj.category': 'Category', 'adj.points': 'Points', 'adj.reason': 'Reason',
    'adj.list': 'Entries', 'adj.show': 'Show',
    'adj.introAdmin': 'Record and review the units\' bonuses and penalties. Approved and recorded entries count in the total score (bonuses up to the bonus cap); pending applications do not, and the score table says so.',
    'adj.introUnit': 'Apply for a bonus for your unit and say why (e.g. the commendation\'s document and number). It counts once the office approves it; until then you may withdraw it. Penalties are recorded by the office and shown here too.',
    'adj.introViewer': 'The units\' bonuses and penalties (read-only).',
    'adj.newAdmin': 'Record an adjustment', 'adj.newUnit': 'Apply for a bonus', 'adj.submitAdmin': 'Record', 'adj.submitUnit': 'Submit application',
    'adj.catPts': '{0} {1} point(s)', 'adj.catMax': ', at most {0}', 'adj.upTo': 'up to {0} {1}', 'adj.give': 'Give the points, at most {0}',
    'adj.default': 'Leave empty for {0} point(s); at most {1}', 'adj.reasonHint': 'e.g. the document and number of the commendation',
    'adj.all': 'All', 'adj.empty': 'No entries yet.', 'adj.by': 'By {0}, {1}', 'adj.comment': 'Office\'s comment: {0}',
    'adj.approve': 'Approve', 'adj.reject': 'Reject', 'adj.withdraw': 'Withdraw', 'adj.revoke': 'Revoke', 'adj.revokeOpen': 'Revoke…',
    'adj.commentPh': 'Comment (required to reject)', 'adj.revokePh': 'Why it is revoked (required)',
    'adj.applied': 'Application submitted: the office will review it.', 'adj.recorded': 'Recorded.', 'adj.done': 'Saved.',
    'adj.bonus': 'bonus', 'adj.penalty': 'penalty', 'adj.plus': 'plus', 'adj.minus': 'minus'
  });
  var STATUS = { applied: ['待审核', 'Pending'], approved: ['已通过', 'Approved'], recorded: ['已记录', 'Recorded'],
    rejected: ['未通过', 'Rejected'], withdrawn: ['已撤回', 'Withdrawn'], revoked: ['已撤销', 'Revoked'] };
  var ORDER = ['applied', 'approved', 'recorded', 'rejected', 'withdrawn', 'revoked'];
  var root, base, role, cats = [], data = { adjustments: [], units: [] }, filter = '';
  function $(id) { return D.getElementById(id); }
  function en() { return C.lang() === 'en'; }
  function num(x) { return String(Math.round(x * 1000) / 1000); }
  function signed(p) { return (p < 0 ? '−' : '+') + num(Math.abs(p)); }
  function unitName(code) {
    for (var i = 0; i < data.units.length; i++) if (data.units[i].code === code) return data.units[i].name;
    return code;
  }
  function category(code) {
    for (var i = 0; i < cats.length; i++) if (cats[i].code === code) return cats[i];
    return null;
  }
  function when(s) {
    var d = new Date(s);
    return isNaN(d) ? s : d.toLocaleString(en() ? 'en' : 'zh-CN', { hour12: false });
  }
  function catLabel(c) {
    var w = c.sign === 'penalty' ? C.t('adj.minus', '减') : C.t('adj.plus', '加');
    if (c.points) return c.name + '（' + C.t('adj.catPts', '{0} {1} 分', w, num(c.points)) + (c.max && c.max > c.points ? C.t('adj.catMax', '，最多 {0}', num(c.max)) : '') + '）';
    return c.name + '（' + C.t('adj.upTo', '最多{0} {1} 分', w, num(c.max)) + '）';
  }

  function intro() {
    var t = role === 'admin' ? C.t('adj.introAdmin', '记录和审核各单位的加减分。已通过和已记录的加减分计入考核总分（加分合计不超过加分上限）；待审核的申请不计入，考核结果中会注明。')
      : role === 'unit' ? C.t('adj.introUnit', '为本单位申请加分，并写明理由（如表彰文件名称和文号）。考核办审核通过后计入考核总分；审核前可以撤回。减分由考核办记录，也在这里显示。')
        : C.t('adj.introViewer', '各单位的加减分（只读）。');
    $('adj-intro').textContent = t;
    $('adj-new-title').textContent = role === 'admin' ? C.t('adj.newAdmin', '记录加减分') : C.t('adj.newUnit', '申请加分');
    $('adj-submit').textContent = role === 'admin' ? C.t('adj.submitAdmin', '记录') : C.t('adj.submitUnit', '提交申请');
    $('adj-reason').placeholder = C.t('adj.reasonHint', '如：获省级表彰的文件名称和文号');
  }

  function fillForm() {
    var us = $('adj-unit'), cs = $('adj-category'), keepU = us.value, keepC = cs.value;
    us.textContent = '';
    data.units.forEach(function (u) { us.appendChild(C.el('option', { value: u.code, text: u.name + '（' + u.code + '）' })); });
    if (keepU) us.value = keepU;
    $('adj-unit-label').hidden = role !== 'admin';
    cs.textContent = '';
    cats.forEach(function (c) {
      if (role === 'unit' && c.sign !== 'bonus') return; // a unit applies for bonuses; penalties are the office's
      cs.appendChild(C.el('option', { value: c.code, text: catLabel(c) }));
    });
    if (keepC && category(keepC)) cs.value = keepC;
    pointsHint();
  }
  function pointsHint() {
    var c = category($('adj-category').value), h = $('adj-points-hint'), p = $('adj-points');
    if (!c) { h.textContent = ''; return; }
    var limit = c.max || c.points;
    p.max = String(limit);
    p.placeholder = c.points ? num(c.points) : '';
    h.textContent = c.points ? C.t('adj.default', '留空按 {0} 分计；最多 {1} 分', num(c.points), num(limit)) : C.t('adj.give', '请填写分值，最多 {0} 分', num(limit));
  }

  function statusOptions() {
    var sel = $('adj-status');
    sel.textContent = '';
    sel.appendChild(C.el('option', { value: '', text: C.t('adj.all', '全部') }));
    ORDER.forEach(function (s) { sel.appendChild(C.el('option', { value: s, text: STATUS[s][en() ? 1 : 0] })); });
    sel.value = filter;
  }

  function item(a) {
    var pen = a.points < 0;
    var li = C.el('li', { 'class': 'adj-item', 'data-id': String(a.id), 'data-status': a.status, 'data-unit': a.unit }, [
      C.el('div', { 'class': 'adj-head' }, [
        C.el('span', { 'class': 'adj-pts ' + (pen ? 'penalty' : 'bonus'), text: signed(a.points) }),
        C.el('strong', { text: unitName(a.unit) }),
        C.el('span', { text: a.category_name }),
        C.el('span', { 'class': 'badge ' + a.status, text: (STATUS[a.status] || [a.status, a.status])[en() ? 1 : 0] })]),
      C.el('p', { 'class': 'adj-reason', text: a.reason }),
      C.el('p', { 'class': 'hint', text: '#' + a.id + ' · ' + (a.created_by ? C.t('adj.by', '{0}，{1}', a.created_by, when(a.created_at)) : when(a.created_at)) })]);
    if (a.comment) li.appendChild(C.el('p', { 'class': 'adj-comment', text: C.t('adj.comment', '考核办意见：{0}', a.comment) }));
    var box;
    if (role === 'admin' && a.status === 'applied') {
      box = C.el('div', { 'class': 'adj-decide' }, [
        C.el('textarea', { name: 'comment', maxlength: '500', rows: '2', 'aria-label': C.t('adj.commentPh', '审核意见（不予通过时必填）'), placeholder: C.t('adj.commentPh', '审核意见（不予通过时必填）') }),
        C.el('p', { 'class': 'actions' }, [
          C.el('button', { type: 'button', 'class': 'primary', 'data-act': 'approve', text: C.t('adj.approve', '审核通过') }),
          C.el('button', { type: 'button', 'class': 'danger', 'data-act': 'reject', text: C.t('adj.reject', '不予通过') })])]);
    } else if (role === 'admin' && (a.status === 'approved' || a.status === 'recorded')) {
      box = C.el('div', { 'class': 'adj-decide' }, [
        C.el('p', { 'class': 'actions' }, [C.el('button', { type: 'button', 'data-act': 'open-revoke', text: C.t('adj.revokeOpen', '撤销…') })])]);
    } else if (role === 'unit' && a.status === 'applied') {
      box = C.el('div', { 'class': 'adj-decide' }, [
        C.el('p', { 'class': 'actions' }, [C.el('button', { type: 'button', 'data-act': 'withdraw', text: C.t('adj.withdraw', '撤回申请') })])]);
    }
    if (box) {
      box.appendChild(C.el('p', { 'class': 'msg bad', role: 'alert' }));
      li.appendChild(box);
    }
    return li;
  }

  function render() {
    var list = $('adj-list');
    list.textContent = '';
    var shown = data.adjustments.filter(function (a) { return !filter || a.status === filter; });
    // Pending applications first, then the newest.
    shown.sort(function (x, y) { return ((x.status === 'applied' ? 0 : 1) - (y.status === 'applied' ? 0 : 1)) || (y.id - x.id); });
    if (!shown.length) list.appendChild(C.el('li', { 'class': 'hint', text: C.t('adj.empty', '暂无加减分。') }));
    shown.forEach(function (a) { list.appendChild(item(a)); });
  }

  function load() {
    return Promise.all([C.api('GET', base + '/adjustment-categories'), C.api('GET', base + '/adjustments')]).then(function (rs) {
      var m = $('adj-msg');
      for (var i = 0; i < rs.length; i++) {
        if (rs[i].status !== 200) { m.className = 'msg bad'; m.textContent = C.errorText(rs[i].data); return; }
      }
      m.textContent = '';
      cats = rs[0].data.categories || [];
      data = rs[1].data;
      if (role === 'admin' || role === 'unit') { $('adj-new').hidden = false; fillForm(); }
      render();
    });
  }

  function markFields(err) {
    ['adj-unit', 'adj-category', 'adj-points', 'adj-reason'].forEach(function (id) { $(id).classList.remove('invalid'); $(id).removeAttribute('aria-invalid'); });
    ((err && err.error && err.error.details) || []).forEach(function (d) {
      var el = $('adj-' + d.field);
      if (el) { el.classList.add('invalid'); el.setAttribute('aria-invalid', 'true'); }
    });
  }

  function submit(ev) {
    ev.preventDefault();
    var m = $('adj-form-msg'), btn = $('adj-submit'), p = $('adj-points').value.trim();
    var body = { category: $('adj-category').value, reason: $('adj-reason').value };
    if (role === 'admin') body.unit = $('adj-unit').value;
    if (p !== '') body.points = Number(p);
    btn.disabled = true;
    C.api('POST', base + '/adjustments', body).then(function (r) {
      btn.disabled = false;
      markFields(r.status === 201 ? null : r.data);
      if (r.status !== 201) { m.className = 'msg bad'; m.textContent = C.errorText(r.data); return; }
      m.className = 'msg ok';
      m.textContent = r.data.status === 'applied' ? C.t('adj.applied', '已提交申请，等待考核办审核。') : C.t('adj.recorded', '已记录。');
      $('adj-points').value = '';
      $('adj-reason').value = '';
      load();
    }, function () { btn.disabled = false; });
  }

  function act(ev) {
    var b = ev.target.closest ? ev.target.closest('button[data-act]') : null;
    if (!b) return;
    var li = b.closest('li[data-id]'), what = b.getAttribute('data-act'), box = b.closest('.adj-decide');
    if (what === 'open-revoke') {
      b.parentNode.parentNode.replaceChild(C.el('div', {}, [
        C.el('textarea', { name: 'comment', maxlength: '500', rows: '2', 'aria-label': C.t('adj.revokePh', '撤销原因（必填）'), placeholder: C.t('adj.revokePh', '撤销原因（必填）') }),
        C.el('p', { 'class': 'actions' }, [C.el('button', { type: 'button', 'class': 'danger', 'data-act': 'revoke', text: C.t('adj.revoke', '确认撤销') })])]), b.parentNode);
      li.querySelector('textarea[name=comment]').focus();
      return;
    }
    var ta = li.querySelector('textarea[name=comment]'), body;
    if (what !== 'withdraw') {
      body = { comment: ta ? ta.value : '' };
    }
    var msg = box.querySelector('.msg');
    b.disabled = true;
    C.api('POST', base + '/adjustments/' + li.getAttribute('data-id') + '/' + what, body).then(function (r) {
      b.disabled = false;
      if (r.status !== 200) { msg.textContent = C.errorText(r.data); if (ta) ta.focus(); return; }
      load();
    }, function () { b.disabled = false; });
  }

  D.addEventListener('DOMContentLoaded', function () {
    root = $('adj-page');
    role = D.body.getAttribute('data-role');
    base = '/cycles/' + encodeURIComponent(root.getAttribute('data-cycle'));
    intro();
    statusOptions();
    load();
    $('adj-form').addEventListener('submit', submit);
    $('adj-category').addEventListener('change', pointsHint);
    $('adj-status').addEventListener('change', function () { filter = $('adj-status').value; render(); });
    $('adj-filter').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('adj-list').addEventListener('click', act);
  });
  D.addEventListener('cp:lang', function () { intro(); statusOptions(); if (role === 'admin' || role === 'unit') fillForm(); render(); });
})();
