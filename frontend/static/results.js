/* The year's results: the score table (towns and county departments apart)
 * and the leadership, cadre, integrity and recommendation results.
 *
 * The score table leads with 名次, 单位, 总分 and 等次. A unit's notes are a
 * ⚠ in its row and a list under the table; a banner says when meetings are
 * still open, targets are missing or evaluation components have no ballots
 * yet, and then every 名次 and 等次 carries （参考）. Every number shown comes from the
 * scores API: the note on 各方面评价合计 adds up the row's own trace. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'res.title': 'Results', 'res.xlsx': 'Download the results workbook (Excel)', 'res.meetings': 'Meetings and tally sheets', 'res.warnings': 'Notes',
    'res.towns': 'Towns', 'res.departments': 'County departments', 'res.cadres': 'Leadership, cadres and recommendations',
    'res.incomplete': 'Results are not complete yet: {0}. Ranks and grades are provisional.',
    'res.openMeetings': '{0} meeting(s) not closed', 'res.noTargets': '{0} unit(s) without target scores',
    'res.noBallots': 'no ballots yet for {0}', 'res.shortBallots': '{0} unit(s) lack ballots for some components', 'res.provisional': ' (provisional)',
    'res.rescaled': 'Rescaled to {0} points from the components present: {1} points present, {2} earned, {3} after rescaling',
    'res.rescaledNote': '{0}: {1}', 'res.units': '{0} ({1} units)', 'res.points': '{0} pts',
    'res.noUnits': 'No units of this kind.', 'res.noCadres': 'No closed meeting has such results yet.', 'res.ballots': '{0} ballots',
    'res.warnMark': '{0} note(s)', 'res.rank': 'Rank'
  });
  var L = C.pick, T = C.t;
  // Header words break only where a "|" says (a <wbr>), so that headers
  // wrap into two clean lines.
  var COMPONENTS = [['conference', '全县领导干部|大会评价', 'Conference'], ['mutual', '单位|互评', 'Mutual'], ['group', '考核组|评价', 'Group'],
    ['democratic', '民主|测评', 'Democratic'], ['social', '社会|评价', 'Social']];
  var PURPOSE = { team: ['领导班子', 'Leadership team'], cadre: ['科级干部', 'Cadres'], integrity: ['党风廉政', 'Clean government'], recommend: ['无任用推荐', 'Recommendation'] };
  var scores = null, cadres = null, meetings = null, targets = null, rules = null;

  function fmt(x) { return typeof x === 'number' ? x.toFixed(2) : '—'; }
  // pts writes points as the rules give them: 7, 2.5.
  function pts(x) { return String(Math.round(x * 100) / 100); }
  function pct(x) { return (x * 100).toFixed(1) + '%'; }
  function th(text, num) {
    var kids = [];
    String(text).split('|').forEach(function (part, i) { if (i) kids.push(C.el('wbr')); kids.push(part); });
    return C.el('th', { 'class': num ? 'num' : '' }, kids);
  }
  function td(text, num) { return C.el('td', { 'class': num ? 'num' : '', text: text }); }
  // note is a server note in the chosen language: notes are written
  // "中文说明 (English)", as the server's messages are.
  var TAIL = /^([\s\S]*?[\u3000-\u9fff\uff00-\uffef][\s\S]*?)\s*\(([A-Za-z][^()]*[a-z]{2}[^()]*)\)\s*$/;
  function note(s) {
    var m = TAIL.exec(s || '');
    if (!m) return s;
    return C.lang() === 'en' ? m[2] : m[1];
  }

  // evalPoints is the evaluation's full points: the sum of the rules'
  // component points (20 by the rules text).
  function evalPoints() {
    if (!rules || !rules.components) return null;
    var sum = 0;
    for (var k in rules.components) sum += rules.components[k];
    return sum;
  }

  // rescale explains a row's 各方面评价合计 when components are missing:
  // the points present and earned are the row's trace, the result is its
  // evaluation total. Null when nothing was rescaled.
  function rescale(u) {
    var full = evalPoints(), trace = u.trace || [];
    if (full === null || !trace.length) return null;
    var have = 0, got = 0;
    trace.forEach(function (t) { have += t.points; got += t.score; });
    if (Math.abs(have - full) < 1e-9) return null;
    return T('res.rescaled', '按已有评价项折算为 {0} 分：已有 {1} 分，得 {2}，折算 {3}', pts(full), pts(have), got.toFixed(2), fmt(u.evaluation.total));
  }

  function componentHead(c) {
    var h = th(L(c[1], c[2]), true);
    if (rules && rules.components && typeof rules.components[c[0]] === 'number') {
      h.appendChild(C.el('span', { 'class': 'pts', text: T('res.points', '{0} 分', pts(rules.components[c[0]])) }));
    }
    return h;
  }

  function scoreTable(kind, provisional) {
    var box = C.el('div', { 'class': 'score-box' });
    var rows = scores.units.filter(function (u) { return u.kind === kind; }).sort(function (a, b) { return a.rank - b.rank; });
    if (!rows.length) { box.appendChild(C.el('p', { 'class': 'hint', text: T('res.noUnits', '没有此类单位。') })); return box; }
    var head = [th(T('res.rank', '名次'), true), th(L('单位', 'Unit')), th(L('总分', 'Total'), true), th(L('等次', 'Grade')),
      th(L('目标任务|得分', 'Target score'), true), th(L('折算|得分', 'Weighted'), true)];
    if (rules && typeof rules.target_weight === 'number') head[5].appendChild(C.el('span', { 'class': 'pts', text: '×' + pts(rules.target_weight) }));
    COMPONENTS.forEach(function (c) { head.push(componentHead(c)); });
    head.push(th(L('各方面评价|合计', 'Evaluation'), true), th(L('加减分', 'Adjustments'), true));
    var evalHead = head[head.length - 2];
    if (evalPoints() !== null) evalHead.appendChild(C.el('span', { 'class': 'pts', text: T('res.points', '{0} 分', pts(evalPoints())) }));
    var body = C.el('tbody');
    var byNote = {}, order = [], rescaled = [];
    rows.forEach(function (u) {
      var comps = (u.evaluation && u.evaluation.components) || {};
      var notes = (u.warnings || []).map(note);
      var unit = C.el('td', { 'class': 'unit' }, [u.name]);
      if (notes.length) {
        unit.appendChild(C.el('span', { 'class': 'warn-mark', title: notes.join('\n'), 'aria-label': T('res.warnMark', '{0} 条说明', notes.length), text: '⚠' }));
      }
      var rankCell = td(String(u.rank), true), gradeCell = C.el('td', { 'class': 'grade', text: u.grade ? C.label(u.grade) : '—' });
      if (provisional) {
        rankCell.appendChild(C.el('span', { 'class': 'prov', text: T('res.provisional', '（参考）') }));
        gradeCell.appendChild(C.el('span', { 'class': 'prov', text: T('res.provisional', '（参考）') }));
      }
      var tr = C.el('tr', { 'data-unit': u.unit }, [rankCell, unit,
        C.el('td', { 'class': 'num total' }, [C.el('strong', { text: fmt(u.total) })]), gradeCell,
        td(fmt(u.target.score), true), td(fmt(u.target.weighted), true)]);
      COMPONENTS.forEach(function (c) { tr.appendChild(td(fmt(comps[c[0]]), true)); });
      var ev = td(fmt(u.evaluation.total), true);
      var why = rescale(u);
      if (why) {
        ev.appendChild(C.el('sup', { 'class': 'fn', title: why, text: '*' }));
        rescaled.push([u.name, why]);
      }
      tr.appendChild(ev);
      tr.appendChild(td(fmt(u.adjustments), true));
      body.appendChild(tr);
      notes.forEach(function (n) {
        if (!byNote[n]) { byNote[n] = []; order.push(n); }
        byNote[n].push(u.name);
      });
    });
    var table = C.el('table', { 'class': 'scores', 'data-kind': kind }, [C.el('thead', {}, [C.el('tr', {}, head)]), body]);
    box.appendChild(C.el('div', { 'class': 'table-wrap' }, [table]));
    // The notes under the table: each distinct note once, with its units;
    // then each rescaled evaluation with its numbers.
    if (order.length || rescaled.length) {
      var list = C.el('ul', { 'class': 'notes' });
      order.forEach(function (n) {
        var units = byNote[n].length > 3 ? T('res.units', '{0}（{1} 个单位）', byNote[n].join('、'), byNote[n].length) : byNote[n].join('、');
        list.appendChild(C.el('li', { 'class': 'warn-note' }, [C.el('span', { 'class': 'mark', text: '⚠' }), n + L('：', ': ') + units]));
      });
      rescaled.forEach(function (r) {
        list.appendChild(C.el('li', { 'class': 'rescale-note' }, [C.el('span', { 'class': 'mark', text: '*' }), T('res.rescaledNote', '{0}：{1}', r[0], r[1])]));
      });
      box.appendChild(list);
    }
    return box;
  }

  // incomplete is the banner's reasons: meetings not closed, units without
  // targets; empty when the results are complete.
  function incomplete() {
    var parts = [];
    if (meetings) {
      var open = meetings.filter(function (m) { return !m.sealed; }).length;
      if (open) parts.push(T('res.openMeetings', '{0} 个会议未结束', open));
    }
    if (targets && scores) {
      var has = {};
      targets.forEach(function (t) { has[t.unit] = true; });
      var missing = scores.units.filter(function (u) { return !has[u.unit]; }).length;
      if (missing) parts.push(T('res.noTargets', '{0} 个单位缺目标任务', missing));
    }
    // Evaluation components without ballots, from the rows' traces: a
    // component no row has is missing everywhere; a row lacking one that
    // others have is short.
    if (scores && scores.units.length) {
      var seen = {};
      scores.units.forEach(function (u) { (u.trace || []).forEach(function (t) { seen[t.component] = true; }); });
      var none = COMPONENTS.filter(function (c) {
        return !seen[c[0]] && (!rules || !rules.components || rules.components.hasOwnProperty(c[0]));
      }).map(function (c) { return L(c[1].replace('|', ''), c[2]); });
      if (none.length) parts.push(T('res.noBallots', '{0} 还没有选票', none.join(L('、', ', '))));
      var short = scores.units.filter(function (u) {
        var have = {};
        (u.trace || []).forEach(function (t) { have[t.component] = true; });
        return Object.keys(seen).some(function (c) { return !have[c]; });
      }).length;
      if (short) parts.push(T('res.shortBallots', '{0} 个单位部分评价项还没有选票', short));
    }
    return parts;
  }

  function sectionName(s) {
    if (s.title) return s.title;
    var p = PURPOSE[s.purpose];
    return p ? L(p[0], p[1]) : s.purpose;
  }

  function cadreSection(s) {
    var box = C.el('section', { 'class': 'tally-section', 'data-section': s.section });
    box.appendChild(C.el('h3', { text: sectionName(s) + L('（', ' (') + T('res.ballots', '{0} 票', s.ballots) + L('）', ')') }));
    var table;
    if (s.candidates) {
      var cb = C.el('tbody');
      s.candidates.forEach(function (c) { cb.appendChild(C.el('tr', {}, [td(String(c.rank), true), td(c.name || c.subject), td(String(c.votes), true), td(pct(c.share), true)])); });
      table = C.el('table', {}, [C.el('thead', {}, [C.el('tr', {}, [th(T('res.rank', '名次'), true), th(L('候选人', 'Candidate')), th(L('得票', 'Votes'), true), th(L('得票率', 'Share'), true)])]), cb]);
    } else {
      var dims = (s.subjects || []).some(function (x) { return !!x.dimension; });
      var head = [th(L('测评对象', 'Subject'))];
      if (dims) head.push(th(L('维度', 'Aspect')));
      head.push(th(L('有效票', 'Answers'), true));
      (s.options || []).forEach(function (o) { head.push(th(C.label(o), true)); });
      head.push(th(L('优秀率', 'Excellent'), true), th(L('称职及以上率', 'Competent or better'), true));
      var sb = C.el('tbody');
      (s.subjects || []).forEach(function (x) {
        var tr = C.el('tr', { 'class': x.flagged ? 'flagged' : '' }, [td((x.name || x.subject) + (x.flagged ? ' ⚠' : ''))]);
        if (dims) tr.appendChild(td(x.dimension || ''));
        tr.appendChild(td(String(x.answered), true));
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
      var parts = incomplete();
      ['town', 'department'].forEach(function (k) {
        var box = D.getElementById(k === 'town' ? 'towns' : 'departments');
        box.textContent = '';
        box.appendChild(scoreTable(k, parts.length > 0));
      });
      var ws = scores.warnings || [];
      var list = D.getElementById('warning-list');
      list.textContent = '';
      ws.forEach(function (w) { list.appendChild(C.el('li', { text: note(w) })); });
      D.getElementById('warnings').hidden = !ws.length;
      var banner = D.getElementById('incomplete');
      banner.textContent = parts.length ? T('res.incomplete', '结果尚不完整：{0}，名次和等次仅供参考。', parts.join(L('，', ', '))) : '';
      banner.hidden = !parts.length;
      D.getElementById('results').setAttribute('data-complete', parts.length ? 'no' : 'yes');
    }
    if (cadres) {
      var cb = D.getElementById('cadres');
      cb.textContent = '';
      if (!cadres.meetings.length) cb.appendChild(C.el('p', { 'class': 'hint', text: T('res.noCadres', '还没有已结束的会议有此类结果。') }));
      cadres.meetings.forEach(function (m) {
        var card = C.el('section', { 'class': 'tally-group', 'data-meeting': m.meeting });
        card.appendChild(C.el('h3', { text: m.title + L('（', ' (') + T('res.ballots', '{0} 票', m.ballots) + L('）', ')') }));
        m.sections.forEach(function (s) { card.appendChild(cadreSection(s)); });
        cb.appendChild(card);
      });
    }
  }

  D.addEventListener('DOMContentLoaded', function () {
    var cycle = D.getElementById('results').getAttribute('data-cycle');
    var base = '/cycles/' + encodeURIComponent(cycle);
    D.addEventListener('cp:lang', function () { render(); });
    // The extras (the banner's counts, the points in the headers) arrive
    // when they do; the table shows without them.
    function extra(path, set) {
      C.api('GET', base + path).then(function (r) { if (r.status === 200) { set(r.data); render(); } });
    }
    extra('/rules', function (d) { rules = d; });
    extra('/meetings', function (d) { meetings = d.meetings || []; });
    extra('/targets', function (d) { targets = d || []; });
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
