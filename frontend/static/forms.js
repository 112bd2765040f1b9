/* Ballot-form editor (admin): list the year's forms, start one from a
 * ready template or blank, edit its sections, save with PUT; the API's
 * field errors ("sections[2].scale.max") are shown at the field. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'forms.title': 'Ballot forms', 'forms.intro': 'A ballot form is the paper form: whom to rate and how. Each voter group of a meeting uses one form. Start from a standard template and adjust.',
    'forms.list': 'Forms of this year', 'forms.new': 'New form', 'forms.newHint': 'Pick a standard template (set up from the assessment rules), or start blank:',
    'forms.edit': 'Edit form', 'forms.code': 'Form code', 'forms.codeHint': 'letters, digits, _ . -; meetings name the form by it', 'forms.ftitle': 'Title',
    'forms.addSection': '+ Add a section', 'forms.save': 'Save form', 'forms.saveAs': 'Save as new…', 'forms.close': 'Close', 'forms.none': 'No forms yet: pick a template below to start.', 'forms.editBtn': 'Edit', 'forms.copyBtn': 'Copy as a new form', 'forms.deleteBtn': 'Delete',
    'forms.confirmDelete': 'Delete the form “{0}” ({1})? This cannot be undone.', 'forms.deleted': 'Deleted the form “{0}” ({1}).', 'forms.sections': '{0} sections', 'setup.title': 'Year set-up'
  });
  var T = C.t;
  var PURPOSES = [['conference', '全县领导干部大会评价'], ['mutual', '单位互评'], ['group', '考核组评价'], ['democratic', '民主测评'], ['social', '社会评价'],
    ['team', '领导班子'], ['cadre', '科级干部'], ['integrity', '党风廉政'], ['recommend', '无任用推荐'], ['other', '其他']];
  var SCALES = [['grade', '等次（如 好/较好/一般/差）'], ['score', '打分（如 0–100 分）'], ['choose', '推荐（选人，最多 N 人）']];
  var SELECTORS = [['host', '被考核单位（会议的主办单位）'], ['kind:town', '所有镇'], ['kind:department', '所有县级部门'], ['people:host', '被考核单位的全部人员'],
    ['unit:', '指定单位…'], ['people:', '指定单位的全部人员…'], ['person:', '指定人员…']];
  var PRESETS = { good: [['好', 1], ['较好', 0.8], ['一般', 0.6], ['差', 0]], competent: [['优秀', 1], ['称职', 0.8], ['基本称职', 0.5], ['不称职', 0]] };
  var cycle, base, forms = [], units = [], people = [], form = null, loadedCode = '';

  function unitName(code) { var u = units.filter(function (x) { return x.code === code; })[0]; return u ? u.name : code + '（不在单位名单中）'; }
  function personName(code) { var p = people.filter(function (x) { return x.code === code; })[0]; return p ? p.name + '（' + unitName(p.unit) + '）' : code + '（不在人员名单中）'; }
  function selectorText(sel) {
    for (var i = 0; i < 4; i++) if (SELECTORS[i][0] === sel) return SELECTORS[i][1];
    var k = sel.split(':')[0], a = sel.slice(k.length + 1);
    if (k === 'unit') return '单位：' + unitName(a);
    if (k === 'people') return unitName(a) + ' 的全部人员';
    if (k === 'person') return '人员：' + personName(a);
    return sel;
  }
  function say(text, ok) { var m = D.getElementById('editor-msg'); m.textContent = text; m.className = 'msg ' + (ok ? 'ok' : 'bad'); }
  function field(label, input, path, hint) {
    if (path) input.setAttribute('data-path', path);
    var kids = [C.el('span', { text: label }), input];
    if (hint) kids.push(C.el('small', { 'class': 'hint', text: hint }));
    return C.el('label', {}, kids);
  }
  function select(options, value) {
    var s = C.el('select', {});
    options.forEach(function (o) { s.appendChild(C.el('option', { value: o[0], text: o[1] })); });
    s.value = value;
    return s;
  }
  function bind(input, set, rerender) {
    input.addEventListener(input.tagName === 'SELECT' || input.type === 'checkbox' ? 'change' : 'input', function () {
      set(input.type === 'checkbox' ? input.checked : input.value);
      input.classList.remove('invalid');
      if (rerender) renderSections();
    });
    return input;
  }
  function numOrNull(v) { return v === '' || v == null ? null : Number(v); }

  // ---- The list ----
  function loadList() {
    return C.api('GET', base + '/forms').then(function (r) {
      var list = D.getElementById('form-list');
      list.textContent = '';
      if (r.status !== 200) { D.getElementById('load-msg').textContent = C.errorText(r.data); return; }
      forms = r.data.forms || [];
      if (!forms.length) list.appendChild(C.el('li', { 'class': 'muted', text: T('forms.none', '还没有测评表：请在下面选择一个模板开始。') }));
      forms.forEach(function (f) {
        var edit = C.el('button', { type: 'button', 'class': 'primary', text: T('forms.editBtn', '编辑') });
        var copy = C.el('button', { type: 'button', text: T('forms.copyBtn', '复制为新表') });
        var del = C.el('button', { type: 'button', 'class': 'danger', 'data-delete': f.code, text: T('forms.deleteBtn', '删除') });
        edit.addEventListener('click', function () { open(JSON.parse(JSON.stringify(f)), f.code); });
        copy.addEventListener('click', function () { var c = JSON.parse(JSON.stringify(f)); c.code = f.code + '-2'; c.title = f.title + '（副本）'; open(c, ''); });
        del.addEventListener('click', function () { remove(f, del); });
        list.appendChild(C.el('li', { 'data-form': f.code }, [C.el('span', { 'class': 'title', text: f.title }),
          C.el('span', { 'class': 'muted', text: f.code + ' · ' + T('forms.sections', '{0} 个测评项目', (f.sections || []).length) }), edit, copy, del]));
      });
    });
  }
  function sayList(text, ok) { var m = D.getElementById('list-msg'); m.textContent = text; m.className = 'msg ' + (ok ? 'ok' : 'bad'); }
  // remove deletes a form after a confirm naming it; the server refuses
  // (409) while any meeting uses it, and its message names the meetings.
  function remove(f, button) {
    if (!confirm(T('forms.confirmDelete', '确定删除测评表“{0}”（{1}）吗？删除后不能恢复。', f.title, f.code))) return;
    button.disabled = true;
    C.api('DELETE', base + '/forms/' + encodeURIComponent(f.code)).then(function (r) {
      button.disabled = false;
      if (r.status === 204) {
        sayList(T('forms.deleted', '已删除测评表“{0}”（{1}）。', f.title, f.code), true);
        if (form && loadedCode === f.code) { D.getElementById('editor').hidden = true; form = null; loadedCode = ''; }
        loadList();
        return;
      }
      sayList(C.errorText(r.data), false);
      var m = D.getElementById('list-msg');
      if (m.scrollIntoView) m.scrollIntoView({ block: 'nearest' });
    }, function () { button.disabled = false; sayList('网络连接失败，请重试 (network error)', false); });
  }
  function renderTemplates() {
    var box = D.getElementById('templates');
    box.textContent = '';
    (window.CepingFormTemplates || []).concat([{ id: 'blank', name: '空白测评表', note: '从一个空的测评项目开始',
      build: function () { return { code: '', title: '', sections: [newSection(0)] }; } }]).forEach(function (t) {
      var b = C.el('button', { type: 'button', 'data-template': t.id }, [C.el('strong', { text: t.name }), C.el('small', { text: t.note })]);
      b.addEventListener('click', function () {
        var f = t.build();
        if (forms.some(function (x) { return x.code === f.code; })) f.code = f.code + '-' + (forms.length + 1);
        open(f, '');
      });
      box.appendChild(b);
    });
  }
  function newSection(i) { return { code: 's' + (i + 1), title: '', purpose: 'democratic', subjects: ['host'], scale: { type: 'grade', options: PRESETS.good.map(function (o) { return { label: o[0], value: o[1] }; }) } }; }

  // ---- The editor ----
  function open(f, code) {
    form = f;
    loadedCode = code;
    form.sections = form.sections || [];
    var ed = D.getElementById('editor');
    ed.hidden = false;
    D.getElementById('editor-title').textContent = code ? '编辑测评表：' + f.title : '新建测评表（尚未保存）';
    D.getElementById('f-code').value = f.code;
    D.getElementById('f-title').value = f.title;
    say('', true);
    renderSections();
    ed.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
  function renderSections() {
    var box = D.getElementById('sections');
    box.textContent = '';
    form.sections.forEach(function (s, i) { box.appendChild(sectionBox(s, i)); });
  }
  function sectionBox(s, i) {
    var p = 'sections[' + i + ']';
    var sec = C.el('div', { 'class': 'section-box', 'data-path': p, 'data-section': String(i) });
    var up = C.el('button', { type: 'button', title: '上移', text: '↑' }), down = C.el('button', { type: 'button', title: '下移', text: '↓' });
    var del = C.el('button', { type: 'button', 'class': 'danger', text: '删除项目' });
    up.disabled = i === 0; down.disabled = i === form.sections.length - 1;
    up.addEventListener('click', function () { move(i, -1); });
    down.addEventListener('click', function () { move(i, 1); });
    del.addEventListener('click', function () { if (confirm('删除测评项目“' + (s.title || i + 1) + '”？')) { form.sections.splice(i, 1); renderSections(); } });
    sec.appendChild(C.el('header', {}, [C.el('h3', { text: '测评项目 ' + (i + 1) + (s.title ? '：' + s.title : '') }), up, down, del]));

    var grid = C.el('div', { 'class': 'grid' });
    grid.appendChild(field('标题', bind(C.el('input', { value: s.title || '', placeholder: '如 民主测评' }), function (v) { s.title = v; }), p + '.title'));
    grid.appendChild(field('用途（计入哪一项）', bind(select(PURPOSES, s.purpose), function (v) { s.purpose = v; }), p + '.purpose'));
    grid.appendChild(field('项目编码', bind(C.el('input', { value: s.code || '' }), function (v) { s.code = v; }), p + '.code', '本表内唯一，如 dem'));
    sec.appendChild(grid);

    // Subjects.
    var st = C.el('div', { 'class': 'stack', 'data-path': p + '.subjects' }, [C.el('strong', { text: '测评对象（评谁）' })]);
    var chips = C.el('div', { 'class': 'chips' });
    (s.subjects || []).forEach(function (sel, j) {
      var x = C.el('button', { type: 'button', 'aria-label': '移除', text: '×' });
      x.addEventListener('click', function () { s.subjects.splice(j, 1); renderSections(); });
      chips.appendChild(C.el('span', { 'class': 'chip', 'data-path': p + '.subjects[' + j + ']', 'data-selector': sel }, [selectorText(sel), x]));
    });
    if (!(s.subjects || []).length) chips.appendChild(C.el('span', { 'class': 'muted', text: '尚未选择测评对象' }));
    st.appendChild(chips);
    var kind = select(SELECTORS, 'host'), arg = C.el('select', {}), add = C.el('button', { type: 'button', text: '添加对象' });
    arg.hidden = true;
    kind.addEventListener('change', function () {
      var k = kind.value;
      arg.textContent = '';
      arg.hidden = !/:$/.test(k);
      var list = k === 'person:' ? people.map(function (x) { return [x.code, x.code + ' ' + x.name + '（' + unitName(x.unit) + '）']; })
        : units.map(function (u) { return [u.code, u.code + ' ' + u.name]; });
      list.forEach(function (o) { arg.appendChild(C.el('option', { value: o[0], text: o[1] })); });
      if (!arg.hidden && !list.length) arg.appendChild(C.el('option', { value: '', text: k === 'person:' ? '（人员名单为空，请先在年度设置中添加）' : '（单位名单为空）' }));
    });
    add.addEventListener('click', function () {
      var sel = /:$/.test(kind.value) ? (arg.value ? kind.value + arg.value : '') : kind.value;
      if (!sel) return;
      s.subjects = s.subjects || [];
      if (s.subjects.indexOf(sel) < 0) s.subjects.push(sel);
      renderSections();
    });
    st.appendChild(C.el('div', { 'class': 'row' }, [kind, arg, add]));
    sec.appendChild(st);

    // Scale.
    var sc = s.scale = s.scale || { type: 'grade', options: [] };
    var scale = C.el('div', { 'class': 'stack', 'data-path': p + '.scale' });
    scale.appendChild(field('评价方式', bind(select(SCALES, sc.type), function (v) {
      s.scale = v === 'grade' ? { type: 'grade', options: PRESETS.good.map(function (o) { return { label: o[0], value: o[1] }; }) }
        : v === 'score' ? { type: 'score', min: 0, max: 100 } : { type: 'choose', max: 1 };
      if (v === 'choose') { delete s.dimensions; delete s.limits; }
    }, true), p + '.scale.type'));
    if (sc.type === 'grade') {
      scale.appendChild(C.el('span', { 'class': 'hint', text: '等次及其分值（0–1，最高等次为 1）：' }));
      (sc.options || []).forEach(function (o, j) {
        var op = p + '.scale.options[' + j + ']';
        var x = C.el('button', { type: 'button', text: '×', 'aria-label': '删除等次' });
        x.addEventListener('click', function () { sc.options.splice(j, 1); renderSections(); });
        scale.appendChild(C.el('div', { 'class': 'row', 'data-path': op }, [
          bind(C.el('input', { value: o.label, placeholder: '等次名称', 'data-path': op + '.label' }), function (v) { o.label = v; }),
          bind(C.el('input', { type: 'number', 'class': 'small', step: '0.05', min: '0', max: '1', value: String(o.value), 'data-path': op + '.value' }), function (v) { o.value = Number(v); }), x]));
      });
      var addOpt = C.el('button', { type: 'button', text: '＋ 等次' });
      addOpt.addEventListener('click', function () { sc.options.push({ label: '', value: 0 }); renderSections(); });
      var row = C.el('div', { 'class': 'row' }, [addOpt]);
      [['good', '用 好/较好/一般/差'], ['competent', '用 优秀/称职/基本称职/不称职']].forEach(function (pr) {
        var b = C.el('button', { type: 'button', text: pr[1] });
        b.addEventListener('click', function () { sc.options = PRESETS[pr[0]].map(function (o) { return { label: o[0], value: o[1] }; }); renderSections(); });
        row.appendChild(b);
      });
      scale.appendChild(row);
    } else if (sc.type === 'score') {
      var r = C.el('div', { 'class': 'grid' });
      r.appendChild(field('最低分', bind(C.el('input', { type: 'number', value: String(sc.min == null ? '' : sc.min) }), function (v) { sc.min = numOrNull(v); }), p + '.scale.min'));
      r.appendChild(field('最高分', bind(C.el('input', { type: 'number', value: String(sc.max == null ? '' : sc.max) }), function (v) { sc.max = numOrNull(v); }), p + '.scale.max'));
      r.appendChild(field('步长', bind(C.el('input', { type: 'number', step: '0.1', min: '0', value: sc.step ? String(sc.step) : '', placeholder: '1' }), function (v) { sc.step = numOrNull(v); }), p + '.scale.step', '不填则只能打整数；填 0.5 可打半分'));
      scale.appendChild(r);
    } else {
      scale.appendChild(field('最多推荐几人', bind(C.el('input', { type: 'number', min: '1', step: '1', value: String(sc.max == null ? '' : sc.max) }), function (v) { sc.max = numOrNull(v); }), p + '.scale.max'));
    }
    sec.appendChild(scale);

    if (sc.type !== 'choose') {
      var dims = C.el('input', { value: (s.dimensions || []).join('、'), placeholder: '如 德、能、勤、绩、廉；不分维度请留空' });
      sec.appendChild(C.el('div', { 'class': 'stack' }, [field('分维度测评', bind(dims, function (v) {
        var list = v.split(/[、,，;；\s]+/).filter(Boolean);
        if (list.length) s.dimensions = list; else delete s.dimensions;
      }), p + '.dimensions', '每个测评对象按每个维度分别评等次（如科级干部的德能勤绩廉）')]));
    }
    if (sc.type === 'grade') {
      var lim = C.el('div', { 'class': 'stack', 'data-path': p + '.limits' }, [C.el('strong', { text: '等次比例限制' })]);
      (s.limits || []).forEach(function (l, j) {
        var lp = p + '.limits[' + j + ']';
        var x = C.el('button', { type: 'button', text: '×', 'aria-label': '删除限制' });
        x.addEventListener('click', function () { s.limits.splice(j, 1); if (!s.limits.length) delete s.limits; renderSections(); });
        lim.appendChild(C.el('div', { 'class': 'row', 'data-path': lp }, [
          C.el('span', { text: '等次' }),
          bind(C.el('input', { value: (l.options || []).join('、'), placeholder: '优秀', 'data-path': lp + '.options' }), function (v) { l.options = v.split(/[、,，\s]+/).filter(Boolean); }),
          C.el('span', { text: '最多占' }),
          bind(C.el('input', { type: 'number', 'class': 'small', min: '0', max: '100', value: l.max_share ? String(Math.round(l.max_share * 1000) / 10) : '', 'data-path': lp + '.max_share' }),
            function (v) { if (v === '') delete l.max_share; else l.max_share = Number(v) / 100; }),
          C.el('span', { text: '% 或最多' }),
          bind(C.el('input', { type: 'number', 'class': 'small', min: '0', step: '1', value: l.max_count == null ? '' : String(l.max_count), 'data-path': lp + '.max_count' }),
            function (v) { if (v === '') delete l.max_count; else l.max_count = Number(v); }),
          C.el('span', { text: '人' }), x]));
      });
      var addLim = C.el('button', { type: 'button', text: '＋ 比例限制（如 优秀 不超过 30%）' });
      addLim.addEventListener('click', function () { s.limits = s.limits || []; s.limits.push({ options: [sc.options && sc.options[0] ? sc.options[0].label : '优秀'], max_share: 0.3 }); renderSections(); });
      lim.appendChild(C.el('div', { 'class': 'row' }, [addLim]));
      sec.appendChild(lim);
    }
    var req = C.el('input', { type: 'checkbox' });
    req.checked = s.required !== false;
    sec.appendChild(C.el('div', { 'class': 'stack' }, [C.el('label', { 'class': 'check', 'data-path': p + '.required' }, [
      bind(req, function (v) { if (v) delete s.required; else s.required = false; }),
      C.el('span', { text: sc.type === 'choose' ? '必须至少推荐一人' : '必须填写（每个测评对象都要评）' })])]));
    return sec;
  }
  function move(i, d) {
    var s = form.sections.splice(i, 1)[0];
    form.sections.splice(i + d, 0, s);
    renderSections();
  }

  // clean turns the editor's state into the API's shape.
  function clean() {
    var f = { code: D.getElementById('f-code').value.trim(), title: D.getElementById('f-title').value.trim(), sections: [] };
    form.sections.forEach(function (s) {
      var sc = s.scale, out = { code: (s.code || '').trim(), title: (s.title || '').trim(), purpose: s.purpose, subjects: s.subjects || [] };
      if (sc.type === 'grade') out.scale = { type: 'grade', options: (sc.options || []).map(function (o) { return { label: (o.label || '').trim(), value: Number(o.value) || 0 }; }) };
      else if (sc.type === 'score') { out.scale = { type: 'score', min: sc.min, max: sc.max }; if (sc.step) out.scale.step = sc.step; }
      else out.scale = { type: 'choose', max: sc.max };
      if (sc.type === 'grade' && s.limits && s.limits.length) out.limits = s.limits;
      if (sc.type !== 'choose' && s.dimensions && s.dimensions.length) out.dimensions = s.dimensions;
      if (s.required === false) out.required = false;
      f.sections.push(out);
    });
    return f;
  }
  function clearErrors() {
    var els = D.querySelectorAll('#editor .invalid');
    for (var i = 0; i < els.length; i++) els[i].classList.remove('invalid');
    els = D.querySelectorAll('#editor .field-error');
    for (i = 0; i < els.length; i++) els[i].parentNode.removeChild(els[i]);
  }
  // showErrors puts each detail next to the element whose data-path is the
  // longest prefix of its field.
  function showErrors(data) {
    clearErrors();
    var e = (data && data.error) || {}, paths = D.querySelectorAll('#editor [data-path]'), rest = [];
    (e.details || []).forEach(function (d) {
      var best = null, f = d.field || '';
      for (var i = 0; i < paths.length; i++) {
        var p = paths[i].getAttribute('data-path');
        if ((f === p || f.indexOf(p + '.') === 0 || f.indexOf(p + '[') === 0) && (!best || p.length > best.getAttribute('data-path').length)) best = paths[i];
      }
      if (!best) { rest.push((f ? f + '：' : '') + d.message); return; }
      best.classList.add('invalid');
      var note = C.el('small', { 'class': 'field-error', role: 'alert', text: d.message });
      if (best.classList.contains('section-box')) best.insertBefore(note, best.children[1]);
      else best.parentNode.insertBefore(note, best.nextSibling);
    });
    return rest;
  }
  function save(code) {
    var f = clean();
    if (code) f.code = code;
    if (!f.code) { say('请填写表单编码（如 town-report）。 (Enter a form code.)', false); D.getElementById('f-code').classList.add('invalid'); return; }
    var exists = forms.some(function (x) { return x.code === f.code; });
    if (exists && f.code !== loadedCode && !confirm('已有编码为 ' + f.code + ' 的测评表，确定用这张表替换它吗？')) return;
    C.api('PUT', base + '/forms/' + encodeURIComponent(f.code), f).then(function (r) {
      if (r.status === 200) {
        clearErrors();
        loadedCode = f.code;
        form = r.data;
        D.getElementById('f-code').value = f.code;
        D.getElementById('editor-title').textContent = '编辑测评表：' + f.title;
        say('已保存测评表“' + f.title + '”（' + f.code + '）。 (Saved.)', true);
        renderSections();
        loadList();
        return;
      }
      if (r.status === 409) {
        clearErrors();
        say((r.data.error ? r.data.error.message : '') + '\n这张表已被一个已经开始（或已结束）的会议使用：为了让已投的票按原表计票，它不能再修改。' +
          '请点“另存为新表…”用新的编码保存，然后在尚未开始的会议中改用新表。\n(The form is used by a meeting that has opened, so it can no longer change: save it under a new code and use that in meetings not yet opened.)', false);
        return;
      }
      var rest = showErrors(r.data);
      say(C.errorText({ error: { message: (r.data.error || {}).message || String(r.data), details: rest.map(function (m) { return { message: m }; }) } }), false);
      var first = D.querySelector('#editor .invalid');
      if (first && first.scrollIntoView) first.scrollIntoView({ block: 'center' });
    });
  }

  D.addEventListener('DOMContentLoaded', function () {
    var root = D.getElementById('forms');
    cycle = root.getAttribute('data-cycle');
    base = '/cycles/' + encodeURIComponent(cycle);
    renderTemplates();
    D.addEventListener('cp:lang', loadList);
    D.getElementById('f-code').addEventListener('input', function () { this.classList.remove('invalid'); });
    D.getElementById('f-title').addEventListener('input', function () { form.title = this.value; this.classList.remove('invalid'); });
    D.getElementById('add-section').addEventListener('click', function () { form.sections.push(newSection(form.sections.length)); renderSections(); });
    D.getElementById('save-form').addEventListener('click', function () { save(''); });
    D.getElementById('save-as').addEventListener('click', function () {
      var code = prompt('新测评表的编码（字母、数字、_ . -）： (code of the new form)', (D.getElementById('f-code').value || 'form') + '-2');
      if (code) save(code.trim());
    });
    D.getElementById('close-editor').addEventListener('click', function () { D.getElementById('editor').hidden = true; form = null; });
    C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) return;
      (r.data.cycles || []).forEach(function (cy) { if (cy.code === cycle) D.getElementById('cycle-name').textContent = cy.name + '（' + cy.code + '）'; });
    });
    Promise.all([C.api('GET', base + '/units'), C.api('GET', base + '/people')]).then(function (rs) {
      if (rs[0].status === 200) units = rs[0].data || [];
      if (rs[1].status === 200) people = rs[1].data || [];
      if (form) renderSections();
    });
    loadList();
  });
})();
