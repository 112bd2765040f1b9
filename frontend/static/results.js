/* The year's results: the score table (towns and departments apart) and
 * the leadership, cadre, integrity and recommendation results. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'res.title': 'Results', 'res.xlsx': 'Download the Excel workbook', 'res.meetings': 'Meetings and tally sheets', 'res.warnings': 'Notes',
    'res.towns': 'Towns', 'res.departments': 'County departments', 'res.cadres': 'Leadership, cadres and recommendations'
  });
  var L = C.pick;
  var COMPONENTS = [['conference', '全县领导干部大会评价', 'Conference'], ['mutual', '单位互评', 'Mutual'], ['group', '考核组评价', 'Group'],
    ['democratic', '民主测评', 'Democratic'], ['social', '社会评价', 'Social']];
  var PURPOSE = { team: ['领导班子', 'Leadership team'], cadre: ['科级干部', 'Cadres'], integrity: ['党风廉政', 'Clean government'], recommend: ['无任用推荐', 'Recommendation'] };
  var scores = null, cadres = null;

  function fmt(x) { return typeof x === 'number' ? x.toFixed(2) : '—'; }
  function pct(x) { return (x * 100).toFixed(1) + '%'; }
  function th(text, num) { return C.el('th', { 'class': num ? 'num' : '', text: text }); }
  function td(text, num) { return C.el('td', { 'class': num ? 'num' : '', text: text }); }

  function scoreTable(kind) {
    var rows = scores.units.filter(function (u) { return u.kind === kind; }).sort(function (a, b) { return a.rank - b.rank; });
    if (!rows.length) return C.el('p', { 'class': 'hint', text: L('没有此类单位。', 'No units of this kind.') });
    var head = [th(L('名次', 'Rank'), true), th(L('单位', 'Unit')), th(L('目标任务得分', 'Target score'), true), th(L('折算得分', 'Weighted'), true)];
    COMPONENTS.forEach(function (c) { head.push(th(L(c[1], c[2]), true)); });
    head.push(th(L('各方面评价合计', 'Evaluation'), true), th(L('加减分', 'Adjustments'), true), th(L('总分', 'Total'), true),
      th(L('等次', 'Grade')), th(L('说明', 'Warnings')));
    var body = C.el('tbody');
    rows.forEach(function (u) {
      var comps = (u.evaluation && u.evaluation.components) || {};
      var tr = C.el('tr', { 'data-unit': u.unit }, [td(String(u.rank), true), td(u.name), td(fmt(u.target.score), true), td(fmt(u.target.weighted), true)]);
      COMPONENTS.forEach(function (c) { tr.appendChild(td(fmt(comps[c[0]]), true)); });
      tr.appendChild(td(fmt(u.evaluation.total), true));
      tr.appendChild(td(fmt(u.adjustments), true));
      tr.appendChild(C.el('td', { 'class': 'num total' }, [C.el('strong', { text: fmt(u.total) })]));
      tr.appendChild(td(u.grade || '—'));
      tr.appendChild(C.el('td', { 'class': 'warn-cell', text: (u.warnings || []).join('；') }));
      body.appendChild(tr);
    });
    return C.el('table', { 'data-kind': kind }, [C.el('thead', {}, [C.el('tr', {}, head)]), body]);
  }

  function cadreSection(s) {
    var p = PURPOSE[s.purpose];
    var box = C.el('section', { 'class': 'tally-section', 'data-section': s.section });
    box.appendChild(C.el('h3', { text: (p ? L(p[0], p[1]) : s.purpose) + '（' + s.section + '，' + s.ballots + L(' 票', ' ballots') + '）' }));
    var table;
    if (s.candidates) {
      var cb = C.el('tbody');
      s.candidates.forEach(function (c) { cb.appendChild(C.el('tr', {}, [td(String(c.rank), true), td(c.name || c.subject), td(String(c.votes), true), td(pct(c.share), true)])); });
      table = C.el('table', {}, [C.el('thead', {}, [C.el('tr', {}, [th(L('名次', 'Rank'), true), th(L('候选人', 'Candidate')), th(L('得票', 'Votes'), true), th(L('得票率', 'Share'), true)])]), cb]);
    } else {
      var head = [th(L('测评对象', 'Subject')), th(L('维度', 'Aspect')), th(L('有效票', 'Answers'), true)];
      (s.options || []).forEach(function (o) { head.push(th(o, true)); });
      head.push(th(L('优秀率', 'Excellent'), true), th(L('称职及以上率', 'Competent or better'), true));
      var sb = C.el('tbody');
      (s.subjects || []).forEach(function (x) {
        var tr = C.el('tr', { 'class': x.flagged ? 'flagged' : '' }, [td((x.name || x.subject) + (x.flagged ? ' ⚠' : '')), td(x.dimension || ''), td(String(x.answered), true)]);
        (x.options || []).forEach(function (o) { tr.appendChild(td(o.count + '（' + pct(o.share) + '）', true)); });
        tr.appendChild(td(pct(x.excellent_rate), true));
        tr.appendChild(td(pct(x.competent_rate), true));
        sb.appendChild(tr);
      });
      table = C.el('table', {}, [C.el('thead', {}, [C.el('tr', {}, head)]), sb]);
    }
    box.appendChild(C.el('div', { 'class': 'table-wrap' }, [table]));
    return box;
  }

  function render() {
    if (scores) {
      ['town', 'department'].forEach(function (k) {
        var box = D.getElementById(k === 'town' ? 'towns' : 'departments');
        box.textContent = '';
        box.appendChild(scoreTable(k));
      });
      var ws = scores.warnings || [];
      var list = D.getElementById('warning-list');
      list.textContent = '';
      ws.forEach(function (w) { list.appendChild(C.el('li', { text: w })); });
      D.getElementById('warnings').hidden = !ws.length;
    }
    if (cadres) {
      var cb = D.getElementById('cadres');
      cb.textContent = '';
      if (!cadres.meetings.length) cb.appendChild(C.el('p', { 'class': 'hint', text: L('还没有已结束的会议有此类结果。', 'No closed meeting has such results yet.') }));
      cadres.meetings.forEach(function (m) {
        var card = C.el('section', { 'class': 'tally-group', 'data-meeting': m.meeting });
        card.appendChild(C.el('h3', { text: m.title + '（' + m.ballots + L(' 票', ' ballots') + '）' }));
        m.sections.forEach(function (s) { card.appendChild(cadreSection(s)); });
        cb.appendChild(card);
      });
    }
  }

  D.addEventListener('DOMContentLoaded', function () {
    var cycle = D.getElementById('results').getAttribute('data-cycle');
    var base = '/cycles/' + encodeURIComponent(cycle);
    D.addEventListener('cp:lang', function () { render(); });
    C.api('GET', base + '/scores').then(function (r) {
      if (r.status !== 200) { D.getElementById('res-msg').textContent = C.errorText(r.data); D.getElementById('towns').textContent = ''; D.getElementById('departments').textContent = ''; return; }
      scores = r.data;
      render();
    });
    C.api('GET', base + '/cadres').then(function (r) {
      if (r.status !== 200) { D.getElementById('cadres').textContent = C.errorText(r.data); return; }
      cadres = r.data;
      render();
    });
  });
})();
