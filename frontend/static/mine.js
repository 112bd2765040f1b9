/* A unit's own indicators (本单位指标): approved values with their
 * completion, factor and points, grouped by category with subtotals; any
 * other entry reads 待审核 and shows no value (the API sends none, and this
 * page renders a value only for an approved entry). Hooks:
 * #mine[data-cycle,data-bound], #mine-body, .cat[data-category],
 * .ind[data-code][data-status], .subtotal, #total. */
(function () {
  'use strict';
  var C = window.Ceping, D = document, T = C.t;
  C.extend({
    'nav.collect': 'My entries', 'nav.mine': 'Our indicators', 'role.who.assessor': ' (Assessment body)', 'role.who.unit': ' (Assessed unit)',
    'mine.title': 'Our indicators', 'collect.years': 'Year: ',
    'mine.intro': 'Your unit\'s target-task indicators. The assessment bodies enter the values; they show here once the office has approved them, the others read "Pending review".',
    'mine.noYear': 'There is no assessment year yet.', 'mine.none': '{0} has no indicators in this year.',
    'mine.pending': 'Pending review', 'mine.points': '{0} pts', 'mine.target': 'target {0} {1}', 'mine.higher': 'higher is better', 'mine.lower': 'lower is better',
    'mine.score100': 'score 0–100', 'mine.actual': 'actual {0} {1}', 'mine.score': 'score {0}', 'mine.completion': 'completion {0}', 'mine.factor': 'factor {0}',
    'mine.gives': 'points {0}', 'mine.subtotal': 'Subtotal {0} / {1} pts', 'mine.pendingCount': '{0} pending', 'mine.total': 'Approved so far: {0} / {1} pts',
    'mine.major': 'Major loss: {0}',
    'st.approved': 'Approved', 'mine.offline': 'Network lost: refresh the page in a moment.',
    'rule.floor': 'Completion not above {0}%: scores 0 under the rules.', 'rule.capped': 'Completion above 100%: counted as 100%.', 'rule.major_loss': 'Major loss: scores 0.'
  });
  var CAT = { economic: ['经济发展', 'Economic development'], social: ['社会发展', 'Social development'], environment: ['资源环境', 'Resources and environment'],
    stability: ['社会稳定', 'Social stability'], work: ['年度工作任务', 'Annual work tasks'], team: ['班子和队伍建设', 'Leadership and staff'] };
  var ORDER = ['economic', 'social', 'environment', 'stability', 'work', 'team'];
  var root, cycle, bound, floor = '60', lines = null;

  function num(x) { return x == null ? '' : String(+(+x).toFixed(4)); }
  function pct(x) { return String(+(x * 100).toFixed(2)) + '%'; }
  function el(tag, attrs, kids) { return C.el(tag, attrs, kids); }
  function cat(c) { return CAT[c] ? C.pick(CAT[c][0], CAT[c][1]) : c; }

  D.addEventListener('DOMContentLoaded', function () {
    root = D.getElementById('mine');
    cycle = root.getAttribute('data-cycle');
    bound = root.getAttribute('data-bound');
    floor = root.getAttribute('data-floor') || '60';
    D.addEventListener('cp:lang', function () { if (lines) render(); });
    if (!cycle) { say(T('mine.noYear', '还没有考核年度。')); return; }
    C.api('GET', '/cycles/' + encodeURIComponent(cycle) + '/entries').then(function (r) {
      if (r.status !== 200) { say(C.errorText(r.data)); return; }
      lines = r.data.entries;
      render();
    }, function () { say(C.t('mine.offline', '网络中断，请稍后刷新页面。')); });
  });

  function say(text) {
    var b = D.getElementById('mine-body');
    b.textContent = '';
    b.appendChild(el('p', { text: text }));
  }

  // approved is the entry when the office approved it, else null: nothing
  // else is ever shown.
  function approved(line) { return line.entry && line.entry.status === 'approved' ? line.entry : null; }

  function render() {
    var box = D.getElementById('mine-body');
    box.textContent = '';
    if (!lines.length) { say(T('mine.none', '{0}在本年度没有目标任务指标。', bound)); return; }
    var by = {}, cats = [];
    lines.forEach(function (l) {
      if (!by[l.category]) { by[l.category] = []; cats.push(l.category); }
      by[l.category].push(l);
    });
    cats.sort(function (a, b) {
      var i = ORDER.indexOf(a), j = ORDER.indexOf(b);
      return (i < 0 ? 99 : i) - (j < 0 ? 99 : j) || (a < b ? -1 : 1);
    });
    var got = 0, all = 0;
    cats.forEach(function (c) {
      var sub = 0, pts = 0, pending = 0, list = el('ul', { 'class': 'inds' });
      by[c].forEach(function (l) {
        var e = approved(l);
        pts += l.points;
        if (e) sub += e.points || 0; else pending++;
        list.appendChild(item(l, e));
      });
      got += sub; all += pts;
      var head = el('div', { 'class': 'cat-head' }, [el('h2', { text: cat(c) }),
        el('span', { 'class': 'subtotal', text: T('mine.subtotal', '小计 {0} / {1} 分', num(+sub.toFixed(3)), num(pts)) + (pending ? ' · ' + T('mine.pendingCount', '{0} 项待审核', pending) : '') })]);
      box.appendChild(el('section', { 'class': 'card cat', 'data-category': c }, [head, list]));
    });
    box.appendChild(el('p', { id: 'total', 'class': 'card total', text: T('mine.total', '已审核指标得分合计 {0} / {1} 分', num(+got.toFixed(3)), num(all)) }));
  }

  function item(l, e) {
    var metaParts = [T('mine.points', '{0} 分', num(l.points))];
    if (l.method === 'completion') {
      metaParts.push(T('mine.target', '目标 {0} {1}', num(l.target), l.measure || '').replace(/\s+$/, '') + '，' + (l.better === 'lower' ? T('mine.lower', '越低越好') : T('mine.higher', '越高越好')));
    } else {
      metaParts.push(T('mine.score100', '0–100 评分'));
    }
    var li = el('li', { 'class': 'ind', 'data-code': l.code, 'data-status': e ? 'approved' : 'pending' }, [
      el('div', { 'class': 'entry-head' }, [el('h3', { text: l.name }), e ? el('span', { 'class': 'badge st-approved', text: C.t('st.approved', '已通过') }) : el('span', { 'class': 'badge st-pending', text: T('mine.pending', '待审核') })]),
      el('p', { 'class': 'meta hint', text: metaParts.join(' · ') })]);
    if (!e) return li;
    var parts = [];
    if (l.method === 'completion' && e.actual != null) parts.push(T('mine.actual', '实际 {0} {1}', num(e.actual), l.measure || '').replace(/\s+$/, ''));
    if (l.method === 'score' && e.score != null) parts.push(T('mine.score', '评分 {0}', num(e.score)));
    if (e.completion != null) parts.push(T('mine.completion', '完成率 {0}', pct(e.completion)));
    if (e.factor != null) parts.push(T('mine.factor', '系数 {0}', num(e.factor)));
    if (e.points != null) parts.push(T('mine.gives', '得分 {0}', num(e.points)));
    li.appendChild(el('p', { 'class': 'figures', text: parts.join(' · ') }));
    var rule = { floor: T('rule.floor', '完成率未超过 {0}%，按细则记 0 分', floor), capped: T('rule.capped', '完成率超过 100%，按 100% 计'), major_loss: T('rule.major_loss', '重大失分，记 0 分') }[e.rule];
    if (rule) li.appendChild(el('p', { 'class': 'rule', 'data-rule': e.rule, text: rule }));
    if (e.major_loss && e.reason) li.appendChild(el('p', { 'class': 'hint', text: T('mine.major', '重大失分：{0}', e.reason) }));
    return li;
  }
})();
