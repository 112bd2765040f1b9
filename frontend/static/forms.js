/* Ballot-form editor (admin): list the year's forms, start one from a
 * ready template or blank, edit its sections, save with PUT; the API's
 * field errors ("sections[2].scale.max") are shown at the field, by their
 * message only. Codes (the form's, each section's) are made up here and
 * kept under 高级; a form that an opened or closed meeting uses (known
 * from GET …/meetings) opens read-only with 复制为新表 only. 预览 opens the
 * ballot page in preview mode (preview.go). */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'forms.title': 'Ballot forms', 'forms.intro': 'A ballot form is the paper form: whom to rate and how. Each voter group of a meeting uses one form. Start from a standard template and adjust.',
    'forms.list': 'Forms of this year', 'forms.new': 'New form', 'forms.newHint': 'Pick a standard template (set up from the assessment rules), or start blank:',
    'forms.edit': 'Edit form', 'forms.code': 'Form code', 'forms.codeHint': 'letters, digits, _ . -; meetings name the form by it', 'forms.ftitle': 'Title',
    'forms.addSection': '+ Add a section', 'forms.save': 'Save form', 'forms.saveAs': 'Save as new…', 'forms.close': 'Close', 'forms.none': 'No forms yet: pick a template below to start.', 'forms.editBtn': 'Edit', 'forms.copyBtn': 'Copy as a new form', 'forms.deleteBtn': 'Delete',
    'forms.confirmDelete': 'Delete the form “{0}” ({1})? This cannot be undone.', 'forms.deleted': 'Deleted the form “{0}” ({1}).', 'forms.sections': '{0} sections', 'setup.title': 'Year set-up',
    'forms.advanced': 'Advanced (codes are made up for you; rarely changed)', 'forms.previewBtn': 'Preview ballot', 'forms.preview': 'Preview', 'forms.view': 'View',
    'forms.locked': 'The form is used by “{0}”, which has started: it can no longer change. To change it, use “Copy as a new form”.',
    'forms.lockedShort': 'in use by a meeting that has started: view only', 'forms.unsaved': 'There are unsaved changes. Close and lose them?',
    'forms.unsavedOpen': 'There are unsaved changes in the form being edited. Drop them and open the other form?',
    'forms.saveFirst': 'The preview shows the saved form: save your changes first, then preview.',
    'forms.copyTitle': '{0} (copy)', 'forms.askTitle': 'Title of the new form:', 'forms.copied': 'This is a new copy, not saved yet: change it and press “Save form”.',
    'forms.editTitle': 'Edit form: {0}', 'forms.viewTitle': 'Form: {0}', 'forms.newTitle': 'New form (not saved yet)', 'forms.saved': 'Saved the form “{0}”.',
    'forms.needTitle': 'Enter the form\'s title.', 'forms.replace': 'A form with the code {0} exists. Replace it with this one?'
  });
  var T = C.t;
  var PURPOSES = [['conference', '全县领导干部大会评价'], ['mutual', '单位互评'], ['group', '考核组评价'], ['democratic', '民主测评'], ['social', '社会评价'],
    ['team', '领导班子'], ['cadre', '科级干部'], ['integrity', '党风廉政'], ['recommend', '无任用推荐'], ['other', '其他']];
  var SCALES = [['grade', '等次（如 好/较好/一般/差）'], ['score', '打分（如 0–100 分）'], ['choose', '推荐（选人，最多 N 人）']];
  var SELECTORS = [['host', '本次会议的被考核单位'], ['kind:town', '所有镇'], ['kind:department', '所有县级部门'], ['people:host', '本次会议的被考核单位的全部人员'],
    ['unit:', '指定单位…'], ['people:', '指定单位的全部人员…'], ['person:', '指定人员…']];
  var PRESETS = { good: [['好', 1], ['较好', 0.8], ['一般', 0.6], ['差', 0]], competent: [['优秀', 1], ['称职', 0.8], ['基本称职', 0.5], ['不称职', 0]] };
  var cycle, base, forms = [], units = [], people = [], meetings = [], form = null, loadedCode = '', snapshot = '', locked = [];

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
  // lockedBy names the meetings that use form code and have started: such
  // a form can no longer change.
  function lockedBy(code) {
    return meetings.filter(function (m) {
      return m.status !== 'pending' && (m.groups || []).some(function (g) { return g.form === code; });
    }).map(function (m) { return m.title; });
  }
  // previewURL is the console's preview of a saved form, for the host of a
  // meeting that uses it when there is one.
  function previewURL(code) {
    var m = meetings.filter(function (x) { return x.host && (x.groups || []).some(function (g) { return g.form === code; }); })[0];
    return '/console/cycles/' + encodeURIComponent(cycle) + '/forms/' + encodeURIComponent(code) + '/preview' + (m ? '?host=' + encodeURIComponent(m.host) : '');
  }
  // uniqueCode returns base, or base-2, base-3… when a form has it already.
  function uniqueCode(base) {
    base = String(base || 'form').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 56) || 'form';
    var taken = function (c) { return forms.some(function (x) { return x.code === c; }); };
    if (!taken(base)) return base;
    for (var n = 2; ; n++) if (!taken(base + '-' + n)) return base + '-' + n;
  }
  function loadList() {
    return Promise.all([C.api('GET', base + '/forms'), C.api('GET', base + '/meetings')]).then(function (rs) {
      var r = rs[0], list = D.getElementById('form-list');
      if (rs[1].status === 200) meetings = rs[1].data.meetings || [];
      list.textContent = '';
      if (r.status !== 200) { D.getElementById('load-msg').textContent = errText(r.data); return; }
      forms = r.data.forms || [];
      if (!forms.length) list.appendChild(C.el('li', { 'class': 'muted', text: T('forms.none', '还没有测评表：请在下面选择一个模板开始。') }));
      forms.forEach(function (f) {
        var lk = lockedBy(f.code).length > 0;
        var edit = C.el('button', { type: 'button', 'class': 'primary', 'data-edit': f.code, text: lk ? T('forms.view', '查看') : T('forms.editBtn', '编辑') });
        var pv = C.el('a', { 'class': 'button', 'data-preview': f.code, href: previewURL(f.code), text: T('forms.preview', '预览') });
        var copy = C.el('button', { type: 'button', text: T('forms.copyBtn', '复制为新表') });
        var del = C.el('button', { type: 'button', 'class': 'danger', 'data-delete': f.code, text: T('forms.deleteBtn', '删除') });
        edit.addEventListener('click', function () { open(JSON.parse(JSON.stringify(f)), f.code); });
        copy.addEventListener('click', function () { openCopy(f); });
        del.addEventListener('click', function () { remove(f, del); });
        var note = T('forms.sections', '{0} 个测评项目', (f.sections || []).length) + (lk ? ' · ' + T('forms.lockedShort', '已有会议开始使用，只能查看') : '');
        list.appendChild(C.el('li', { 'data-form': f.code }, [C.el('span', { 'class': 'title', text: f.title }),
          C.el('span', { 'class': 'muted', text: note }), edit, pv, copy].concat(lk ? [] : [del])));
      });
      if (form && loadedCode) showLock();
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
        if (form && loadedCode === f.code) { D.getElementById('editor').hidden = true; form = null; loadedCode = ''; locked = []; snapshot = ''; }
        loadList();
        return;
      }
      sayList(errText(r.data), false);
      var m = D.getElementById('list-msg');
      if (m.scrollIntoView) m.scrollIntoView({ block: 'nearest' });
    }, function () { button.disabled = false; sayList(C.pick('网络连接失败，请重试', 'Network error: please try again'), false); });
  }
  function renderTemplates() {
    var box = D.getElementById('templates');
    box.textContent = '';
    (window.CepingFormTemplates || []).concat([{ id: 'form', name: '空白测评表', note: '从一个空的测评项目开始',
      build: function () { return { code: 'form', title: '', sections: [newSection([])] }; } }]).forEach(function (t) {
      var b = C.el('button', { type: 'button', 'data-template': t.id === 'form' ? 'blank' : t.id }, [C.el('strong', { text: t.name }), C.el('small', { text: t.note })]);
      b.addEventListener('click', function () {
        if (!leave(T('forms.unsavedOpen', '正在编辑的测评表有未保存的修改。放弃这些修改，打开另一张表吗？'))) return;
        var f = t.build();
        f.code = uniqueCode(t.id); // the code comes from the template, never from the clerk
        open(f, '');
      });
      box.appendChild(b);
    });
  }
  // sectionCode is the first of s1, s2… that no section of list uses.
  function sectionCode(list) {
    for (var n = list.length + 1; ; n++) {
      var c = 's' + n;
      if (!list.some(function (x) { return x.code === c; })) return c;
    }
  }
  function newSection(list) { return { code: sectionCode(list), title: '', purpose: 'democratic', subjects: ['host'], scale: { type: 'grade', options: PRESETS.good.map(function (o) { return { label: o[0], value: o[1] }; }) } }; }
  // openCopy opens an unsaved copy of f under a new code.
  function openCopy(f) {
    if (!leave(T('forms.unsavedOpen', '正在编辑的测评表有未保存的修改。放弃这些修改，打开另一张表吗？'))) return;
    var c = JSON.parse(JSON.stringify(f));
    c.code = uniqueCode(f.code);
    c.title = T('forms.copyTitle', '{0}（副本）', f.title);
    open(c, '');
    say(T('forms.copied', '这是一份新的副本，尚未保存：修改后请点“保存测评表”。'), true);
  }

  // ---- The editor ----
  // dirty: the editor holds changes not saved (since it opened or saved).
  function dirty() { return !!form && !locked.length && JSON.stringify(clean()) !== snapshot; }
  // leave asks before unsaved changes are dropped; true to go on.
  function leave(question) { return !dirty() || confirm(question); }
  function open(f, code) {
    form = f;
    loadedCode = code;
    form.sections = form.sections || [];
    var ed = D.getElementById('editor');
    ed.hidden = false;
    D.getElementById('f-code').value = f.code;
    D.getElementById('f-title').value = f.title;
    D.getElementById('advanced').open = false;
    clearErrors();
    say('', true);
    renderSections();
    showLock();
    snapshot = JSON.stringify(clean());
    ed.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
  // showLock puts the editor in read-only mode while a started meeting uses
  // the saved form, and sets the title and the buttons.
  function showLock() {
    locked = loadedCode ? lockedBy(loadedCode) : [];
    var lk = locked.length > 0, banner = D.getElementById('locked-banner');
    banner.hidden = !lk;
    banner.textContent = lk ? T('forms.locked', '此表已被“{0}”使用且会议已开始，不能修改；如需改动请“复制为新表”', locked.join('”、“')) : '';
    D.getElementById('editor-title').textContent = !loadedCode ? T('forms.newTitle', '新建测评表（尚未保存）')
      : lk ? T('forms.viewTitle', '测评表：{0}', form.title) : T('forms.editTitle', '编辑测评表：{0}', form.title);
    D.getElementById('save-form').hidden = lk;
    D.getElementById('save-as').hidden = lk || !loadedCode;
    D.getElementById('copy-form').hidden = !lk;
    D.getElementById('add-section').hidden = lk;
    var pv = D.getElementById('preview-form');
    pv.hidden = !loadedCode;
    if (loadedCode) pv.href = previewURL(loadedCode);
    // Locked: nothing can be changed. Unlocked: the title and code fields
    // come back; the sections are drawn afresh by renderSections (whose ↑ on
    // the first section and ↓ on the last stay disabled).
    var els = D.querySelectorAll(lk ? '#editor input, #editor select, #editor textarea, #sections button' : '#f-code, #f-title');
    for (var i = 0; i < els.length; i++) els[i].disabled = lk;
  }
  function renderSections() {
    var box = D.getElementById('sections');
    box.textContent = '';
    form.sections.forEach(function (s, i) { box.appendChild(sectionBox(s, i)); });
    if (locked.length) showLock();
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
    sec.appendChild(grid);
    // The section's code is made up (s1, s2… or the template's); kept out of the way.
    var adv = C.el('details', { 'class': 'advanced' }, [C.el('summary', { text: '高级（项目编码）' }),
      field('项目编码', bind(C.el('input', { value: s.code || '', autocomplete: 'off', spellcheck: 'false' }), function (v) { s.code = v; }), p + '.code', '系统自动生成，本表内唯一；只能用字母、数字、_ . -')]);
    sec.appendChild(adv);

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
      var sc = s.scale, out = { code: (s.code || '').trim() || sectionCode(form.sections), title: (s.title || '').trim(), purpose: s.purpose, subjects: s.subjects || [] };
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
      if (!best) { rest.push(msgOf(d)); return; }
      best.classList.add('invalid');
      var note = C.el('small', { 'class': 'field-error', role: 'alert', text: msgOf(d) });
      if (best.classList.contains('section-box')) best.insertBefore(note, best.children[1]);
      else best.parentNode.insertBefore(note, best.nextSibling);
      for (var up = best.parentNode; up && up.id !== 'editor'; up = up.parentNode) if (up.tagName === 'DETAILS') up.open = true;
    });
    return rest;
  }
  // msgOf is a server message in the page's language, never its field path.
  function msgOf(d) {
    var m = C.lang() === 'en' && d.message_en ? d.message_en : String(d.message || '');
    return C.lang() === 'en' ? m : m.replace(/\s*\([^()\u4e00-\u9fff]*[a-z]{2}[^()\u4e00-\u9fff]*\)\s*$/, '');
  }
  // errText is an API error as lines: the message, then each detail not
  // already said.
  function errText(data) {
    if (!data || !data.error) return String(data || '');
    var seen = {}, lines = [];
    [data.error].concat(data.error.details || []).forEach(function (d) {
      var m = msgOf(d);
      if (m && !seen[m]) { seen[m] = true; lines.push(lines.length ? '· ' + m : m); }
    });
    return lines.join('\n');
  }
  // save stores the editor's form under its code, or as a new form under
  // a new code (asNew).
  function save(asNew, title) {
    var f = clean();
    if (asNew) { f.code = uniqueCode(f.code || loadedCode); f.title = title; }
    if (!f.code) f.code = uniqueCode('form');
    if (!f.title) { say(T('forms.needTitle', '请填写表名。'), false); D.getElementById('f-title').classList.add('invalid'); return; }
    var exists = forms.some(function (x) { return x.code === f.code; });
    if (exists && f.code !== loadedCode && !confirm(T('forms.replace', '已有编码为 {0} 的测评表，确定用这张表替换它吗？', f.code))) return;
    C.api('PUT', base + '/forms/' + encodeURIComponent(f.code), f).then(function (r) {
      if (r.status === 200) {
        clearErrors();
        loadedCode = f.code;
        form = r.data;
        D.getElementById('f-code').value = f.code;
        D.getElementById('f-title').value = f.title;
        renderSections();
        snapshot = JSON.stringify(clean());
        showLock();
        say(T('forms.saved', '已保存测评表“{0}”。', f.title), true);
        loadList();
        return;
      }
      if (r.status === 409) {
        // A meeting using it opened since the editor opened: read-only now.
        clearErrors();
        say(errText(r.data), false);
        loadList();
        return;
      }
      var rest = showErrors(r.data);
      var head = r.data && r.data.error ? msgOf(r.data.error) : String(r.data);
      say(errText({ error: { message: head, details: rest.map(function (m) { return { message: m }; }) } }), false);
      var first = D.querySelector('#editor .invalid');
      if (first && first.scrollIntoView) first.scrollIntoView({ block: 'center' });
    });
  }

  D.addEventListener('DOMContentLoaded', function () {
    var root = D.getElementById('forms');
    cycle = root.getAttribute('data-cycle');
    base = '/cycles/' + encodeURIComponent(cycle);
    renderTemplates();
    D.addEventListener('cp:lang', function () { loadList(); if (form) { renderSections(); showLock(); } });
    D.getElementById('f-code').addEventListener('input', function () { this.classList.remove('invalid'); });
    D.getElementById('f-title').addEventListener('input', function () { form.title = this.value; this.classList.remove('invalid'); });
    D.getElementById('add-section').addEventListener('click', function () { form.sections.push(newSection(form.sections)); renderSections(); });
    D.getElementById('save-form').addEventListener('click', function () { save(false); });
    D.getElementById('save-as').addEventListener('click', function () {
      var title = prompt(T('forms.askTitle', '新测评表的名称：'), T('forms.copyTitle', '{0}（副本）', D.getElementById('f-title').value));
      if (title && title.trim()) save(true, title.trim());
    });
    D.getElementById('copy-form').addEventListener('click', function () { openCopy(JSON.parse(JSON.stringify(form))); });
    D.getElementById('preview-form').addEventListener('click', function (e) {
      if (dirty()) { e.preventDefault(); say(T('forms.saveFirst', '预览显示的是已保存的测评表：请先保存修改，再预览。'), false); }
    });
    D.getElementById('close-editor').addEventListener('click', function () {
      if (!leave(T('forms.unsaved', '有未保存的修改，关闭后会丢失。确定关闭吗？'))) return;
      D.getElementById('editor').hidden = true;
      form = null; loadedCode = ''; locked = []; snapshot = '';
    });
    C.api('GET', '/cycles').then(function (r) {
      if (r.status !== 200) return;
      (r.data.cycles || []).forEach(function (cy) { if (cy.code === cycle) D.getElementById('cycle-name').textContent = cy.name; });
    });
    Promise.all([C.api('GET', base + '/units'), C.api('GET', base + '/people')]).then(function (rs) {
      if (rs[0].status === 200) units = rs[0].data || [];
      if (rs[1].status === 200) people = rs[1].data || [];
      if (form) renderSections();
    });
    loadList();
  });
})();
