/* Year set-up (admin): units, people and target-task data as editable
 * tables; each can be imported from an .xlsx or .csv file, checked first
 * (dry run), then confirmed. Target tasks are edited as the import template
 * lays them out: one row per indicator, adjustment (加减分) or veto
 * (一票否决), grouped into the API's per-unit shape when saved. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'setup.title': 'Year set-up', 'setup.intro': 'Work in order: units, then people, then target-task data, then the ballot forms, and last the meetings. Edit in the tables, or fill in the Excel template and import it.',
    'setup.step1': '1 Units', 'setup.step2': '2 People', 'setup.step3': '3 Target tasks', 'setup.step4': '4 Ballot forms ›', 'setup.step5': '5 Meetings ›',
    'setup.units': '1 Units', 'setup.unitsHint': 'The towns and county departments assessed. The code (e.g. T01, D01) names the unit in people and target-task lists. The staff count drives the reminder that a unit of more than 50 staff needs at least 50 participants.',
    'setup.people': '2 People', 'setup.peopleHint': 'Leadership members and cadres to be rated, and recommendation candidates. Their unit must be in the list above.',
    'setup.targets': '3 Target tasks', 'setup.targetsHint': 'Indicators per unit: one row each (category, name, points, completion or score); adjustments and veto on rows of their own. Edit, add or delete rows here and press "Save target tasks", or fill in the template and import it (the import replaces all target-task data).',
    'setup.addRow': '+ Add a row', 'setup.saveUnits': 'Save units', 'setup.savePeople': 'Save people', 'setup.dirty': 'Unsaved changes',
    'imp.from': 'Import from a spreadsheet:', 'imp.xlsx': 'Excel template', 'imp.csv': 'CSV template', 'imp.choose': 'Choose file',
    'imp.limit': 'Excel or CSV file, at most 1 MB', 'imp.confirm': 'Import', 'imp.cancel': 'Cancel', 'imp.checking': 'Checking the file…',
    'imp.tooBig': 'The file is over 1 MB: delete extra sheets or split it.', 'imp.bad': 'The file has problems; nothing was imported. Fix these cells and choose the file again:',
    'imp.checked': 'File "{0}" checked: {1} {2}. Importing replaces the {3} {2} there are now.', 'imp.done': 'Imported {0} {1}.',
    'col.code': 'Code', 'col.name': 'Name', 'col.kind': 'Kind', 'col.staff': 'Staff', 'col.pname': 'Name', 'col.unit': 'Unit', 'col.post': 'Post', 'col.leader': 'Leadership',
    'col.staffHint': 'Used for the reminder: a unit of more than 50 staff needs at least 50 participants.',
    'row.confirm': 'Delete the row "{0}"? It takes effect when saved.', 'net.error': 'Network connection failed; please try again.',
    'units.none': 'No units yet: press "Add a row" to enter them one by one, or fill in the template and import it.',
    'people.none': 'No people yet: press "Add a row" to enter them one by one, or fill in the template and import it.',
    'row.n': 'Row {0}', 'noun.units': 'units', 'noun.people': 'people',
    'kind.town': 'Town', 'kind.department': 'Department', 'common.delete': 'Delete', 'saved': 'Saved.',
    't.unit': 'Unit', 't.category': 'Category', 't.name': 'Indicator / reason', 't.points': 'Points', 't.completion': 'Completion %', 't.score': 'Score', 't.loss': 'Major loss',
    'setup.saveTargets': 'Save target tasks', 'noun.targets': 'units with target tasks', 't.adjHint': 'e.g. a provincial commendation',
    't.none': 'No target-task data yet: add rows here, or fill in the template and import it.',
    't.missing': 'These units have no target-task data yet; their target score counts as 0: {0}',
    't.needUnit': 'choose the unit', 't.needCategory': 'choose the category', 't.needPoints': 'enter the points (a number)',
    't.fix': 'Some rows need fixing; nothing was saved:', 't.clearAll': 'Delete all target-task data of this year?',
    'setup.bodies': 'Bodies', 'setup.bodiesHint': 'Who enters the indicators\' values: the statistics bureau, the departments and the assessment groups. The code (e.g. TJJ) names the body in the catalogue; "Body data entry" accounts are bound to a body on the accounts page.',
    'setup.saveBodies': 'Save bodies', 'bodies.none': 'No bodies yet: press "Add a row".', 'noun.bodies': 'bodies',
    'bkind.statistics': 'Statistics bureau', 'bkind.department': 'Department', 'bkind.group': 'Assessment group',
    'setup.catalogue': 'Indicator catalogue', 'setup.catalogueHint': 'One indicator per row: its unit, category, points, method (completion against a target, or a 0–100 score) and the body that enters it. A unit\'s points in a category add up to the category\'s points. With a catalogue, target-task scores come from the values the bodies enter and the office approves.',
    'setup.saveCatalogue': 'Save catalogue', 'catalogue.none': 'No catalogue yet: add rows here. Without one, target-task scores are typed below.', 'noun.catalogue': 'indicators',
    'c.code': 'Code', 'c.unit': 'Unit', 'c.category': 'Category', 'c.name': 'Indicator', 'c.points': 'Points', 'c.method': 'Method', 'c.target': 'Target',
    'c.measure': 'Measure', 'c.better': 'Better', 'c.source': 'Entered by',
    'm.completion': 'Completion', 'm.score': 'Score 0–100', 'b.higher': 'Higher', 'b.lower': 'Lower',
    'c.conflict': 'These indicators already have entered values: {0}. Dropping them or changing their method, target or body voids those values.',
    'c.reset': 'Void these values and save', 'c.resetConfirm': 'Void the entered values of {0} and save the catalogue? The bodies enter them again.',
    'c.savedReset': 'Saved. Voided entered values: {0}.',
    't.readonly': 'This year has an indicator catalogue: target-task scores come from the values entered and approved in the collection, so they are read-only here. Indicators without an approved value count 0 for now.',
    't.pending': 'Pending approval (counts 0)', 't.status': 'Status', 't.approved': 'Approved', 't.readonlyNone': 'No approved values yet.'
  });
  var T = C.t;
  var root, cycle, base;
  var state = { units: [], people: [], bodies: [], catalogue: [], targets: [], rows: [], rules: null };
  var dirty = { units: false, people: false, bodies: false, catalogue: false, targets: false };
  // The API's path of a list the page edits.
  var PATH = { catalogue: 'indicators' };
  var BKIND = { statistics: ['bkind.statistics', '统计局'], department: ['bkind.department', '职能部门'], group: ['bkind.group', '考核组'] };
  var NOUN = { units: ['个单位', 'units'], people: ['名人员', 'people'], targets: ['个单位的目标任务', 'units with targets'], bodies: ['个考核主体', 'bodies'], catalogue: ['项指标', 'indicators'] };
  var CAT = { economic: '经济发展', social: '社会发展', environment: '资源环境', stability: '社会稳定', team: '班子和队伍建设', work: '年度工作任务' };
  var CAT_ORDER = ['economic', 'social', 'environment', 'stability', 'work', 'team'];
  // The rules text's categories and points, until the year's rules load.
  var CATS = { town: { economic: 35, social: 15, environment: 15, stability: 20, team: 15 }, department: { work: 70, team: 30 } };
  // Target rows that are not indicators (the import template's words).
  var ADJ = '*adjustment', VETO = '*veto';

  function unitOptions() {
    return [['', '—']].concat(state.units.filter(function (u) { return u.code; }).map(function (u) { return [u.code, u.code + ' ' + u.name]; }));
  }
  function isScore(row) { return row.method === 'score'; }
  function columns(kind) {
    if (kind === 'bodies') return [
      { key: 'code', zh: '编码', en: 'col.code', type: 'text', ph: '如：TJJ' },
      { key: 'name', zh: '名称', en: 'col.name', type: 'text', ph: '如：县统计局' },
      { key: 'kind', zh: '类型', en: 'col.kind', type: 'select', options: function () { return ['statistics', 'department', 'group'].map(function (k) { return [k, T(BKIND[k][0], BKIND[k][1])]; }); } }];
    if (kind === 'catalogue') return [
      { key: 'code', zh: '编码', en: 'c.code', type: 'text', ph: '如：T01-01' },
      { key: 'unit', zh: '单位', en: 'c.unit', type: 'select', options: unitOptions, rerender: true },
      { key: 'category', zh: '类别', en: 'c.category', type: 'select', options: function (row) {
        var u = unitOf(row.unit), cats = catsOf(u ? u.kind : ''), out = [['', '—']];
        Object.keys(cats).sort(function (a, b) { return (CAT_ORDER.indexOf(a) + 1 || 99) - (CAT_ORDER.indexOf(b) + 1 || 99); }).forEach(function (c) { out.push([c, (CAT[c] || c) + '（' + cats[c] + ' 分）']); });
        return out;
      } },
      { key: 'name', zh: '指标名称', en: 'c.name', type: 'text', ph: '如：地区生产总值增速' },
      { key: 'points', zh: '分值', en: 'c.points', type: 'number', step: 'any', nullable: true, narrow: true },
      { key: 'method', zh: '计分方式', en: 'c.method', type: 'select', rerender: true, options: function () { return [['completion', T('m.completion', '完成率')], ['score', T('m.score', '0–100 评分')]]; } },
      { key: 'target', zh: '目标值', en: 'c.target', type: 'number', step: 'any', nullable: true, narrow: true, disabled: isScore },
      { key: 'measure', zh: '计量单位', en: 'c.measure', type: 'text', ph: '如：%、亿元', disabled: isScore },
      { key: 'better', zh: '方向', en: 'c.better', type: 'select', disabled: isScore, options: function () { return [['higher', T('b.higher', '越高越好')], ['lower', T('b.lower', '越低越好')]]; } },
      { key: 'source', zh: '填报主体', en: 'c.source', type: 'select', options: function () {
        return [['', '—']].concat(state.bodies.filter(function (b) { return b.code; }).map(function (b) { return [b.code, b.code + ' ' + b.name]; }));
      } }];
    if (kind === 'units') return [
      { key: 'code', zh: '编码', en: 'col.code', type: 'text', ph: '如：T01' },
      { key: 'name', zh: '名称', en: 'col.name', type: 'text', ph: '如：城关镇' },
      { key: 'kind', zh: '类型', en: 'col.kind', type: 'select', options: function () { return [['town', T('kind.town', '镇')], ['department', T('kind.department', '部门')]]; } },
      { key: 'staff', zh: '干部职工人数', en: 'col.staff', type: 'number', narrow: true, hint: ['col.staffHint', '用于提醒：50 人以上的单位，参会人数不少于 50 人'] }];
    return [
      { key: 'code', zh: '编码', en: 'col.code', type: 'text', ph: '如：P01' },
      { key: 'name', zh: '姓名', en: 'col.pname', type: 'text', ph: '如：张三' },
      { key: 'unit', zh: '所属单位', en: 'col.unit', type: 'select', options: function () {
        return [['', '—']].concat(state.units.filter(function (u) { return u.code; }).map(function (u) { return [u.code, u.code + ' ' + u.name]; }));
      } },
      { key: 'post', zh: '职务', en: 'col.post', type: 'text', ph: '如：党委书记' },
      { key: 'leader', zh: '班子成员', en: 'col.leader', type: 'checkbox' }];
  }
  function blank(kind) {
    if (kind === 'bodies') return { code: '', name: '', kind: 'department' };
    if (kind === 'catalogue') {
      var last = state.catalogue[state.catalogue.length - 1] || {};
      return { code: '', unit: last.unit || '', category: '', name: '', points: null, method: 'score', target: null, measure: '', better: 'higher', source: last.source || '' };
    }
    return kind === 'units' ? { code: '', name: '', kind: 'town', staff: 0 } : { code: '', name: '', unit: '', post: '', leader: false }; }

  function setDirty(kind, v) {
    dirty[kind] = v;
    var s = D.querySelector('[data-dirty="' + kind + '"]');
    if (s) s.hidden = !v;
  }
  // renderList draws an editable list; rows keep their index for error mapping.
  function renderList(kind) {
    var tbl = D.getElementById(kind + '-table'), cols = columns(kind);
    tbl.textContent = '';
    var head = C.el('tr', {}, [C.el('th', { text: '#' })]);
    cols.forEach(function (c) {
      var th = C.el('th', { text: T(c.en, c.zh) });
      if (c.hint) th.setAttribute('title', T(c.hint[0], c.hint[1]));
      head.appendChild(th);
    });
    head.appendChild(C.el('th', { text: '' }));
    tbl.appendChild(C.el('thead', {}, [head]));
    var body = C.el('tbody');
    state[kind].forEach(function (row, i) {
      var tr = C.el('tr', { 'data-index': String(i) }, [C.el('td', { 'class': 'muted', text: String(i + 1) })]);
      cols.forEach(function (c) {
        var input;
        if (c.type === 'select') {
          input = C.el('select', {});
          var found = false;
          c.options(row).forEach(function (o) { input.appendChild(C.el('option', { value: o[0], text: o[1] })); found = found || o[0] === row[c.key]; });
          if (!found && row[c.key]) input.appendChild(C.el('option', { value: row[c.key], text: row[c.key] + '（?）' }));
          input.value = row[c.key] == null ? '' : row[c.key];
        } else if (c.type === 'checkbox') {
          input = C.el('input', { type: 'checkbox' });
          input.checked = !!row[c.key];
        } else {
          input = C.el('input', { type: c.type === 'number' ? 'number' : 'text', value: String(row[c.key] == null ? '' : row[c.key]) });
          if (c.type === 'number') { input.setAttribute('min', '0'); input.setAttribute('step', c.step || '1'); input.setAttribute('inputmode', c.step ? 'decimal' : 'numeric'); }
          if (c.ph) input.setAttribute('placeholder', c.ph);
        }
        input.setAttribute('data-key', c.key);
        input.setAttribute('aria-label', T(c.en, c.zh) + ' ' + (i + 1));
        if (c.disabled && c.disabled(row)) { input.disabled = true; input.value = ''; }
        input.addEventListener(c.type === 'text' || c.type === 'number' ? 'input' : 'change', function () {
          row[c.key] = c.type === 'checkbox' ? input.checked : c.type === 'number' ? (input.value === '' ? (c.nullable ? null : 0) : Number(input.value)) : input.value;
          input.classList.remove('invalid');
          setDirty(kind, true);
          // The unit decides the categories offered, the method which
          // cells apply.
          if (c.rerender) { renderList(kind); var again = D.querySelector('#' + kind + '-table tbody tr[data-index="' + i + '"] [data-key="' + c.key + '"]'); if (again) again.focus(); }
        });
        tr.appendChild(C.el('td', { 'class': c.type === 'checkbox' ? 'center' : c.narrow ? 'narrow' : '', 'data-label': T(c.en, c.zh) }, [input]));
      });
      var del = C.el('button', { type: 'button', 'class': 'danger', text: T('common.delete', '删除') });
      del.addEventListener('click', function () {
        var label = row.name || row.code || ('#' + (i + 1));
        if ((row.code || row.name) && !confirm(T('row.confirm', '删除“{0}”这一行？保存后生效。', label))) return;
        state[kind].splice(i, 1);
        setDirty(kind, true);
        renderList(kind);
      });
      tr.appendChild(C.el('td', {}, [del]));
      body.appendChild(tr);
    });
    var NONE = { units: ['units.none', '还没有单位：点“添加一行”逐个填写，或下载模板填好后导入。'], people: ['people.none', '还没有人员：点“添加一行”逐个填写，或下载模板填好后导入。'],
      bodies: ['bodies.none', '还没有考核主体：点“添加一行”逐个填写。'], catalogue: ['catalogue.none', '还没有目标任务分解表：在这里添加指标。没有分解表时，目标任务得分在下面直接填写。'] };
    if (!state[kind].length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: String(cols.length + 2), 'class': 'muted', text: T(NONE[kind][0], NONE[kind][1]) })]));
    tbl.appendChild(body);
  }

  function say(kind, text, ok) { var m = D.getElementById(kind + '-msg'); m.textContent = text; m.className = 'msg ' + (ok ? 'ok' : 'bad'); }
  // msgOf is a message or detail in the page's language.
  function msgOf(x) { return x ? C.pick(x.message || '', x.message_en || x.message || '') : ''; }
  // place is where a detail's field says the problem is, when a clerk can
  // read it ("第 3 行 B 列"); never an API path such as "[2].unit".
  function place(d) { return d.field && /[\u4e00-\u9fff]/.test(d.field) ? d.field + '：' : ''; }

  // showErrors marks the cells the API's details name ("[3].kind") and
  // lists the rest.
  function showErrors(kind, data) {
    var e = (data && data.error) || {}, rest = [];
    var tbl = D.getElementById(kind + '-table'), cols = columns(kind);
    (e.details || []).forEach(function (d) {
      var m = /^\[(\d+)\]\.(\w+)/.exec(d.field || '');
      var tr = m && tbl.querySelector('tbody tr[data-index="' + m[1] + '"]');
      if (!tr) { rest.push(place(d) + msgOf(d)); return; }
      var input = tr.querySelector('[data-key="' + m[2] + '"]');
      if (input) input.classList.add('invalid');
      var col = cols.filter(function (c) { return c.key === m[2]; })[0];
      var note = tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains('row-error') ? tr.nextSibling : null;
      if (!note) {
        note = C.el('tr', { 'class': 'row-error' }, [C.el('td', {}), C.el('td', { colspan: String(cols.length + 1), 'class': 'field-error' })]);
        tr.parentNode.insertBefore(note, tr.nextSibling);
      }
      var cell = note.lastChild;
      cell.appendChild(C.el('div', { text: T('row.n', '第 {0} 行', Number(m[1]) + 1) + (col ? '「' + T(col.en, col.zh) + '」' : '') + '：' + msgOf(d) }));
    });
    say(kind, e.message ? msgOf(e) + (rest.length ? '\n· ' + rest.join('\n· ') : '') : C.errorText(data), false);
    var first = tbl.querySelector('.invalid');
    if (first) first.focus();
  }

  function save(kind) {
    if (kind === 'catalogue') { saveCatalogue(false); return; }
    var body = state[kind].map(function (r) {
      if (kind === 'bodies') return { code: r.code.trim(), name: r.name.trim(), kind: r.kind };
      if (kind === 'units') return { code: r.code.trim(), name: r.name.trim(), kind: r.kind, staff: Number(r.staff) || 0 };
      return { code: r.code.trim(), name: r.name.trim(), unit: r.unit, post: r.post.trim(), leader: !!r.leader };
    });
    renderList(kind);
    C.api('PUT', base + '/' + kind, body).then(function (r) {
      if (r.status === 200) {
        setDirty(kind, false);
        say(kind, T('saved', '已保存。') + ' ' + body.length + ' ' + T('noun.' + kind, NOUN[kind][0]), true);
        load(kind);
        return;
      }
      showErrors(kind, r.data);
    });
  }

  function load(kind) {
    return C.api('GET', base + '/' + (PATH[kind] || kind)).then(function (r) {
      if (r.status !== 200) { D.getElementById('load-msg').textContent = C.errorText(r.data); return; }
      state[kind] = r.data || [];
      if (kind === 'catalogue') state.catalogue.forEach(function (x) { x.measure = x.measure || ''; x.better = x.better || 'higher'; x.target = x.target == null ? null : x.target; });
      if (kind === 'targets') { state.rows = rowsOf(state.targets); renderTargets(); } else renderList(kind);
      if (kind === 'units') { if (!dirty.people) renderList('people'); if (!dirty.catalogue) renderList('catalogue'); renderTargets(); }
      if (kind === 'bodies' && !dirty.catalogue) renderList('catalogue');
      if (kind === 'catalogue') renderTargets();
    });
  }

  // ---- The indicator catalogue ----

  function catalogueBody() {
    return state.catalogue.map(function (r) {
      var x = { code: r.code.trim(), unit: r.unit, category: r.category, name: r.name.trim(), points: r.points == null ? 0 : Number(r.points), method: r.method, source: r.source };
      if (r.method !== 'score') {
        if (r.target != null) x.target = Number(r.target);
        if (r.measure && r.measure.trim()) x.measure = r.measure.trim();
        if (r.better === 'lower') x.better = 'lower';
      }
      return x;
    });
  }
  // markCatalogue marks the rows of the codes or of a unit (and category)
  // the API names, with its message under the first.
  function markCatalogue(match, key, text) {
    var first = true;
    state.catalogue.forEach(function (r, i) {
      if (!match(r)) return;
      var tr = D.querySelector('#catalogue-table tbody tr[data-index="' + i + '"]');
      if (!tr) return;
      var input = tr.querySelector('[data-key="' + key + '"]');
      if (input) input.classList.add('invalid');
      if (!first) return;
      first = false;
      var note = C.el('tr', { 'class': 'row-error' }, [C.el('td', {}), C.el('td', { colspan: '11', 'class': 'field-error', text: T('row.n', '第 {0} 行', i + 1) + '：' + text })]);
      tr.parentNode.insertBefore(note, tr.nextSibling);
    });
  }
  function saveCatalogue(reset) {
    var body = catalogueBody(), box = D.getElementById('catalogue-conflict'), button = D.querySelector('[data-save="catalogue"]');
    box.hidden = true;
    renderList('catalogue');
    button.disabled = true;
    C.api('PUT', base + '/indicators' + (reset ? '?reset=1' : ''), body).then(function (r) {
      button.disabled = false;
      if (r.status === 200) {
        setDirty('catalogue', false);
        var voided = (r.data && r.data.reset) || [];
        say('catalogue', voided.length ? T('c.savedReset', '已保存。已作废的填报数值：{0}。', voided.join('、')) : T('saved', '已保存。') + ' ' + body.length + ' ' + T('noun.catalogue', NOUN.catalogue[0]), true);
        load('catalogue').then(function () { return load('targets'); });
        return;
      }
      var e = (r.data && r.data.error) || {};
      if (r.status === 409 && (e.details || []).length) { conflict(e); return; }
      showErrors('catalogue', r.data);
      // 422: a unit's category does not add up; the detail names the unit.
      (e.details || []).forEach(function (d) {
        if (!d.subject || /^\[\d+\]/.test(d.field || '')) return;
        var c = /类别 "?([a-z_]+)"? /.exec(d.message || '') || /category "?([a-z_]+)"?/.exec(d.message || '');
        markCatalogue(function (x) { return x.unit === d.subject && (!c || x.category === c[1]); }, c ? 'points' : 'unit', translate(msgOf(d)));
      });
      var first = D.querySelector('#catalogue-table .invalid');
      if (first) first.focus();
    }, function () { button.disabled = false; say('catalogue', T('net.error', '网络连接失败，请重试。'), false); });
  }
  // conflict: entered values stand in the way; name them and offer to
  // void them, after a confirm.
  function conflict(e) {
    var codes = e.details.map(function (d) { return d.subject; }).filter(function (x) { return x; });
    say('catalogue', msgOf(e), false);
    markCatalogue(function (x) { return codes.indexOf(x.code) >= 0; }, 'code', T('c.conflict', '以下指标已有填报的数值：{0}。删除或改动其计分方式、目标值或考核主体会使这些数值作废。', codes.join('、')));
    var box = D.getElementById('catalogue-conflict');
    box.textContent = '';
    box.appendChild(C.el('p', { text: T('c.conflict', '以下指标已有填报的数值：{0}。删除或改动其计分方式、目标值或考核主体会使这些数值作废。', codes.join('、')) }));
    var go = C.el('button', { type: 'button', 'class': 'danger', id: 'catalogue-reset', text: T('c.reset', '作废这些已填数值并保存') });
    go.addEventListener('click', function () {
      if (!confirm(T('c.resetConfirm', '作废 {0} 已填报的数值并保存分解表吗？这些指标需由考核主体重新填报。', codes.join('、')))) return;
      saveCatalogue(true);
    });
    box.appendChild(C.el('div', { 'class': 'actions' }, [go]));
    box.hidden = false;
  }

  // renderTargetsReadOnly shows the targets a catalogue gives: what was
  // approved, and which indicators are pending (counting 0 for now).
  function renderTargetsReadOnly() {
    var tbl = D.getElementById('targets-table');
    tbl.textContent = '';
    var head = C.el('tr', {});
    [['t.unit', '单位'], ['t.category', '类别'], ['t.name', '指标名称 / 事由'], ['t.points', '分值'], ['t.completion', '完成率（%）'], ['t.score', '得分'], ['t.status', '状态']].forEach(function (h) {
      head.appendChild(C.el('th', { text: T(h[0], h[1]) }));
    });
    tbl.appendChild(C.el('thead', {}, [head]));
    var body = C.el('tbody');
    state.targets.forEach(function (t) {
      var u = unitOf(t.unit);
      (t.indicators || []).forEach(function (ind, k) {
        body.appendChild(C.el('tr', { 'class': (k === 0 ? 'unit-start ' : '') + (ind.pending ? 'pending' : ''), 'data-unit': t.unit }, [
          C.el('td', { 'data-label': T('t.unit', '单位'), text: u ? u.code + ' ' + u.name : t.unit }),
          C.el('td', { 'data-label': T('t.category', '类别'), text: CAT[ind.category] || ind.category }),
          C.el('td', { 'data-label': T('t.name', '指标名称 / 事由'), text: ind.name || '' }),
          C.el('td', { 'data-label': T('t.points', '分值'), text: fmt(ind.points) }),
          C.el('td', { 'data-label': T('t.completion', '完成率（%）'), text: pct(ind.completion) }),
          C.el('td', { 'data-label': T('t.score', '得分'), text: fmt(ind.score) }),
          C.el('td', { 'data-label': T('t.status', '状态'), 'class': ind.pending ? 'pending-mark' : '', text: ind.pending ? T('t.pending', '待审核（暂记 0 分）') : ind.major_loss ? T('t.loss', '重大损失') : T('t.approved', '已审核') })]));
      });
    });
    tbl.appendChild(body);
  }

  // ---- Target tasks ----

  // rowsOf flattens the API's targets into editable rows.
  function rowsOf(targets) {
    var rows = [];
    targets.forEach(function (t) {
      (t.indicators || []).forEach(function (ind) {
        rows.push({ unit: t.unit, cat: ind.category, name: ind.name || '', points: ind.points,
          completion: ind.completion == null ? null : ind.completion, score: ind.score == null ? null : ind.score, loss: !!ind.major_loss });
      });
      (t.adjustments || []).forEach(function (a) { rows.push({ unit: t.unit, cat: ADJ, name: a.reason || '', points: a.points, completion: null, score: null, loss: false }); });
      if (t.veto) rows.push({ unit: t.unit, cat: VETO, name: '', points: null, completion: null, score: null, loss: false });
    });
    return rows;
  }
  // targetsOf groups rows into the API's shape, units in the order they
  // first appear, and remembers which row each indicator and adjustment
  // came from, to put the API's errors back at their row.
  function targetsOf(rows) {
    var list = [], from = [], index = {};
    rows.forEach(function (r, i) {
      var k = index[r.unit];
      if (k === undefined) {
        k = index[r.unit] = list.length;
        list.push({ unit: r.unit, indicators: [] });
        from.push({ first: i, rows: [], indicators: [], adjustments: [] });
      }
      var t = list[k], o = from[k];
      o.rows.push(i);
      if (r.cat === VETO) { t.veto = true; return; }
      if (r.cat === ADJ) {
        t.adjustments = t.adjustments || [];
        var a = { points: Number(r.points) };
        if (r.name.trim()) a.reason = r.name.trim();
        t.adjustments.push(a);
        o.adjustments.push(i);
        return;
      }
      var ind = { category: r.cat, name: r.name.trim(), points: Number(r.points) };
      if (r.completion != null) ind.completion = r.completion;
      if (r.score != null) ind.score = r.score;
      if (r.loss) ind.major_loss = true;
      t.indicators.push(ind);
      o.indicators.push(i);
    });
    return { list: list, from: from };
  }
  function unitOf(code) { return state.units.filter(function (u) { return u.code === code; })[0]; }
  function catsOf(kind) { return (state.rules && state.rules.categories && state.rules.categories[kind]) || CATS[kind] || {}; }
  // catOptions: the categories of the row's unit kind (all when none is
  // chosen), in Chinese with their points, then the two special rows.
  function catOptions(unitCode) {
    var u = unitOf(unitCode), kinds = u ? [u.kind] : ['town', 'department'], seen = {}, out = [];
    kinds.forEach(function (k) {
      var cats = catsOf(k);
      Object.keys(cats).sort(function (a, b) { return (CAT_ORDER.indexOf(a) + 1 || 99) - (CAT_ORDER.indexOf(b) + 1 || 99) || (a < b ? -1 : 1); }).forEach(function (c) {
        if (seen[c]) return;
        seen[c] = true;
        out.push([c, (CAT[c] || c) + (u ? '（' + cats[c] + ' 分）' : '')]);
      });
    });
    return out.concat([[ADJ, '加减分'], [VETO, '一票否决']]);
  }
  function catName(c) { return c === ADJ ? '加减分' : c === VETO ? '一票否决' : CAT[c] || c; }
  function fmt(x) { return x == null || x === '' ? '' : String(x); }
  function pct(x) { return x == null ? '' : String(Math.round(x * 1e8) / 1e6); }
  var TCOLS = [['unit', 't.unit', '单位'], ['category', 't.category', '类别'], ['name', 't.name', '指标名称 / 事由'], ['points', 't.points', '分值'],
    ['completion', 't.completion', '完成率（%）'], ['score', 't.score', '得分'], ['major_loss', 't.loss', '重大损失']];
  function tcolName(key) { var c = TCOLS.filter(function (x) { return x[0] === key; })[0]; return c ? c[2] : key; }

  function select(options, value) {
    var input = C.el('select', {}), found = false;
    options.forEach(function (o) { input.appendChild(C.el('option', { value: o[0], text: o[1] })); found = found || o[0] === value; });
    if (!found && value) input.appendChild(C.el('option', { value: value, text: value + '（?）' }));
    input.value = value;
    return input;
  }
  function numberInput(value, attrs) {
    var input = C.el('input', { type: 'number', step: 'any', inputmode: 'decimal', value: value });
    for (var k in (attrs || {})) input.setAttribute(k, attrs[k]);
    return input;
  }

  function renderTargets() {
    // With a catalogue the targets are the collection's: read-only here.
    var ro = state.catalogue.length > 0, note = D.getElementById('targets-readonly');
    note.hidden = !ro;
    note.textContent = ro ? T('t.readonly', '本年度已有目标任务分解表：目标任务得分来自数据采集中填报并审核通过的数值，这里只能查看，不能修改。尚未审核通过的指标暂记 0 分。') : '';
    note.className = 'msg';
    D.getElementById('targets-actions').hidden = ro;
    var bar = D.querySelector('[data-import="targets"]');
    if (bar) { bar.hidden = ro; var pv = D.getElementById('targets-preview'); if (pv && ro) pv.hidden = true; }
    if (ro) { D.getElementById('targets-missing').textContent = ''; renderTargetsReadOnly(); return; }
    var tbl = D.getElementById('targets-table');
    tbl.textContent = '';
    var head = C.el('tr', {}, [C.el('th', { text: '#' })]);
    TCOLS.forEach(function (h) { head.appendChild(C.el('th', { text: T(h[1], h[2]) })); });
    head.appendChild(C.el('th', { text: '' }));
    tbl.appendChild(C.el('thead', {}, [head]));
    var body = C.el('tbody'), have = {};
    var unitOptions = [['', '—']].concat(state.units.filter(function (u) { return u.code; }).map(function (u) { return [u.code, u.code + ' ' + u.name]; }));
    state.rows.forEach(function (row, i) {
      have[row.unit] = true;
      var special = row.cat === ADJ ? 'adj' : row.cat === VETO ? 'veto' : '';
      var tr = C.el('tr', { 'data-index': String(i), 'data-unit': row.unit, 'class': (i === 0 || state.rows[i - 1].unit !== row.unit ? 'unit-start ' : '') + special },
        [C.el('td', { 'class': 'muted', text: String(i + 1) })]);
      var inputs = {
        unit: select(unitOptions, row.unit),
        category: select(catOptions(row.unit), row.cat),
        name: C.el('input', { type: 'text', value: row.name, placeholder: special === 'adj' ? '如：获省级表彰' : special ? '' : '如：财政收入' }),
        points: numberInput(fmt(row.points), special === 'adj' ? { placeholder: '如：1 或 -0.5' } : { min: '0' }),
        completion: numberInput(pct(row.completion), { min: '0', placeholder: '如：95' }),
        score: numberInput(fmt(row.score), { min: '0', max: '100' }),
        major_loss: C.el('input', { type: 'checkbox' })
      };
      inputs.major_loss.checked = !!row.loss;
      if (special) { inputs.completion.disabled = inputs.score.disabled = inputs.major_loss.disabled = true; }
      if (special === 'veto') { inputs.name.disabled = inputs.points.disabled = true; }
      ['name', 'points', 'completion', 'score'].forEach(function (k) { if (inputs[k].disabled) { inputs[k].removeAttribute('placeholder'); inputs[k].value = ''; } });
      TCOLS.forEach(function (c) {
        var key = c[0], input = inputs[key];
        input.setAttribute('data-key', key);
        input.setAttribute('aria-label', T(c[1], c[2]) + ' ' + (i + 1));
        input.addEventListener(input.tagName === 'SELECT' || input.type === 'checkbox' ? 'change' : 'input', function () {
          var v = input.value;
          if (key === 'unit') {
            row.unit = v;
            // A town's category does not fit a department: take the new
            // unit's first category rather than keep one it cannot have.
            var cats = catOptions(v);
            if (!cats.some(function (o) { return o[0] === row.cat; })) row.cat = cats[0][0];
          }
          else if (key === 'category') row.cat = v;
          else if (key === 'name') row.name = v;
          else if (key === 'points') row.points = v === '' ? null : Number(v);
          // Completion is typed as a percentage (95) and stored as a ratio
          // (0.95); an untouched cell keeps its stored value exactly.
          else if (key === 'completion') row.completion = v === '' ? null : Number(v) / 100;
          else if (key === 'score') row.score = v === '' ? null : Number(v);
          else row.loss = input.checked;
          input.classList.remove('invalid');
          setDirty('targets', true);
          // The unit decides the categories offered; the category which
          // cells apply.
          if (key === 'unit' || key === 'category') { renderTargets(); var again = D.querySelector('#targets-table tbody tr[data-index="' + i + '"] [data-key="' + key + '"]'); if (again) again.focus(); }
        });
        var cls = key === 'major_loss' ? 'center' : key === 'points' || key === 'completion' || key === 'score' ? 'numcell' : '';
        tr.appendChild(C.el('td', { 'class': cls, 'data-label': T(c[1], c[2]) }, [input]));
      });
      var del = C.el('button', { type: 'button', 'class': 'danger', text: T('common.delete', '删除') });
      del.addEventListener('click', function () {
        var label = row.name || catName(row.cat);
        var u = unitOf(row.unit);
        if ((row.name || row.points != null) && !confirm(T('row.confirm', '删除“{0}”这一行？保存后生效。', (u ? u.name + ' ' : row.unit ? row.unit + ' ' : '') + label))) return;
        state.rows.splice(i, 1);
        setDirty('targets', true);
        renderTargets();
      });
      tr.appendChild(C.el('td', {}, [del]));
      body.appendChild(tr);
    });
    if (!state.rows.length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: String(TCOLS.length + 2), 'class': 'muted',
      text: T('t.none', '还没有目标任务数据：点“添加一行”逐个填写，或下载模板填好后导入。') })]));
    tbl.appendChild(body);
    var missing = state.units.filter(function (u) { return !have[u.code]; }).map(function (u) { return u.name; });
    var m = D.getElementById('targets-missing');
    m.textContent = state.rows.length && missing.length ? T('t.missing', '以下单位还没有目标任务数据，目标任务得分将按 0 计：{0}', missing.join('、')) : '';
    m.className = 'msg bad';
  }

  function addTarget() {
    var last = state.rows[state.rows.length - 1], unit = last ? last.unit : (state.units[0] || {}).code || '';
    var cats = catOptions(unit);
    state.rows.push({ unit: unit, cat: cats[0][0], name: '', points: null, completion: null, score: null, loss: false });
    setDirty('targets', true);
    renderTargets();
    var rows = D.querySelectorAll('#targets-table tbody tr[data-index]');
    var input = rows.length && rows[rows.length - 1].querySelector('[data-key=name]');
    if (input) input.focus();
  }

  // markTarget marks cells of row i (keys: one column key, or several) and
  // writes the message under the row, naming the first.
  function markTarget(i, keys, text) {
    var tr = D.querySelector('#targets-table tbody tr[data-index="' + i + '"]');
    if (!tr) return false;
    keys = [].concat(keys || []);
    keys.forEach(function (k) { var input = tr.querySelector('[data-key="' + k + '"]'); if (input) input.classList.add('invalid'); });
    var note = tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains('row-error') ? tr.nextSibling : null;
    if (!note) {
      note = C.el('tr', { 'class': 'row-error', 'data-for': String(i) }, [C.el('td', {}), C.el('td', { colspan: String(TCOLS.length + 1), 'class': 'field-error' })]);
      tr.parentNode.insertBefore(note, tr.nextSibling);
    }
    note.lastChild.appendChild(C.el('div', { text: T('row.n', '第 {0} 行', i + 1) + (keys.length ? '「' + keys.map(tcolName).join('」「') + '」' : '') + '：' + text }));
    return true;
  }
  // translate adds the Chinese name to category codes in an API message.
  function translate(msg) {
    return String(msg || '').replace(/类别 (?:category )?"?([a-z_]+)"? /g, function (all, c) { return CAT[c] ? '类别“' + CAT[c] + '”' : all; })
      .replace(/ town 类单位/g, '镇').replace(/ department 类单位/g, '部门');
  }
  // showTargetErrors puts each of the API's details ("targets[2].indicators[1].points",
  // unit in subject) at its row and cell, and the rest in the message.
  function showTargetErrors(data, from) {
    var e = (data && data.error) || {}, rest = [];
    (e.details || []).forEach(function (d) {
      var m = /^targets\[(\d+)\](?:\.(indicators|adjustments|unit)(?:\[(\d+)\](?:\.(\w+))?)?)?/.exec(d.field || ''), o = m && from[Number(m[1])];
      var u = o && unitOf(state.rows[o.first].unit), who = u ? u.name + '（' + u.code + '）' : d.subject ? '单位 ' + d.subject : '';
      var text = (who ? who + '：' : '') + translate(d.message), placed = false;
      if (o && m[2] === 'unit') placed = markTarget(o.first, 'unit', text);
      else if (o && m[2] === 'indicators' && m[3] != null) {
        var i = o.indicators[Math.min(Number(m[3]), o.indicators.length - 1)];
        if (m[4]) placed = markTarget(i, m[4] === 'category' || m[4] === 'points' || m[4] === 'completion' || m[4] === 'score' ? m[4] : '', text);
        else placed = markTarget(i, ['completion', 'score'], text);
      } else if (o && m[2] === 'indicators') {
        // A category's points do not add up: mark the points of its rows.
        var c = /类别 "?([a-z_]+)"? /.exec(d.message || ''), rows = o.indicators.filter(function (i) { return c && state.rows[i].cat === c[1]; });
        rows.forEach(function (i) { var el = D.querySelector('#targets-table tbody tr[data-index="' + i + '"] [data-key=points]'); if (el) el.classList.add('invalid'); });
        placed = markTarget(rows.length ? rows[rows.length - 1] : o.first, rows.length ? 'points' : 'category', text);
      } else if (o && m[2] === 'adjustments' && m[3] != null) placed = markTarget(o.adjustments[Math.min(Number(m[3]), o.adjustments.length - 1)], 'points', text);
      else if (o) placed = markTarget(o.first, '', text);
      if (!placed) rest.push(place(d) + translate(msgOf(d)));
    });
    say('targets', (translate(msgOf(e)) || C.errorText(data)) + (rest.length ? '\n· ' + rest.join('\n· ') : ''), false);
    var first = D.querySelector('#targets-table .invalid');
    if (first) first.focus();
  }

  // checkTargets finds what the API cannot be sent: a row without a unit
  // or category, points that are not a number. All are shown at once.
  function checkTargets() {
    var bad = 0;
    state.rows.forEach(function (r, i) {
      if (!r.unit) { markTarget(i, 'unit', T('t.needUnit', '请选择单位')); bad++; }
      if (!r.cat) { markTarget(i, 'category', T('t.needCategory', '请选择类别')); bad++; }
      if (r.cat !== VETO && (r.points == null || !isFinite(r.points))) { markTarget(i, 'points', T('t.needPoints', '请填写分值（数字）')); bad++; }
    });
    return bad === 0;
  }

  function saveTargets() {
    renderTargets();
    if (!checkTargets()) {
      say('targets', T('t.fix', '以下各行需要修改，尚未保存：'), false);
      var first = D.querySelector('#targets-table .invalid');
      if (first) first.focus();
      return;
    }
    var t = targetsOf(state.rows);
    if (!t.list.length && state.targets.length && !confirm(T('t.clearAll', '删除本年度的全部目标任务数据吗？'))) return;
    var button = D.querySelector('[data-save="targets"]');
    button.disabled = true;
    C.api('PUT', base + '/targets', t.list).then(function (r) {
      button.disabled = false;
      if (r.status === 200) {
        setDirty('targets', false);
        say('targets', T('saved', '已保存。') + ' ' + t.list.length + ' ' + T('noun.targets', NOUN.targets[0]), true);
        load('targets');
        return;
      }
      showTargetErrors(r.data, t.from);
    }, function () { button.disabled = false; say('targets', T('net.error', '网络连接失败，请重试。'), false); });
  }

  // The import bar: template links, a file input, a dry run, then confirm.
  function importBar(box) {
    var kind = box.getAttribute('data-import');
    var tpl = '/api/v1/templates/' + kind + '.xlsx';
    var input = C.el('input', { type: 'file', accept: '.xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv', id: kind + '-file' });
    var preview = C.el('div', { 'class': 'preview', id: kind + '-preview', role: 'status' });
    preview.hidden = true;
    box.appendChild(C.el('strong', { 'data-i18n': 'imp.from', 'data-zh': '从表格导入：', text: T('imp.from', '从表格导入：') }));
    box.appendChild(C.el('a', { 'class': 'button', href: tpl, download: '', 'data-i18n': 'imp.xlsx', 'data-zh': '下载 Excel 模板', text: T('imp.xlsx', '下载 Excel 模板') }));
    box.appendChild(C.el('a', { 'class': 'button', href: tpl + '?format=csv', download: '', 'data-i18n': 'imp.csv', 'data-zh': 'CSV 模板', text: T('imp.csv', 'CSV 模板') }));
    box.appendChild(C.el('label', { 'class': 'file' }, [C.el('span', { 'data-i18n': 'imp.choose', 'data-zh': '选择文件', text: T('imp.choose', '选择文件') }), input]));
    box.appendChild(C.el('span', { 'class': 'hint', 'data-i18n': 'imp.limit', 'data-zh': 'Excel 或 CSV 文件，不超过 1 MB', text: T('imp.limit', 'Excel 或 CSV 文件，不超过 1 MB') }));
    box.parentNode.insertBefore(preview, box.nextSibling);
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      if (!f) return;
      preview.hidden = false;
      preview.className = 'preview';
      preview.textContent = T('imp.checking', '正在检查文件…');
      if (f.size > 1048576 - 4096) { preview.className = 'preview bad'; preview.textContent = T('imp.tooBig', '文件超过 1 MB，请删去多余的工作表或拆分后分批导入。'); input.value = ''; return; }
      upload(kind, f, true).then(function (r) {
        if (r.status !== 200) { problems(preview, r.data); input.value = ''; return; }
        var had = state[kind].length, n = r.data.count;
        preview.textContent = '';
        preview.appendChild(C.el('p', { text: T('imp.checked', '文件“{0}”检查通过：共 {1} {2}。导入后将替换现有的 {3} {2}。', f.name, n, T('noun.' + kind, NOUN[kind][0]), had) }));
        var ok = C.el('button', { type: 'button', 'class': 'primary', id: kind + '-confirm', text: T('imp.confirm', '确认导入') });
        var no = C.el('button', { type: 'button', text: T('imp.cancel', '取消') });
        preview.appendChild(C.el('div', { 'class': 'actions' }, [ok, no]));
        no.addEventListener('click', function () { preview.hidden = true; input.value = ''; });
        ok.addEventListener('click', function () {
          ok.disabled = true;
          upload(kind, f, false).then(function (r2) {
            input.value = '';
            if (r2.status !== 200) { problems(preview, r2.data); return; }
            preview.className = 'preview';
            preview.textContent = T('imp.done', '已导入 {0} {1}。', r2.data.count, T('noun.' + kind, NOUN[kind][0]));
            setDirty(kind, false);
            load(kind);
          });
        });
      });
    });
  }
  function problems(preview, data) {
    preview.className = 'preview bad';
    preview.textContent = '';
    var e = (data && data.error) || { message: String(data) };
    preview.appendChild(C.el('p', { text: msgOf(e) }));
    var list = C.el('ul', { 'class': 'problems' });
    (e.details || []).forEach(function (d) { list.appendChild(C.el('li', { text: place(d) + msgOf(d) })); });
    if ((e.details || []).length) preview.appendChild(list);
  }
  function upload(kind, file, dry) {
    var fd = new FormData();
    fd.append('file', file, file.name);
    return fetch('/api/v1' + base + '/import/' + kind + (dry ? '?dry_run=1' : ''), {
      method: 'POST', credentials: 'same-origin', body: fd, headers: { 'X-CSRF-Token': C.csrf, 'Accept': 'application/json' }
    }).then(function (r) {
      if (r.status === 401) location.href = '/console/login?next=' + encodeURIComponent(location.pathname);
      var ct = r.headers.get('Content-Type') || '';
      return (ct.indexOf('json') >= 0 ? r.json() : r.text()).then(function (d) { return { status: r.status, data: d }; });
    }, function () { return { status: 0, data: { error: { message: T('net.error', '网络连接失败，请重试。') } } }; });
  }

  D.addEventListener('DOMContentLoaded', function () {
    root = D.getElementById('setup');
    cycle = root.getAttribute('data-cycle');
    base = '/cycles/' + encodeURIComponent(cycle);
    var boxes = D.querySelectorAll('[data-import]');
    for (var i = 0; i < boxes.length; i++) importBar(boxes[i]);
    D.addEventListener('cp:lang', function () { renderList('units'); renderList('people'); renderList('bodies'); renderList('catalogue'); renderTargets(); });
    ['units', 'people', 'bodies', 'catalogue'].forEach(function (kind) {
      D.querySelector('[data-add="' + kind + '"]').addEventListener('click', function () {
        state[kind].push(blank(kind));
        setDirty(kind, true);
        renderList(kind);
        var rows = D.querySelectorAll('#' + kind + '-table tbody tr[data-index]');
        var last = rows[rows.length - 1];
        if (last) last.querySelector('input, select').focus();
      });
      D.querySelector('[data-save="' + kind + '"]').addEventListener('click', function () { save(kind); });
    });
    D.querySelector('[data-add="targets"]').addEventListener('click', addTarget);
    D.querySelector('[data-save="targets"]').addEventListener('click', saveTargets);
    window.addEventListener('beforeunload', function (ev) { if (dirty.units || dirty.people || dirty.bodies || dirty.catalogue || dirty.targets) { ev.preventDefault(); ev.returnValue = ''; } });
    C.api('GET', base + '/rules').then(function (r) { if (r.status === 200 && r.data && r.data.categories) { state.rules = r.data; renderTargets(); } });
    C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) return;
      (r.data.cycles || []).forEach(function (cy) { if (cy.code === cycle) D.getElementById('cycle-name').textContent = cy.name + '（' + cy.code + '）'; });
    });
    load('units').then(function () { return load('people'); }).then(function () { return load('bodies'); })
      .then(function () { return load('catalogue'); }).then(function () { return load('targets'); });
  });
})();
