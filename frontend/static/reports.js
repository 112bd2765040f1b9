/* The units' reports page (issue 12 item 5, rules text 三(二)). A unit
 * account uploads its 自查报告 and 领导班子及科级干部述职述廉述效报告 (each
 * upload replaces the last) and sees them; admins and viewers see which
 * units have uploaded, when and by whom, and open them.
 * Hooks: #reports [data-kind] (a unit's report card) .report-file a,
 *        input.file-input, progress.file-progress, .file-msg;
 *        #reports-table tr[data-unit] td[data-kind]; #reports-count; #reports-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document, F = C.files;
  C.extend({
    'reports.title': 'Unit reports',
    'reports.intro': 'Each unit uploads its self-check report and its leadership and cadres\' report on duty, integrity and performance (rules 3(2)). The latest upload of each is kept.',
    'reports.kind.self_check': 'Self-check report', 'reports.kind.duty': 'Leadership and cadres\' report on duty, integrity and performance',
    'reports.missing': 'Not uploaded yet', 'reports.upload': 'Choose a PDF, image, .docx or .xlsx to upload', 'reports.replace': 'Choose a file to replace it',
    'reports.count': '{0} of {1} units have uploaded both reports', 'reports.unit': 'Unit', 'reports.none': 'No units in this year yet.',
    'reports.noUnit': 'This account is bound to no unit of this year.'
  });
  var NAMES = { self_check: '自查报告', duty: '领导班子及科级干部述职述廉述效报告' };
  var root, cycle, data = null;
  function $(id) { return D.getElementById(id); }
  function kindName(k) { return C.t('reports.kind.' + k, NAMES[k] || k); }
  function fileLine(f) {
    if (!f) return C.el('span', { 'class': 'hint', text: C.t('reports.missing', '尚未上传') });
    var a = F.touch(C.el('a', { href: '/api/v1/files/' + encodeURIComponent(f.id), download: f.name, text: f.name }));
    a.style.display = 'inline-flex';
    a.style.alignItems = 'center';
    var meta = C.el('span', { 'class': 'hint', text: F.size(f.size) + ' · ' + f.uploaded_by + ' · ' + F.when(f.uploaded_at) });
    meta.style.display = 'block';
    return C.el('span', { 'class': 'report-file' }, [a, meta]);
  }
  function say(text, bad) { var m = $('reports-msg'); m.className = 'msg' + (bad ? ' bad' : ''); m.textContent = text; }

  // A unit's own page: one card per report, with its upload.
  function unitCards(row) {
    data.kinds.forEach(function (k) {
      var f = row.reports[k];
      var msg = C.el('p', { 'class': 'msg file-msg', role: 'status' });
      var bar = C.el('progress', { 'class': 'file-progress', max: '100', value: '0' });
      bar.hidden = true;
      bar.style.width = '100%';
      var input = F.touch(C.el('input', { type: 'file', 'class': 'file-input', accept: '.pdf,.png,.jpg,.jpeg,.xlsx,.docx,application/pdf,image/png,image/jpeg' }));
      input.setAttribute('aria-label', kindName(k));
      var label = C.el('label', {}, [C.el('span', { text: f ? C.t('reports.replace', '选择文件替换') : C.t('reports.upload', '选择 PDF、图片、.docx 或 .xlsx 文件上传') }), C.el('br'), input]);
      var card = C.el('section', { 'class': 'card', 'data-kind': k }, [C.el('h2', { text: kindName(k) }), fileLine(f), C.el('p', {}, [label]), bar, msg]);
      input.addEventListener('change', function () {
        var file = input.files && input.files[0];
        if (!file) return;
        F.check(file, function (refusal) {
          var set = function (text, bad) { msg.className = 'msg file-msg' + (bad ? ' bad' : ' ok'); msg.textContent = text; };
          if (refusal) { set(refusal, true); input.value = ''; return; }
          input.disabled = true;
          bar.hidden = false;
          F.send('PUT', '/cycles/' + encodeURIComponent(cycle) + '/units/' + encodeURIComponent(row.unit) + '/reports/' + k, file, function (p) {
            bar.value = p;
            set(C.t('files.uploading', '正在上传… {0}%', p));
          }).then(function (r) {
            input.disabled = false;
            input.value = '';
            bar.hidden = true;
            if (r.status !== 200) { set(r.data && r.data.error ? C.errorText(r.data) : String(r.data), true); return; }
            load(C.t('files.done', '已上传：{0}', r.data.name), k);
          });
        });
      });
      root.appendChild(card);
    });
  }

  // The office's view: which units have uploaded.
  function table() {
    var complete = 0;
    var head = C.el('tr', {}, [C.el('th', { text: C.t('reports.unit', '单位') })].concat(data.kinds.map(function (k) { return C.el('th', { text: kindName(k) }); })));
    var body = C.el('tbody');
    data.units.forEach(function (u) {
      var all = true;
      var cells = data.kinds.map(function (k) {
        all = all && !!u.reports[k];
        var td = C.el('td', { 'data-kind': k, 'data-label': kindName(k) }, [fileLine(u.reports[k])]);
        return td;
      });
      if (all) complete++;
      body.appendChild(C.el('tr', { 'data-unit': u.unit }, [C.el('td', { text: u.name + '（' + u.unit + '）' })].concat(cells)));
    });
    root.appendChild(C.el('p', { id: 'reports-count', text: C.t('reports.count', '{0} / {1} 个单位已上传全部报告', complete, data.units.length) }));
    if (!data.units.length) { root.appendChild(C.el('p', { 'class': 'hint', text: C.t('reports.none', '本年度还没有单位。') })); return; }
    root.appendChild(C.el('div', { 'class': 'table-wrap' }, [C.el('table', { id: 'reports-table' }, [C.el('thead', {}, [head]), body])]));
  }

  function render() {
    root.textContent = '';
    if (!data) return;
    if (D.body.getAttribute('data-role') === 'unit') {
      if (!data.units.length) { say(C.t('reports.noUnit', '此账号没有绑定本年度的单位。'), true); return; }
      unitCards(data.units[0]);
      return;
    }
    table();
  }
  function load(done, kind) {
    C.api('GET', '/cycles/' + encodeURIComponent(cycle) + '/reports').then(function (r) {
      if (r.status !== 200) { say(C.errorText(r.data), true); return; }
      data = r.data;
      render();
      var m = done && root.querySelector('[data-kind="' + kind + '"] .file-msg');
      if (m) { m.className = 'msg file-msg ok'; m.textContent = done; }
    });
  }
  D.addEventListener('DOMContentLoaded', function () {
    root = $('reports');
    cycle = root.getAttribute('data-cycle');
    load();
  });
  D.addEventListener('cp:lang', render);
})();
