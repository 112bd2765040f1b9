/* The console overview: years, and the meetings the user may see. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  var status = { pending: '未开始', open: '进行中', closed: '已结束' };
  function load() {
    var box = D.getElementById('overview');
    C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) { box.textContent = C.errorText(r.data); return; }
      box.textContent = '';
      if (!r.data.cycles.length) box.appendChild(C.el('p', { text: '还没有考核年度。' }));
      r.data.cycles.forEach(function (cy) {
        var card = C.el('section', { 'class': 'card', 'data-cycle': cy.code });
        var base = '/console/cycles/' + encodeURIComponent(cy.code);
        card.appendChild(C.el('h2', { text: cy.name + '（' + cy.code + '）' }));
        var links = C.el('p', { 'class': 'actions' });
        if (D.body.getAttribute('data-role') === 'admin') {
          links.appendChild(C.el('a', { 'class': 'button', href: base + '/setup', text: '年度设置（单位、人员、目标）' }));
          links.appendChild(C.el('a', { 'class': 'button', href: base + '/forms', text: '测评表' }));
          links.appendChild(C.el('a', { 'class': 'button', href: base + '/meetings', text: '会议' }));
        }
        if (D.body.getAttribute('data-role') !== 'group') links.appendChild(C.el('a', { 'class': 'button', href: base + '/results', text: '考核结果' }));
        card.appendChild(links);
        var list = C.el('ul', { 'class': 'meetings' });
        card.appendChild(list);
        box.appendChild(card);
        C.api('GET', '/cycles/' + encodeURIComponent(cy.code) + '/meetings').then(function (m) {
          if (m.status !== 200) return;
          if (!m.data.meetings.length) list.appendChild(C.el('li', { text: '暂无会议' }));
          m.data.meetings.forEach(function (mt) {
            list.appendChild(C.el('li', {}, [
              C.el('a', { href: base + '/meetings/' + encodeURIComponent(mt.code), text: mt.title }), ' ',
              C.el('span', { 'class': 'badge ' + mt.status, text: status[mt.status] || mt.status }), ' ' + mt.date]));
          });
        });
      });
    });
  }
  D.addEventListener('DOMContentLoaded', function () {
    load();
    var f = D.getElementById('new-cycle');
    if (f) f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var msg = D.getElementById('new-cycle-msg');
      C.api('POST', '/cycles', { code: f.code.value.trim(), name: f.name.value.trim() }).then(function (r) {
        if (r.status === 201) { msg.textContent = ''; f.reset(); load(); } else { msg.textContent = C.errorText(r.data); msg.className = 'msg bad'; }
      });
    });
  });
})();
