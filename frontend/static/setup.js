/* Year set-up (admin): units and people as editable lists, target-task
 * data as a view; each can be imported from an .xlsx or .csv file, checked
 * first (dry run), then confirmed. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'setup.title': 'Year set-up', 'setup.intro': 'Work in order: units, then people, then target-task data, then the ballot forms. Edit in the tables, or fill in the Excel template and import it.',
    'setup.step1': '1 Units', 'setup.step2': '2 People', 'setup.step3': '3 Target tasks', 'setup.step4': '4 Ballot forms ›',
    'setup.units': '1 Units', 'setup.unitsHint': 'The towns and county departments assessed. The code (e.g. T01, D01) names the unit in people and target-task lists.',
    'setup.people': '2 People', 'setup.peopleHint': 'Leadership members and cadres to be rated, and recommendation candidates. Their unit must be in the list above.',
    'setup.targets': '3 Target tasks', 'setup.targetsHint': 'Indicators per unit: one row each (category, name, points, completion or score); adjustments and veto on rows of their own. Import replaces all target-task data.',
    'setup.addRow': '+ Add a row', 'setup.saveUnits': 'Save units', 'setup.savePeople': 'Save people', 'setup.dirty': 'Unsaved changes',
    'imp.from': 'Import from a spreadsheet:', 'imp.xlsx': 'Excel template', 'imp.csv': 'CSV template', 'imp.choose': 'Choose file',
    'imp.limit': '.xlsx or .csv, at most 1 MiB', 'imp.confirm': 'Import', 'imp.cancel': 'Cancel', 'imp.checking': 'Checking the file…',
    'imp.tooBig': 'The file is over 1 MiB: delete extra sheets or split it.', 'imp.bad': 'The file has problems; nothing was imported. Fix these cells and choose the file again:',
    'col.code': 'Code', 'col.name': 'Name', 'col.kind': 'Kind', 'col.staff': 'Staff', 'col.pname': 'Name', 'col.unit': 'Unit', 'col.post': 'Post', 'col.leader': 'Leadership',
    'kind.town': 'Town', 'kind.department': 'Department', 'common.delete': 'Delete', 'saved': 'Saved.',
    't.unit': 'Unit', 't.category': 'Category', 't.name': 'Indicator', 't.points': 'Points', 't.completion': 'Completion', 't.score': 'Score', 't.loss': 'Major loss'
  });
  var T = C.t;
  var root, cycle, base;
  var state = { units: [], people: [], targets: [] };
  var dirty = { units: false, people: false };
  var NOUN = { units: ['个单位', 'units'], people: ['名人员', 'people'], targets: ['个单位的目标任务', 'units with targets'] };
  var CAT = { economic: '经济发展', social: '社会发展', environment: '资源环境', stability: '社会稳定', team: '班子和队伍建设', work: '年度工作任务' };

  function columns(kind) {
    if (kind === 'units') return [
      { key: 'code', zh: '编码', en: 'col.code', type: 'text', ph: 'T01' },
      { key: 'name', zh: '名称', en: 'col.name', type: 'text', ph: '城关镇' },
      { key: 'kind', zh: '类型', en: 'col.kind', type: 'select', options: function () { return [['town', T('kind.town', '镇')], ['department', T('kind.department', '部门')]]; } },
      { key: 'staff', zh: '人数', en: 'col.staff', type: 'number', narrow: true }];
    return [
      { key: 'code', zh: '编码', en: 'col.code', type: 'text', ph: 'P01' },
      { key: 'name', zh: '姓名', en: 'col.pname', type: 'text', ph: '张三' },
      { key: 'unit', zh: '所属单位', en: 'col.unit', type: 'select', options: function () {
        return [['', '—']].concat(state.units.filter(function (u) { return u.code; }).map(function (u) { return [u.code, u.code + ' ' + u.name]; }));
      } },
      { key: 'post', zh: '职务', en: 'col.post', type: 'text', ph: '党委书记' },
      { key: 'leader', zh: '班子成员', en: 'col.leader', type: 'checkbox' }];
  }
  function blank(kind) { return kind === 'units' ? { code: '', name: '', kind: 'town', staff: 0 } : { code: '', name: '', unit: '', post: '', leader: false }; }

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
    cols.forEach(function (c) { head.appendChild(C.el('th', { text: T(c.en, c.zh) })); });
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
          c.options().forEach(function (o) { input.appendChild(C.el('option', { value: o[0], text: o[1] })); found = found || o[0] === row[c.key]; });
          if (!found && row[c.key]) input.appendChild(C.el('option', { value: row[c.key], text: row[c.key] + '（?）' }));
          input.value = row[c.key];
        } else if (c.type === 'checkbox') {
          input = C.el('input', { type: 'checkbox' });
          input.checked = !!row[c.key];
        } else {
          input = C.el('input', { type: c.type === 'number' ? 'number' : 'text', value: String(row[c.key] == null ? '' : row[c.key]) });
          if (c.type === 'number') { input.setAttribute('min', '0'); input.setAttribute('step', '1'); input.setAttribute('inputmode', 'numeric'); }
          if (c.ph) input.setAttribute('placeholder', c.ph);
        }
        input.setAttribute('data-key', c.key);
        input.setAttribute('aria-label', T(c.en, c.zh) + ' ' + (i + 1));
        input.addEventListener(c.type === 'text' || c.type === 'number' ? 'input' : 'change', function () {
          row[c.key] = c.type === 'checkbox' ? input.checked : c.type === 'number' ? (input.value === '' ? 0 : Number(input.value)) : input.value;
          input.classList.remove('invalid');
          setDirty(kind, true);
        });
        tr.appendChild(C.el('td', { 'class': c.type === 'checkbox' ? 'center' : c.narrow ? 'narrow' : '', 'data-label': T(c.en, c.zh) }, [input]));
      });
      var del = C.el('button', { type: 'button', 'class': 'danger', text: T('common.delete', '删除') });
      del.addEventListener('click', function () {
        var label = row.name || row.code || ('#' + (i + 1));
        if ((row.code || row.name) && !confirm('删除“' + label + '”这一行？保存后生效。 (Delete this row? It takes effect when saved.)')) return;
        state[kind].splice(i, 1);
        setDirty(kind, true);
        renderList(kind);
      });
      tr.appendChild(C.el('td', {}, [del]));
      body.appendChild(tr);
    });
    if (!state[kind].length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: String(cols.length + 2), 'class': 'muted',
      text: kind === 'units' ? '还没有单位：点“添加一行”逐个填写，或下载模板填好后导入。 (No units yet.)' : '还没有人员：点“添加一行”逐个填写，或下载模板填好后导入。 (No people yet.)' })]));
    tbl.appendChild(body);
  }

  function say(kind, text, ok) { var m = D.getElementById(kind + '-msg'); m.textContent = text; m.className = 'msg ' + (ok ? 'ok' : 'bad'); }

  // showErrors marks the cells the API's details name ("[3].kind") and
  // lists the rest.
  function showErrors(kind, data) {
    var e = (data && data.error) || {}, rest = [];
    var tbl = D.getElementById(kind + '-table'), cols = columns(kind);
    (e.details || []).forEach(function (d) {
      var m = /^\[(\d+)\]\.(\w+)/.exec(d.field || '');
      var tr = m && tbl.querySelector('tbody tr[data-index="' + m[1] + '"]');
      if (!tr) { rest.push((d.field ? d.field + '：' : '') + d.message); return; }
      var input = tr.querySelector('[data-key="' + m[2] + '"]');
      if (input) input.classList.add('invalid');
      var col = cols.filter(function (c) { return c.key === m[2]; })[0];
      var note = tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains('row-error') ? tr.nextSibling : null;
      if (!note) {
        note = C.el('tr', { 'class': 'row-error' }, [C.el('td', {}), C.el('td', { colspan: String(cols.length + 1), 'class': 'field-error' })]);
        tr.parentNode.insertBefore(note, tr.nextSibling);
      }
      var cell = note.lastChild;
      cell.appendChild(C.el('div', { text: '第 ' + (Number(m[1]) + 1) + ' 行' + (col ? '「' + col.zh + '」' : '') + '：' + d.message }));
    });
    say(kind, e.message ? e.message + (rest.length ? '\n· ' + rest.join('\n· ') : '') : C.errorText(data), false);
    var first = tbl.querySelector('.invalid');
    if (first) first.focus();
  }

  function save(kind) {
    var body = state[kind].map(function (r) {
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
    return C.api('GET', base + '/' + kind).then(function (r) {
      if (r.status !== 200) { D.getElementById('load-msg').textContent = C.errorText(r.data); return; }
      state[kind] = r.data || [];
      if (kind === 'targets') renderTargets(); else renderList(kind);
      if (kind === 'units') { if (!dirty.people) renderList('people'); renderTargets(); }
    });
  }

  function pct(x) { return x == null ? '' : Math.round(x * 10000) / 100 + '%'; }
  function renderTargets() {
    var tbl = D.getElementById('targets-table');
    tbl.textContent = '';
    var names = {};
    state.units.forEach(function (u) { names[u.code] = u.name; });
    var head = C.el('tr', {});
    [['t.unit', '单位'], ['t.category', '类别'], ['t.name', '指标名称'], ['t.points', '分值'], ['t.completion', '完成率'], ['t.score', '得分'], ['t.loss', '重大损失']].forEach(function (h) {
      head.appendChild(C.el('th', { text: T(h[0], h[1]) }));
    });
    tbl.appendChild(C.el('thead', {}, [head]));
    var body = C.el('tbody'), have = {};
    state.targets.forEach(function (t) {
      have[t.unit] = true;
      var unit = t.unit + ' ' + (names[t.unit] || '');
      (t.indicators || []).forEach(function (ind, j) {
        body.appendChild(C.el('tr', { 'data-unit': t.unit }, [C.el('td', { text: j === 0 ? unit : '' }), C.el('td', { text: CAT[ind.category] || ind.category }),
          C.el('td', { text: ind.name || '' }), C.el('td', { 'class': 'num', text: String(ind.points) }), C.el('td', { 'class': 'num', text: pct(ind.completion) }),
          C.el('td', { 'class': 'num', text: ind.score == null ? '' : String(ind.score) }), C.el('td', { text: ind.major_loss ? '是' : '' })]));
      });
      (t.adjustments || []).forEach(function (a) {
        body.appendChild(C.el('tr', { 'data-unit': t.unit }, [C.el('td', { text: '' }), C.el('td', { text: '加减分' }), C.el('td', { text: a.reason || '' }),
          C.el('td', { 'class': 'num', text: (a.points > 0 ? '+' : '') + a.points }), C.el('td', {}), C.el('td', {}), C.el('td', {})]));
      });
      if (t.veto) body.appendChild(C.el('tr', { 'data-unit': t.unit }, [C.el('td', {}), C.el('td', { 'class': 'error', text: '一票否决' }), C.el('td', { colspan: '5' })]));
    });
    if (!state.targets.length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: '7', 'class': 'muted', text: '还没有目标任务数据：请下载模板填好后导入。 (No target-task data yet.)' })]));
    tbl.appendChild(body);
    var missing = state.units.filter(function (u) { return !have[u.code]; }).map(function (u) { return u.name; });
    var m = D.getElementById('targets-missing');
    m.textContent = state.targets.length && missing.length ? '以下单位还没有目标任务数据，目标任务得分将按 0 计：' + missing.join('、') : '';
    m.className = 'msg bad';
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
    box.appendChild(C.el('span', { 'class': 'hint', 'data-i18n': 'imp.limit', 'data-zh': '.xlsx 或 .csv，不超过 1 MiB', text: T('imp.limit', '.xlsx 或 .csv，不超过 1 MiB') }));
    box.parentNode.insertBefore(preview, box.nextSibling);
    input.addEventListener('change', function () {
      var f = input.files && input.files[0];
      if (!f) return;
      preview.hidden = false;
      preview.className = 'preview';
      preview.textContent = T('imp.checking', '正在检查文件…');
      if (f.size > 1048576 - 4096) { preview.className = 'preview bad'; preview.textContent = T('imp.tooBig', '文件超过 1 MiB，请删去多余的工作表或拆分后分批导入。'); input.value = ''; return; }
      upload(kind, f, true).then(function (r) {
        if (r.status !== 200) { problems(preview, r.data); input.value = ''; return; }
        var had = state[kind].length, n = r.data.count;
        preview.textContent = '';
        preview.appendChild(C.el('p', { text: '文件“' + f.name + '”检查通过：共 ' + n + ' ' + NOUN[kind][0] + '。导入后将替换现有的 ' + had + ' ' + NOUN[kind][0] + '。' +
          ' (File checked: ' + n + ' ' + NOUN[kind][1] + '; importing replaces the ' + had + ' there are now.)' }));
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
            preview.textContent = '已导入 ' + r2.data.count + ' ' + NOUN[kind][0] + '。 (Imported ' + r2.data.count + ' ' + NOUN[kind][1] + '.)';
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
    preview.appendChild(C.el('p', { text: e.message }));
    var list = C.el('ul', { 'class': 'problems' });
    (e.details || []).forEach(function (d) { list.appendChild(C.el('li', { text: (d.field ? d.field + '：' : '') + d.message })); });
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
    }, function () { return { status: 0, data: { error: { message: '网络连接失败，请重试 (network error)' } } }; });
  }

  D.addEventListener('DOMContentLoaded', function () {
    root = D.getElementById('setup');
    cycle = root.getAttribute('data-cycle');
    base = '/cycles/' + encodeURIComponent(cycle);
    var boxes = D.querySelectorAll('[data-import]');
    for (var i = 0; i < boxes.length; i++) importBar(boxes[i]);
    D.addEventListener('cp:lang', function () { renderList('units'); renderList('people'); renderTargets(); });
    ['units', 'people'].forEach(function (kind) {
      D.querySelector('[data-add="' + kind + '"]').addEventListener('click', function () {
        state[kind].push(blank(kind));
        setDirty(kind, true);
        renderList(kind);
        var rows = D.querySelectorAll('#' + kind + '-table tbody tr[data-index]');
        var last = rows[rows.length - 1];
        if (last) last.querySelector('input').focus();
      });
      D.querySelector('[data-save="' + kind + '"]').addEventListener('click', function () { save(kind); });
    });
    window.addEventListener('beforeunload', function (ev) { if (dirty.units || dirty.people) { ev.preventDefault(); ev.returnValue = ''; } });
    C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) return;
      (r.data.cycles || []).forEach(function (cy) { if (cy.code === cycle) D.getElementById('cycle-name').textContent = cy.name + '（' + cy.code + '）'; });
    });
    load('units').then(function () { return load('people'); }).then(function () { return load('targets'); });
  });
})();
