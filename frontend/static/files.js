/* Files: evidence per entry and a unit's reports (issue 12). Loaded after
 * console.js; adds Ceping.files:
 *   check(file, cb)  cb('') when the file may be sent, else the refusal, in
 *                    the server's words (size, then type by its first bytes)
 *   send(method, path, file, onProgress) → Promise {status, data}: multipart
 *                    field "file" through XMLHttpRequest, for its progress
 *   widget(el, {list, upload, canEdit}) an upload-and-list control: list is
 *                    the API path that lists ({files:[…]}), upload the path
 *                    files are POSTed to, canEdit whether to offer upload
 *                    and delete. Returns {reload}.
 * ES5 (WeChat's browser); no fetch needed for the upload.
 * Hooks: .files-list li[data-id] a.file-open, button.file-delete,
 *        input.file-input, progress.file-progress, .file-msg. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  var MAX = 20 * 1024 * 1024;
  C.extend({
    'files.choose': 'Choose a file to upload', 'files.none': 'No files yet.', 'files.delete': 'Delete',
    'files.uploading': 'Uploading… {0}%', 'files.done': 'Uploaded: {0}', 'files.deleted': 'Deleted: {0}',
    'files.confirmDelete': 'Delete {0}?', 'files.hint': 'PDF, PNG or JPEG images, .xlsx or .docx, at most 20 MB each.',
    'files.tooLarge': 'The file is over the 20 MB limit: compress or split it. ({0})',
    'files.badType': '{0}: only PDF, PNG or JPEG images, Excel workbooks (.xlsx) or Word documents (.docx) are accepted.',
    'files.oldOffice': '{0} is an old Office file (.doc/.xls): save it as .docx or .xlsx.',
    'files.network': 'The upload did not finish (network): try again.', 'files.by': '{0} · {1} · {2}'
  });
  var ALLOWED = '只能上传 PDF、PNG 或 JPEG 图片、Excel 工作簿（.xlsx）或 Word 文档（.docx）';

  function size(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MB';
    if (n >= 1024) return Math.round(n / 1024) + ' KB';
    return n + ' B';
  }
  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(C.lang() === 'en' ? 'en' : 'zh-CN', { hour12: false });
  }
  function startsWith(bytes, sig) {
    if (bytes.length < sig.length) return false;
    for (var i = 0; i < sig.length; i++) if (bytes[i] !== sig[i]) return false;
    return true;
  }
  // kind tells a file's type from its first bytes, as the server does
  // (the server also looks inside a zip for the Word or Excel part).
  function kind(bytes, name) {
    var ext = (/\.([^.]+)$/.exec(name || '') || ['', ''])[1].toLowerCase();
    if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'ok'; // %PDF-
    if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'ok';
    if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'ok';
    if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return ext === 'xlsx' || ext === 'docx' ? 'ok' : 'bad';
    if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'old';
    return 'bad';
  }
  function check(file, cb) {
    if (file.size > MAX) { cb(C.t('files.tooLarge', '文件超过 20 MB，不能上传；请压缩图片或拆分文件后再传（{0}）', size(file.size))); return; }
    if (file.size === 0) { cb(C.pick('文件“' + file.name + '”是空的，请重新选择', 'The file ' + file.name + ' is empty.')); return; }
    var fail = function (k) {
      if (k === 'old') cb(C.t('files.oldOffice', '文件“{0}”是旧版 Office 格式（.doc/.xls），请在 Office 或 WPS 中另存为 .docx 或 .xlsx', file.name));
      else if (k === 'bad') cb(C.t('files.badType', '文件“{0}”的内容不是允许的类型；' + ALLOWED, file.name));
      else cb('');
    };
    if (!window.FileReader || !file.slice) { cb(''); return; } // the server checks anyway
    var r = new FileReader();
    r.onload = function () { fail(kind(new Uint8Array(r.result), file.name)); };
    r.onerror = function () { cb(''); };
    r.readAsArrayBuffer(file.slice(0, 8));
  }
  function parse(xhr) {
    var ct = xhr.getResponseHeader('Content-Type') || '';
    if (ct.indexOf('json') >= 0) { try { return JSON.parse(xhr.responseText); } catch (e) { /* fall through */ } }
    return xhr.responseText;
  }
  function send(method, path, file, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest(), fd = new FormData();
      fd.append('file', file, file.name);
      xhr.open(method, '/api/v1' + path);
      xhr.setRequestHeader('X-CSRF-Token', C.csrf);
      xhr.setRequestHeader('Accept', 'application/json');
      if (xhr.upload && onProgress) {
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(Math.floor(100 * e.loaded / e.total)); };
      }
      xhr.onload = function () {
        if (xhr.status === 401) { location.href = '/console/login?next=' + encodeURIComponent(location.pathname); }
        resolve({ status: xhr.status, data: parse(xhr) });
      };
      xhr.onerror = function () { resolve({ status: 0, data: C.t('files.network', '上传没有完成（网络中断），请重试') }); };
      xhr.send(fd);
    });
  }
  // touch makes a control at least 44 px high (the console's buttons are 40).
  // A file input also keeps to its card's width on a phone.
  function touch(e) {
    e.style.minHeight = '44px';
    e.style.maxWidth = '100%';
    if (e.tagName === 'INPUT') e.style.width = '100%';
    return e;
  }

  function widget(root, opt) {
    var list = C.el('ul', { 'class': 'files-list' });
    var msg = C.el('p', { 'class': 'msg file-msg', role: 'status' });
    var bar = C.el('progress', { 'class': 'file-progress', max: '100', value: '0' });
    var input = touch(C.el('input', { type: 'file', 'class': 'file-input', accept: '.pdf,.png,.jpg,.jpeg,.xlsx,.docx,application/pdf,image/png,image/jpeg' }));
    var label = C.el('label', { 'class': 'file-pick' }, [C.el('span', { 'data-i18n': 'files.choose', text: C.t('files.choose', '选择要上传的文件') }), C.el('br'), input]);
    var hint = C.el('p', { 'class': 'hint', text: C.t('files.hint', '可上传 PDF、PNG/JPEG 图片、.xlsx 或 .docx，每个不超过 20 MB。') });
    var files = [];
    bar.hidden = true;
    bar.style.width = '100%';
    root.textContent = '';
    root.appendChild(list);
    if (opt.canEdit) { root.appendChild(label); root.appendChild(hint); root.appendChild(bar); }
    root.appendChild(msg);

    function say(text, bad) { msg.className = 'msg file-msg' + (bad ? ' bad' : ' ok'); msg.textContent = text; }
    function render() {
      list.textContent = '';
      if (!files.length) list.appendChild(C.el('li', { 'class': 'hint', text: C.t('files.none', '还没有文件。') }));
      files.forEach(function (f) {
        var li = C.el('li', { 'data-id': f.id }, [
          touch(C.el('a', { 'class': 'file-open', href: '/api/v1/files/' + encodeURIComponent(f.id), download: f.name, text: f.name })),
          C.el('span', { 'class': 'hint', text: ' ' + C.t('files.by', '{0} · {1} · {2}', size(f.size), f.uploaded_by, when(f.uploaded_at)) })]);
        li.lastChild.style.display = 'block';
        li.firstChild.style.display = 'inline-flex';
        li.firstChild.style.alignItems = 'center';
        if (opt.canEdit) {
          var del = touch(C.el('button', { type: 'button', 'class': 'file-delete danger', text: C.t('files.delete', '删除') }));
          del.addEventListener('click', function () {
            if (!window.confirm(C.t('files.confirmDelete', '删除“{0}”？', f.name))) return;
            del.disabled = true;
            C.api('DELETE', '/files/' + encodeURIComponent(f.id)).then(function (r) {
              del.disabled = false;
              if (r.status !== 200) { say(C.errorText(r.data), true); return; }
              say(C.t('files.deleted', '已删除：{0}', f.name));
              reload();
            });
          });
          li.appendChild(del);
        }
        list.appendChild(li);
      });
    }
    function reload() {
      return C.api('GET', opt.list).then(function (r) {
        if (r.status !== 200) { say(C.errorText(r.data), true); return; }
        files = r.data.files || [];
        render();
      });
    }
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file) return;
      check(file, function (refusal) {
        if (refusal) { say(refusal, true); input.value = ''; return; }
        input.disabled = true;
        bar.hidden = false;
        bar.value = 0;
        say(C.t('files.uploading', '正在上传… {0}%', 0));
        send(opt.method || 'POST', opt.upload, file, function (p) { bar.value = p; say(C.t('files.uploading', '正在上传… {0}%', p)); }).then(function (r) {
          input.disabled = false;
          input.value = '';
          bar.hidden = true;
          if (r.status !== 200 && r.status !== 201) { say(r.data && r.data.error ? C.errorText(r.data) : String(r.data), true); return; }
          say(C.t('files.done', '已上传：{0}', r.data.name));
          reload();
        });
      });
    });
    D.addEventListener('cp:lang', render);
    reload();
    return { reload: reload };
  }

  C.files = { check: check, send: send, widget: widget, size: size, when: when, touch: touch };
})();
