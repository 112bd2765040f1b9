/*
 * Ceping ballot page, served at /b#TOKEN. Plain ES2017: no modules, no
 * framework, no external requests, nothing logged. The slip code lives in
 * location.hash, in memory and in the "Authorization: Ballot TOKEN" header of
 * /api/v1/ballot, nowhere else. localStorage is keyed by the code's FNV-1a
 * hash and holds the draft answers and the Idempotency-Key until a 201;
 * cp.lang and cp.big remember the language and large-text choices.
 *
 * Stable hooks for end-to-end tests:
 *   html[data-view]            code | loading | form | review | sending | done | error
 *   #lang, #big                header: 中文/English switch, large text (aria-pressed)
 *   #status                    aria-live status line (retries, problems, restored draft); .warn
 *   #code-form, #code, #code-go, #code-msg   typing the slip code by hand
 *   #loading                   while the ballot loads
 *   #ballot                    the form
 *   section[data-section=CODE][data-type=grade|score|choose]   #s<i>, one per section in order
 *   .item[data-subject=CODE]   a subject's card in its section (#i<i>-<j>); .bad when it has a problem
 *   .row[data-dim=DIM]         one dimension row (德/能/…) inside a subject card
 *   input[type=radio][name="SEC/SUBJ"][value=LABEL]       grade choice; name "SEC/SUBJ/DIM" with dimensions
 *   input[type=number][name="SEC/SUBJ"]                   score; input[type=range][data-for="SEC/SUBJ"] its slider
 *   input[type=checkbox][name="SEC/SUBJ"][value=SUBJ]     choose; label.chk[data-subject=SUBJ]
 *   .chip[data-limit=N][data-dim=DIM]   live limit "优秀 已选 1 / 最多 2" (.over when exceeded)
 *   .chip[data-chosen=N]       "已选 1/2" of a choose section
 *   button[data-fill=LABEL]    "未选的全部设为…" helper of a grade section
 *   .msg                       problem text ("⚠ …") of an item (#e<i>-<j>) or a section (#m<i>)
 *   #progress[data-done][data-total]   "已完成 7 / 12"
 *   #review                    check the form, then show the summary
 *   #summary                   the review step; #back 返回修改, #submit 确认提交
 *   #done                      the confirmation after 201 (the form and draft are gone)
 *   #error[data-code=token_used|token_revoked|not_found|invalid_token|meeting_not_open|meeting_closed|rate_limited|error]
 *   #recheck                   meeting_not_open page: check now (it re-checks every 10 s by itself)
 *   #retry                     rate_limited and error pages
 *
 * Preview mode (html[data-preview], the console's /console/cycles/C/forms/F/preview?host=U):
 * no slip code at all — the ballot comes from data-preview (GET, session
 * cookie) for the chosen 被考核单位; nothing is stored on the device; every
 * input and check works but #submit stays disabled. Hooks: #preview (the
 * banner), #preview-host (the unit picker, shown when the form rates the
 * host), #preview-back, #error[data-code=preview] with .pv-msg lines.
 */
(function () {
  'use strict';
  var W = window, D = document, API = '/api/v1/ballot';

  var T = {
    zh: {
      title: '测评投票', other: 'English', big: '大字',
      loading: '正在加载选票…',
      codeTitle: '请输入票码',
      codeLabel: '选票上的票码（27 位）',
      codeHint: '字母不分大小写，空格可输可不输。',
      codeCount: '已输入 {0} / 27 位',
      codeGo: '开始投票',
      codeScan: '也可以用手机扫描选票上的二维码。',
      codeLen: '票码应为 27 位，现在是 {0} 位，请逐组核对。',
      codeLenAt: '票码应为 27 位，现在是 {0} 位：第 {1} 组的位数不对，请核对。',
      codeChar: '第 {1} 组里的“{0}”不是票码里的字符，请核对。',
      codeBad: '第 1 组的第一位应是 0 到 7 的数字，请核对。',
      codeGroups: '您输入的票码，按选票上的分组：',
      intro: '本次测评为匿名投票，不记录您的身份。请逐项点选，填完后点页面底部的“检查并提交”。',
      optional: '（选填）',
      hGrade: '每项选一个等次。', hDims: '每人按 {0} 逐项选择。',
      hScore: '请打分：{0}–{1} 分。', hStep: '分数须是 {0} 的整数倍。',
      hChoose: '最多选 {0} 人。', hChooseReq: '至少选 1 人，最多 {0} 人。',
      fill: '未选的全部设为：', filled: '已把 {0} 项设为“{1}”',
      slider: '滑块',
      limit: '{0} 已选 {1} / 最多 {2}', limDims: '“{0}”每项最多 {1} 个：', limDim: '{0} 已选 {1}/{2}', chosen: '已选 {0}/{1}',
      chooseMax: '最多只能选 {0} 人，请先取消一人',
      progress: '已完成 {0} / {1}',
      review: '检查并提交',
      miss: '请选择一项', missDims: '还没有选：{0}', pickOne: '请至少选 1 人',
      tooMany: '最多选 {0} 人，现在选了 {1} 人',
      needNum: '请输入数字', range: '分数须在 {0} 到 {1} 之间', step: '分数须是 {0} 的整数倍',
      over: '“{0}”最多 {1} 个，现在有 {2} 个，请改选其他等次',
      overDim: '“{3}”一项中“{0}”最多 {1} 个，现在有 {2} 个，请改选其他等次',
      problems: '还有 {0} 处需要修改，请看标有 ⚠ 的地方',
      serverBad: '选票有误，请按 ⚠ 提示修改后再提交',
      restored: '已恢复您上次未提交的选择',
      reviewTitle: '请核对您的选择',
      reviewHint: '确认无误后点“确认提交”。提交后不能再修改。',
      none: '未填', noneChosen: '未选择', chosenList: '已选', pts: '分',
      back: '返回修改', submit: '确认提交', sending: '正在提交，请稍候…',
      retrying: '网络不稳定，正在重试…（第 {0} 次）',
      doneTitle: '已提交，感谢参与',
      doneText: '您的选票已经计入。为保护匿名，本页不保留、也不显示您的选择。现在可以关闭本页。',
      e_token_used: '这张票已经使用过',
      e_token_used_: '每张票只能投一次。如果您刚才已经提交，您的选票已经计入。如有疑问，请联系工作人员。',
      e_token_revoked: '这张票已作废', e_token_revoked_: '请向工作人员领取新的选票。',
      e_not_found: '没有找到这张票', e_not_found_: '请核对选票上的票码，重新输入。',
      e_invalid_token: '票码有误', e_invalid_token_: '票码可能输错了，请核对选票后重新输入。',
      e_meeting_not_open: '投票尚未开始', e_meeting_not_open_: '请稍候。投票开始后，本页会自动打开选票，不用刷新。',
      e_meeting_closed: '投票已经结束', e_meeting_closed_: '本次测评已经结束，不能再投票。',
      e_rate_limited: '尝试次数过多', e_rate_limited_: '输错票码的次数太多，请等一分钟再试。',
      e_error: '出错了', e_error_: '请稍后再试，或联系工作人员。',
      checked: '上次检查：{0}', recheck: '现在检查', retry: '重试', code: '状态码 {0}',
      pvTitle: '选票预览', pvBanner: '预览：选票的样子，不能提交', pvHost: '本次会议的被考核单位', pvBack: '关闭预览',
      pvFor: '选票预览 · 本次会议的被考核单位：{0}', pvNo: '预览中不能提交',
      pvReviewHint: '这是预览：投票人核对到这一步后点“确认提交”；预览中不能提交，什么也不会保存。',
      e_preview: '这张测评表现在还不能预览', e_preview_: '请按下面的说明处理后再预览；也可以换一个被考核单位试试。'
    },
    en: {
      title: 'Ballot', other: '中文', big: 'Large text',
      loading: 'Loading the ballot…',
      codeTitle: 'Enter your slip code',
      codeLabel: 'The code printed on your slip (27 characters)',
      codeHint: 'Upper or lower case; spaces are optional.',
      codeCount: '{0} of 27 characters',
      codeGo: 'Start voting',
      codeScan: 'Or scan the QR code on the slip with your phone.',
      codeLen: 'A code has 27 characters; this one has {0}. Please check it group by group.',
      codeLenAt: 'A code has 27 characters; this one has {0}: group {1} has the wrong length. Please check.',
      codeChar: '“{0}” in group {1} cannot be part of a code. Please check.',
      codeBad: 'The first character of group 1 is a digit from 0 to 7. Please check.',
      codeGroups: 'Your code, in the groups printed on the slip:',
      intro: 'This vote is anonymous: your identity is not recorded. Make one choice per item, then press “Check and submit” at the bottom.',
      optional: '(optional)',
      hGrade: 'Choose one grade per item.', hDims: 'Rate each person on: {0}.',
      hScore: 'Give a score from {0} to {1}.', hStep: 'Scores must be multiples of {0}.',
      hChoose: 'Choose up to {0}.', hChooseReq: 'Choose at least 1 and at most {0}.',
      fill: 'Set all unanswered to:', filled: '{0} items set to “{1}”',
      slider: 'slider',
      limit: '{0}: {1} chosen / at most {2}', limDims: 'At most {1} “{0}” per quality:', limDim: '{0} {1}/{2}', chosen: 'Chosen {0}/{1}',
      chooseMax: 'You can choose at most {0}: remove one first',
      progress: 'Done {0} / {1}',
      review: 'Check and submit',
      miss: 'Please choose one', missDims: 'Not yet chosen: {0}', pickOne: 'Please choose at least 1',
      tooMany: 'At most {0} may be chosen; you chose {1}',
      needNum: 'Please enter a number', range: 'The score must be between {0} and {1}', step: 'The score must be a multiple of {0}',
      over: 'At most {1} may be “{0}”; there are {2}. Please change some',
      overDim: 'For “{3}”, at most {1} may be “{0}”; there are {2}. Please change some',
      problems: '{0} problem(s) to fix: see the places marked ⚠',
      serverBad: 'The ballot has a problem: fix the places marked ⚠ and submit again',
      restored: 'Your unsent choices were restored',
      reviewTitle: 'Please check your choices',
      reviewHint: 'If everything is right, press “Submit”. It cannot be changed afterwards.',
      none: 'not answered', noneChosen: 'nobody chosen', chosenList: 'Chosen', pts: 'points',
      back: 'Back to edit', submit: 'Submit', sending: 'Submitting, please wait…',
      retrying: 'Unstable network, retrying… (attempt {0})',
      doneTitle: 'Submitted. Thank you!',
      doneText: 'Your ballot has been counted. To keep it anonymous this page neither keeps nor shows your choices. You may close it now.',
      e_token_used: 'This slip has already been used',
      e_token_used_: 'Each slip can vote once. If you just submitted, your ballot has been counted. Ask the staff if in doubt.',
      e_token_revoked: 'This slip has been cancelled', e_token_revoked_: 'Please ask the staff for a new slip.',
      e_not_found: 'No slip has this code', e_not_found_: 'Please check the code on your slip and type it again.',
      e_invalid_token: 'The code has a typo', e_invalid_token_: 'Please check the code on your slip and type it again.',
      e_meeting_not_open: 'Voting has not started yet', e_meeting_not_open_: 'Please wait. The ballot opens here by itself once voting starts.',
      e_meeting_closed: 'Voting has ended', e_meeting_closed_: 'This assessment is over; no more votes can be cast.',
      e_rate_limited: 'Too many attempts', e_rate_limited_: 'Too many wrong codes were tried. Please wait a minute and try again.',
      e_error: 'Something went wrong', e_error_: 'Please try again later, or ask the staff.',
      checked: 'Last checked: {0}', recheck: 'Check now', retry: 'Try again', code: 'status {0}',
      pvTitle: 'Ballot preview', pvBanner: 'Preview: what the ballot looks like. It cannot be submitted.', pvHost: 'Unit assessed at this meeting', pvBack: 'Close preview',
      pvFor: 'Ballot preview · unit assessed: {0}', pvNo: 'Preview: cannot submit',
      pvReviewHint: 'This is a preview: a voter checks this page and presses “Submit”. Nothing can be submitted or saved here.',
      e_preview: 'This form cannot be previewed yet', e_preview_: 'Deal with the points below, then preview again; or try another unit.'
    }
  };

  var lang = 'zh', big = false;
  var tok = '', typed = '', B = null, A = {}, idx = {}, marks = [], ikey = '';
  var view = '', seen = null, cur = null, epoch = 0, timer = 0, kick = null, sending = false, formY = 0, errCode = '';
  // Preview mode: the endpoint, the chosen host unit and the year's units.
  var PV = D.documentElement.getAttribute('data-preview') || '', pvHost = '', pvUnits = [], pvReady = null;

  // ---- small helpers ----
  function $(id) { return D.getElementById(id); }
  function t(k) {
    var s = T[lang][k], a = arguments;
    if (s == null) s = T.zh[k];
    return String(s == null ? k : s).replace(/\{(\d)\}/g, function (_, i) { return a[+i + 1]; });
  }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  // srv is a server message (the error or a detail) in the page's language:
  // "message" is Chinese, "message_en" English.
  function srv(o) {
    if (!o) return '';
    return lang === 'en' && o.message_en ? o.message_en : String(o.message || '');
  }
  var LS = null;
  try { LS = W.localStorage; LS.setItem('cp', '1'); LS.removeItem('cp'); } catch (e) { LS = null; }
  function get(k) { try { return LS ? LS.getItem(k) : null; } catch (e) { return null; } }
  function put(k, v) { try { if (LS) LS.setItem(k, v); } catch (e) { /* full or private mode */ } }
  function del(k) { try { if (LS) LS.removeItem(k); } catch (e) { /* ignore */ } }
  // FNV-1a: a non-cryptographic name for the slip's storage, never the code itself.
  function fnv(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return (h >>> 0).toString(16);
  }
  function kDraft() { return 'cp.draft.' + fnv(tok); }
  function kKey() { return 'cp.key.' + fnv(tok); }
  function newKey() {
    var b = new Uint8Array(16), c = W.crypto || W.msCrypto, s = '', i;
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    for (i = 0; i < 16; i++) s += (b[i] + 256).toString(16).slice(1);
    return s;
  }
  function norm(s) { return String(s).toUpperCase().replace(/[\s\-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1'); }
  function grouped(c) { return c.replace(/(.{4})(?=.)/g, '$1 '); }
  // A slip prints its code in seven groups: six of four, one of three.
  function groupAt(i) { return Math.min(Math.floor(i / 4), 6); }
  // codeProblem says what is wrong with a typed code and, where it can tell,
  // in which group of the slip: {msg, group} (group −1: it can't), or null.
  function codeProblem(raw) {
    var c = norm(raw), m = /[^0-9A-HJKMNP-TV-Z]/.exec(c), i, segs;
    if (m) return { msg: t('codeChar', m[0], groupAt(m.index) + 1), group: groupAt(m.index) };
    if (c.length !== 27) {
      // Typed in groups, as printed: the first group of the wrong length.
      segs = String(raw).replace(/^[\s\-]+|[\s\-]+$/g, '').split(/[\s\-]+/);
      if (segs.length > 1) {
        for (i = 0; i < segs.length; i++) {
          if (norm(segs[i]).length !== (i < 6 ? 4 : 3)) return { msg: t('codeLenAt', c.length, i + 1), group: i };
        }
      }
      return { msg: t('codeLen', c.length), group: -1 };
    }
    if ('01234567'.indexOf(c.charAt(0)) < 0) return { msg: t('codeBad'), group: 0 };
    return null;
  }
  // codeBoxes shows the typed code whole, in the slip's groups, large enough
  // to compare with the slip; a group named by a problem is marked.
  function codeBoxes(raw, bad) {
    var c = norm(raw), h = '', i, n, part;
    for (i = 0; i < 7; i++) {
      n = i < 6 ? 4 : 3;
      part = i < 6 ? c.slice(i * 4, i * 4 + 4) : c.slice(24); // too long shows in the last
      h += '<li' + (i === bad ? ' class="bad"' : '') + '><span class="gn">' + (i + 1) + '</span>' + esc(part) +
        '<span class="gap">' + new Array(Math.max(n - part.length, 0) + 1).join('·') + '</span></li>';
    }
    return h;
  }
  // say shows a status line; sayKey one from the table, which follows the
  // language switch.
  var saidKey = '';
  function say(msg, warn) {
    var s = $('status');
    s.textContent = msg || '';
    s.className = warn ? 'warn' : '';
    saidKey = '';
    bar();
  }
  function sayKey(key) { say(t(key)); saidKey = key; }
  function bar() { $('bar').hidden = !$('status').textContent && !$('acts').innerHTML; }
  function paint(v, main, acts) {
    view = v;
    D.documentElement.setAttribute('data-view', v);
    $('app').innerHTML = main;
    $('acts').innerHTML = acts || '';
    bar();
    W.scrollTo(0, 0);
    var h = $('h');
    if (h) try { h.focus(); } catch (e) { /* old browsers */ }
  }
  function prefs() {
    var r = D.documentElement;
    r.lang = lang === 'en' ? 'en' : 'zh-CN';
    r.classList.toggle('big', big);
    $('lang').textContent = t('other');
    $('lang').setAttribute('lang', lang === 'en' ? 'zh-CN' : 'en');
    $('big').textContent = t('big');
    $('big').setAttribute('aria-pressed', big ? 'true' : 'false');
    D.title = t(PV ? 'pvTitle' : 'title');
    if (PV) {
      $('preview-text').textContent = t('pvBanner');
      $('preview-host-label').textContent = t('pvHost');
      $('preview-back').textContent = t('pvBack');
    }
  }

  // ---- talking to the server ----
  function call(method, body, key) {
    var h = { 'Authorization': 'Ballot ' + tok, 'Accept': 'application/json' }, to = 0;
    var o = { method: method, headers: h, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
    if (body) { h['Content-Type'] = 'application/json'; h['Idempotency-Key'] = key; o.body = JSON.stringify(body); }
    if (W.AbortController) {
      var ac = new AbortController();
      o.signal = ac.signal;
      to = setTimeout(function () { ac.abort(); }, 25000);
    }
    return fetch(API, o).then(function (res) {
      return res.text().then(function (txt) {
        clearTimeout(to);
        var j = null;
        try { j = JSON.parse(txt); } catch (e) { /* a proxy's HTML page */ }
        return { status: res.status, body: j };
      });
    }, function (e) { clearTimeout(to); throw e; });
  }
  // keep resends until the server gives an answer that is not a network or
  // server failure. A POST resend carries the same Idempotency-Key, so it can
  // never count twice; a 201 on a resend means the ballot is counted.
  function keep(method, body, key, g) {
    return new Promise(function (resolve) {
      var n = 0;
      function go() {
        kick = null;
        if (g !== epoch) return;
        call(method, body, key).then(function (r) {
          if (g !== epoch) return;
          if (r.status >= 500 || r.status === 408) return later();
          if (n) say('');
          resolve(r);
        }, later);
      }
      function later() {
        if (g !== epoch) return;
        n++;
        say(t('retrying', n), true);
        kick = go;
        timer = setTimeout(go, Math.min(30, Math.pow(2, n - 1)) * (750 + Math.random() * 500));
      }
      go();
    });
  }
  function codeOf(r) {
    return r.body && r.body.error && r.body.error.code ? r.body.error.code : 'error';
  }

  // ---- flow ----
  // nav restarts when the fragment changes, or when the same slip link is
  // opened again after an answer (Chrome fires only popstate for that).
  function nav() {
    if (location.hash === seen && view !== 'done' && view !== 'error') return;
    start();
  }
  function start() {
    if (PV) return pvStart();
    seen = location.hash;
    epoch++;
    clearTimeout(timer);
    kick = null; sending = false; B = null; A = {}; marks = []; ikey = '';
    say('');
    var h = location.hash.replace(/^#/, '');
    try { h = decodeURIComponent(h); } catch (e) { /* keep as is */ }
    if (!h) { tok = ''; return showCode(); }
    tok = norm(h);
    typed = grouped(tok);
    var p = codeProblem(tok);
    if (p) return showError('invalid_token', p.msg, p.group);
    showLoading();
    load();
  }
  function load() {
    var g = epoch;
    keep('GET', null, '', g).then(function (r) {
      if (r.status === 200 && r.body && r.body.sections) {
        B = r.body;
        restore();
        return showForm();
      }
      var c = codeOf(r);
      // Our own earlier cast may have been counted while the answer got lost:
      // resending with the same key tells (201 means it was ours).
      if (c === 'token_used' && get(kKey())) return send(g, get(kKey()), true);
      fail(c, r);
    });
  }
  function fail(c, r) {
    say('');
    sending = false;
    if (c === 'token_used' || c === 'token_revoked' || c === 'meeting_closed') { del(kDraft()); del(kKey()); }
    if (c === 'meeting_not_open') {
      var g = epoch;
      if (view === 'error' && errCode === c) $('checked').textContent = t('checked', now());
      else showError(c);
      timer = setTimeout(function () { if (g === epoch) load(); }, 10000);
      return;
    }
    if (c === 'unauthorized') return showCode();
    if (T.zh['e_' + c] == null) {
      var m = r && r.body && r.body.error ? srv(r.body.error) : '';
      return showError('error', m || t('code', r ? r.status : '?'));
    }
    showError(c);
  }
  function now() { return new Date().toTimeString().slice(0, 8); }
  function restore() {
    idx = {};
    B.sections.forEach(function (s, i) { idx[s.code] = i; });
    var d = null;
    try { d = JSON.parse(get(kDraft()) || 'null'); } catch (e) { d = null; }
    A = {};
    if (!d || typeof d !== 'object') return;
    var any = false;
    // keep only what still fits the form
    B.sections.forEach(function (s) {
      var v = d[s.code];
      if (!v) return;
      if (s.scale.type === 'choose') {
        var l = [];
        s.subjects.forEach(function (j) { if (v.indexOf && v.indexOf(j.code) >= 0 && l.length < s.scale.max) l.push(j.code); });
        if (l.length) { A[s.code] = l; any = true; }
        return;
      }
      s.subjects.forEach(function (j) {
        dims(s).forEach(function (dm) {
          var x = dm ? (v[j.code] && v[j.code][dm]) : v[j.code];
          if (x == null || x === '') return;
          if (s.scale.type === 'grade' && !s.scale.options.some(function (o) { return o.label === x; })) return;
          if (s.scale.type === 'score' && typeof x !== 'number') return;
          setv(s, j.code, dm, x);
          any = true;
        });
      });
    });
    if (any) sayKey('restored');
  }
  function save() { if (!PV) put(kDraft(), JSON.stringify(A)); }
  function submit() {
    if (sending || PV) return;
    ikey = get(kKey()) || ikey || newKey();
    put(kKey(), ikey);
    sending = true;
    showReview();
    say(t('sending'));
    send(epoch, ikey, false);
  }
  function send(g, key, resend) {
    keep('POST', { answers: resend ? {} : build() }, key, g).then(function (r) {
      if (r.status === 201) return showDone();
      var c = codeOf(r);
      if (c === 'invalid_ballot' && !resend) {
        sending = false;
        marks = serverMarks(r.body.error.details);
        showForm();
        mark();
        say(marks.length ? t('serverBad') : srv(r.body.error), true);
        return jump();
      }
      fail(c, r);
    });
  }
  function build() {
    var out = {};
    B.sections.forEach(function (s) {
      var v = A[s.code];
      if (!v) return;
      if (s.scale.type === 'choose') { if (v.length) out[s.code] = v.slice(); return; }
      var m = {}, any = false;
      s.subjects.forEach(function (j) {
        var x = v[j.code];
        if (x == null || x === '') return;
        if (typeof x === 'object') {
          var o = {}, k = false;
          for (var d in x) if (x[d] != null && x[d] !== '') { o[d] = x[d]; k = true; }
          if (!k) return;
          x = o;
        }
        m[j.code] = x;
        any = true;
      });
      if (any) out[s.code] = m;
    });
    return out;
  }

  // ---- preview (console) ----
  // pvStart loads the form and the year's units once (to know whether the
  // form rates the host, and to offer the units), then the ballot.
  function pvStart() {
    epoch++;
    clearTimeout(timer);
    kick = null; sending = false; B = null; A = {}; marks = [];
    say('');
    showLoading();
    var g = epoch;
    if (!pvReady) pvReady = pvSetup();
    pvReady.then(function () { if (g === epoch) pvLoad(g); });
  }
  function pvGet(url) {
    return fetch(url, { headers: { 'Accept': 'application/json' }, cache: 'no-store', credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) {
        location.href = '/console/login?next=' + encodeURIComponent(location.pathname + location.search);
        return new Promise(function () { /* leaving */ });
      }
      return res.text().then(function (txt) {
        var j = null;
        try { j = JSON.parse(txt); } catch (e) { /* not JSON */ }
        return { status: res.status, body: j };
      });
    });
  }
  function pvSetup() {
    var h = D.documentElement;
    try { pvHost = new URLSearchParams(location.search).get('host') || ''; } catch (e) { pvHost = ''; }
    var fail = function () { return { status: 0, body: null }; };
    return Promise.all([pvGet(h.getAttribute('data-form')).catch(fail), pvGet(h.getAttribute('data-units')).catch(fail)]).then(function (rs) {
      var f = rs[0].status === 200 && rs[0].body ? rs[0].body : null;
      pvUnits = rs[1].status === 200 && Array.isArray(rs[1].body) ? rs[1].body : [];
      // The host matters to host and people:host, and to 单位互评 (a unit
      // does not rate itself).
      var uses = !!f && (f.sections || []).some(function (s) {
        return s.purpose === 'mutual' || (s.subjects || []).some(function (x) { return x === 'host' || x === 'people:host'; });
      });
      var sel = $('preview-host');
      sel.textContent = '';
      pvUnits.forEach(function (u) {
        var o = D.createElement('option');
        o.value = u.code;
        o.textContent = u.name;
        sel.appendChild(o);
      });
      if (uses && !pvHost && pvUnits.length) pvHost = pvUnits[0].code;
      if (pvHost && !pvUnits.some(function (u) { return u.code === pvHost; })) {
        var o = D.createElement('option');
        o.value = pvHost;
        o.textContent = pvHost;
        sel.appendChild(o);
      }
      sel.value = pvHost;
      $('preview-host-box').hidden = !uses && !pvHost;
    });
  }
  function pvLoad(g) {
    pvGet(PV + (pvHost ? '?host=' + encodeURIComponent(pvHost) : '')).then(function (r) {
      if (g !== epoch) return;
      if (r.status === 200 && r.body && r.body.sections) {
        B = r.body;
        idx = {};
        B.sections.forEach(function (s, i) { idx[s.code] = i; });
        A = {};
        return showForm();
      }
      pvError(r);
    }, function () { if (g === epoch) showError('error', ''); });
  }
  function pvError(r) {
    var e = r.body && r.body.error ? r.body.error : null;
    if (!e) return showError('error', t('code', r.status));
    cur = function () { pvError(r); };
    errCode = 'preview';
    var lines = [], seen = {};
    [e].concat(e.details || []).forEach(function (d) {
      var m = srv(d); // the message only: never a field path
      if (!m || seen[m]) return;
      seen[m] = true;
      lines.push('<p class="msg pv-msg">⚠ ' + esc(m) + '</p>');
    });
    // With several details the headline only counts them: show the details.
    if (lines.length > 2) lines.shift();
    paint('error', '<div id="error" data-code="preview"><h1 id="h" tabindex="-1">' + t('e_preview') + '</h1><p>' + t('e_preview_') + '</p>' + lines.join('') + '</div>', '');
  }
  function pvMeta() {
    var u = pvUnits.filter(function (x) { return x.code === pvHost; })[0];
    return u ? t('pvFor', u.name) : t('pvTitle');
  }
  function pvPick() {
    pvHost = $('preview-host').value;
    try { history.replaceState(null, '', '?host=' + encodeURIComponent(pvHost)); } catch (e) { /* keep the address */ }
    pvStart();
  }

  // ---- answers ----
  function dims(s) { return s.dimensions && s.dimensions.length ? s.dimensions : ['']; }
  function val(s, j, d) {
    var m = A[s.code], v = m && m[j];
    if (!d) return v;
    return v && typeof v === 'object' ? v[d] : undefined;
  }
  function setv(s, j, d, x) {
    var m = A[s.code] || (A[s.code] = {});
    if (d) {
      var o = m[j] && typeof m[j] === 'object' ? m[j] : (m[j] = {});
      if (x == null) delete o[d]; else o[d] = x;
    } else if (x == null) delete m[j];
    else m[j] = x;
  }
  function allowed(s, l) {
    return l.max_count != null ? l.max_count : Math.floor(l.max_share * s.subjects.length + 0.5);
  }
  function limState(s) {
    var out = [];
    if (s.scale.type !== 'grade') return out;
    (s.limits || []).forEach(function (l, i) {
      var max = allowed(s, l);
      dims(s).forEach(function (d) {
        var n = 0;
        s.subjects.forEach(function (j) { if (l.options.indexOf(val(s, j.code, d)) >= 0) n++; });
        out.push({ i: i, d: d, o: l.options.join('/'), n: n, max: max });
      });
    });
    return out;
  }
  function limited(s, label) {
    return (s.limits || []).some(function (l) { return l.options.indexOf(label) >= 0; });
  }
  function count() {
    var done = 0, all = 0;
    B.sections.forEach(function (s) {
      if (!s.required) return;
      if (s.scale.type === 'choose') { all++; if ((A[s.code] || []).length) done++; return; }
      s.subjects.forEach(function (j) {
        dims(s).forEach(function (d) {
          var v = val(s, j.code, d);
          all++;
          if (v != null && v !== '') done++;
        });
      });
    });
    return [done, all];
  }
  function P(si, ji) {
    var a = [].slice.call(arguments, 2);
    return { si: si, ji: ji, m: function () { return t.apply(null, a); } };
  }
  function scoreProblem(c, v) {
    if (typeof v !== 'number' || isNaN(v)) return ['needNum'];
    if (v < c.min || v > c.max) return ['range', c.min, c.max];
    var q = (v - c.min) / (c.step || 1);
    if (Math.abs(q - Math.round(q)) > 1e-9) return ['step', c.step || 1];
    return null;
  }
  // check applies the form's rules, as the server will; problems come in page order.
  function check() {
    var out = [];
    B.sections.forEach(function (s, si) {
      var sc = s.scale;
      if (sc.type === 'choose') {
        var n = (A[s.code] || []).length;
        if (s.required && !n) out.push(P(si, -1, 'pickOne'));
        if (n > sc.max) out.push(P(si, -1, 'tooMany', sc.max, n));
        return;
      }
      limState(s).forEach(function (x) {
        if (x.n > x.max) out.push(P(si, -1, x.d ? 'overDim' : 'over', x.o, x.max, x.n, x.d));
      });
      s.subjects.forEach(function (j, ji) {
        var miss = [], bad = null;
        dims(s).forEach(function (d) {
          var v = val(s, j.code, d);
          if (v == null || v === '') miss.push(d);
          else if (sc.type === 'score' && !bad) bad = scoreProblem(sc, v);
        });
        if (s.required && miss.length) out.push(miss[0] ? P(si, ji, 'missDims', miss.join('、')) : P(si, ji, 'miss'));
        if (bad) out.push(P.apply(null, [si, ji].concat(bad)));
      });
    });
    return out;
  }
  function serverMarks(details) {
    var out = [];
    (details || []).forEach(function (d) {
      var si = idx[d.section];
      if (si == null) return;
      var s = B.sections[si], ji = -1;
      if (s.scale.type !== 'choose') s.subjects.forEach(function (j, k) { if (j.code === d.subject) ji = k; });
      out.push({ si: si, ji: ji, m: function () { return srv(d); } });
    });
    return out.sort(function (a, b) { return a.si - b.si || a.ji - b.ji; });
  }
  function mark() {
    var l = D.querySelectorAll('#ballot .bad'), i;
    for (i = 0; i < l.length; i++) l[i].classList.remove('bad');
    l = D.querySelectorAll('#ballot .msg');
    for (i = 0; i < l.length; i++) { l[i].hidden = true; l[i].textContent = ''; }
    marks.forEach(function (p) {
      var sec = p.ji < 0, box = $(sec ? 's' + p.si : 'i' + p.si + '-' + p.ji), m = $(sec ? 'm' + p.si : 'e' + p.si + '-' + p.ji);
      if (!box || !m) return;
      box.classList.add('bad');
      m.textContent = (m.textContent ? m.textContent + '；' : '⚠ ') + p.m();
      m.hidden = false;
    });
  }
  function jump() {
    var p = marks[0];
    if (!p) return;
    var box = $(p.ji < 0 ? 's' + p.si : 'i' + p.si + '-' + p.ji);
    if (!box) return;
    // focus the card, not a choice: a focus ring on "好" could pass for a choice
    box.setAttribute('tabindex', '-1');
    try { box.focus(); } catch (e) { /* ignore */ }
    box.scrollIntoView({ block: 'center' });
  }

  // ---- views ----
  function showCode() {
    cur = showCode;
    paint('code', '<h1 id="h" tabindex="-1">' + t('codeTitle') + '</h1>' + codeForm(), '');
  }
  function codeForm(bad) {
    return '<form id="code-form" novalidate><label for="code">' + t('codeLabel') + '</label>' +
      '<input id="code" name="code" type="text" autocomplete="off" autocorrect="off" autocapitalize="characters" spellcheck="false" maxlength="48" aria-describedby="code-hint code-msg" value="' + esc(typed) + '">' +
      '<p class="hint" id="code-hint">' + t('codeHint') + ' <span id="code-n">' + t('codeCount', norm(typed).length) + '</span></p>' +
      '<p class="hint" id="code-groups-label">' + t('codeGroups') + '</p><ol id="code-groups" aria-labelledby="code-groups-label">' + codeBoxes(typed, bad) + '</ol>' +
      '<p class="msg" id="code-msg" role="alert" hidden></p>' +
      '<button class="btn pri wide" id="code-go" type="submit">' + t('codeGo') + '</button></form>' +
      '<p class="hint">' + t('codeScan') + '</p>';
  }
  function showLoading() {
    cur = showLoading;
    paint('loading', '<p id="loading" class="intro">' + t('loading') + '</p>', '');
  }
  function showError(code, msg, bad) {
    cur = function () { showError(code, msg, bad); };
    errCode = code;
    var h = '<div id="error" data-code="' + esc(code) + '"><h1 id="h" tabindex="-1">' + t('e_' + code) + '</h1><p>' + t('e_' + code + '_') + '</p>';
    if (msg) h += '<p class="msg">⚠ ' + esc(msg) + '</p>';
    if (code === 'not_found' || code === 'invalid_token') h += codeForm(bad);
    if (code === 'meeting_not_open') h += '<p class="hint" id="checked">' + t('checked', now()) + '</p><button class="btn" id="recheck" type="button">' + t('recheck') + '</button>';
    if (code === 'rate_limited' || code === 'error') h += '<button class="btn pri" id="retry" type="button">' + t('retry') + '</button>';
    paint('error', h + '</div>', '');
  }
  function showDone() {
    del(kDraft()); del(kKey());
    A = {}; B = null; marks = []; ikey = ''; sending = false;
    say('');
    cur = showDone;
    paint('done', '<div id="done"><p class="tick" aria-hidden="true">✓</p><h1 id="h" tabindex="-1">' + t('doneTitle') + '</h1><p>' + t('doneText') + '</p></div>', '');
  }
  function hint(s) {
    var c = s.scale;
    if (c.type === 'choose') return t(s.required ? 'hChooseReq' : 'hChoose', c.max);
    if (c.type === 'score') return t('hScore', c.min, c.max) + (c.step && c.step !== 1 ? t('hStep', c.step) : '');
    return dims(s)[0] ? t('hDims', s.dimensions.join('、')) : t('hGrade');
  }
  function opts(s, name, v) {
    var h = '<div class="opts">';
    s.scale.options.forEach(function (o) {
      h += '<label class="opt"><input type="radio" name="' + esc(name) + '" value="' + esc(o.label) + '"' + (v === o.label ? ' checked' : '') + '><span>' + esc(o.label) + '</span></label>';
    });
    return h + '</div>';
  }
  function gradeItem(s, si, j, ji) {
    var id = si + '-' + ji, h = '<fieldset class="item' + (dims(s)[0] ? '' : ' flat') + '" id="i' + id + '" data-subject="' + esc(j.code) + '"><legend>' + esc(j.name) + '</legend>';
    if (dims(s)[0]) {
      s.dimensions.forEach(function (d) {
        h += '<div class="row" data-dim="' + esc(d) + '" role="radiogroup" aria-label="' + esc(j.name + ' ' + d) + '"><span class="dn" aria-hidden="true">' + esc(d) + '</span>' + opts(s, s.code + '/' + j.code + '/' + d, val(s, j.code, d)) + '</div>';
      });
    } else h += opts(s, s.code + '/' + j.code, val(s, j.code, ''));
    return h + '<p class="msg" id="e' + id + '" hidden></p></fieldset>';
  }
  function scoreItem(s, si, j, ji) {
    var c = s.scale, st = c.step || 1, id = si + '-' + ji, v = val(s, j.code, ''), has = typeof v === 'number';
    var nm = esc(s.code + '/' + j.code), mid = c.min + Math.round((c.max - c.min) / 2 / st) * st;
    var at = ' min="' + c.min + '" max="' + c.max + '" step="' + st + '"';
    return '<div class="item score" id="i' + id + '" data-subject="' + esc(j.code) + '"><label class="nm" for="n' + id + '">' + esc(j.name) + '</label>' +
      '<div class="sc"><input type="number" id="n' + id + '" name="' + nm + '"' + at + ' inputmode="' + (st % 1 ? 'decimal' : 'numeric') + '" placeholder="' + c.min + '–' + c.max + '" value="' + (has ? v : '') + '" aria-describedby="e' + id + ' d' + si + '">' +
      '<input type="range" data-for="' + nm + '"' + at + ' value="' + (has ? v : mid) + '"' + (has ? '' : ' class="unset"') + ' tabindex="-1" aria-hidden="true"></div>' +
      '<p class="msg" id="e' + id + '" hidden></p></div>';
  }
  function renderForm() {
    // The voter's heading is the meeting they sit in (城关镇…大会); the form's
    // generic title and their group go below. A preview has no meeting yet.
    var head = PV ? B.group.form_title || B.meeting.title : B.meeting.title || B.group.form_title;
    var meta = PV ? pvMeta() : B.group.name + (B.group.form_title ? ' · ' + B.group.form_title : '');
    var h = ['<h1 id="h" tabindex="-1">', esc(head), '</h1><p class="meta">', esc(meta), '</p><p class="intro">', t('intro'), '</p><form id="ballot" novalidate>'];
    B.sections.forEach(function (s, si) {
      var ty = s.scale.type;
      h.push('<section class="sec" id="s', si, '" data-section="', esc(s.code), '" data-type="', esc(ty), '" aria-labelledby="t', si, '"><h2 id="t', si, '">', esc(s.title),
        s.required ? '' : ' <small>' + t('optional') + '</small>', '</h2><p class="hint" id="d', si, '">', esc(hint(s)), '</p><div class="lims" id="l', si, '" aria-live="polite"></div><p class="msg" id="m', si, '" hidden></p>');
      if (ty === 'grade' && (s.subjects.length > 1 || dims(s)[0])) {
        var f = '';
        s.scale.options.forEach(function (o) {
          if (!limited(s, o.label)) f += '<button type="button" class="btn sm" data-fill="' + esc(o.label) + '" data-s="' + si + '">' + esc(o.label) + '</button>';
        });
        if (f) h.push('<div class="fill"><span>', t('fill'), '</span> ', f, '</div>');
      }
      if (ty === 'choose') {
        var on = A[s.code] || [];
        h.push('<fieldset class="item choose"><legend class="vh">', esc(s.title), '</legend>');
        s.subjects.forEach(function (j) {
          h.push('<label class="chk" data-subject="', esc(j.code), '"><input type="checkbox" name="', esc(s.code + '/' + j.code), '" value="', esc(j.code), '"', on.indexOf(j.code) >= 0 ? ' checked' : '', '><span>', esc(j.name), '</span></label>');
        });
        h.push('</fieldset>');
      } else {
        s.subjects.forEach(function (j, ji) { h.push(ty === 'score' ? scoreItem(s, si, j, ji) : gradeItem(s, si, j, ji)); });
      }
      h.push('</section>');
    });
    return h.join('') + '</form>';
  }
  function showForm() {
    cur = function () { var y = W.pageYOffset; showForm(); mark(); W.scrollTo(0, y); };
    paint('form', renderForm(), '<div class="prog"><span id="progress"></span><progress id="pbar" max="1" value="0"></progress></div><button class="btn pri" id="review" type="button">' + t('review') + '</button>');
    B.sections.forEach(function (s, si) { lims(si); });
    progress();
    fitOpts();
  }
  // fitOpts lays each row of grade buttons out as one even row, or, where a
  // label would not fit whole, two columns (2 × 2), or one: a grade is never
  // broken inside ("基本称职"), and the buttons of a row are of one size.
  // Measured, not guessed: labels, screens and the 大字 mode all vary.
  function fitOpts() {
    var rows = D.querySelectorAll('.opts'), i, j, fits = function (o) {
      var sp = o.querySelectorAll('span');
      for (j = 0; j < sp.length; j++) if (sp[j].scrollWidth > sp[j].clientWidth + 1) return false;
      return true;
    };
    for (i = 0; i < rows.length; i++) rows[i].className = 'opts';
    var tight = [];
    for (i = 0; i < rows.length; i++) if (!fits(rows[i])) tight.push(rows[i]);
    tight.forEach(function (o) { o.className = 'opts two'; });
    tight.forEach(function (o) { if (!fits(o)) o.className = 'opts one'; });
  }
  function lims(si) {
    var s = B.sections[si], el = $('l' + si), h = '';
    if (s.scale.type === 'choose') {
      var n = (A[s.code] || []).length;
      h = '<span class="chip' + (n > s.scale.max ? ' over' : '') + '" data-chosen="' + n + '">' + t('chosen', n, s.scale.max) + '</span>';
    } else {
      limState(s).forEach(function (x) {
        var over = x.n > x.max;
        // with dimensions: one lead "“优秀”每项最多 3 个：" and a short chip per dimension
        if (x.d && x.d === s.dimensions[0]) h += '<span class="lt">' + esc(t('limDims', x.o, x.max)) + '</span>';
        h += '<span class="chip' + (over ? ' over' : '') + '" data-limit="' + x.i + '" data-dim="' + esc(x.d) + '">' + (over ? '⚠ ' : '') +
          esc(x.d ? t('limDim', x.d, x.n, x.max) : t('limit', x.o, x.n, x.max)) + '</span>';
      });
    }
    if (el && el.getAttribute('data-h') !== h) { el.innerHTML = h; el.setAttribute('data-h', h); }
  }
  function progress() {
    var c = count(), el = $('progress'), b = $('pbar');
    if (!el) return;
    el.textContent = c[1] ? t('progress', c[0], c[1]) : '';
    el.setAttribute('data-done', c[0]);
    el.setAttribute('data-total', c[1]);
    b.max = c[1] || 1;
    b.value = c[0];
  }
  function showReview() {
    cur = showReview;
    var h = ['<div id="summary"><h1 id="h" tabindex="-1">', t('reviewTitle'), '</h1><p class="intro">', t(PV ? 'pvReviewHint' : 'reviewHint'), '</p>'];
    B.sections.forEach(function (s) {
      var ty = s.scale.type;
      h.push('<section class="sec" data-section="', esc(s.code), '"><h2>', esc(s.title), '</h2><dl>');
      function names(f) { return s.subjects.filter(f).map(function (j) { return j.name; }); }
      if (ty === 'choose') {
        var on = A[s.code] || [], l = names(function (j) { return on.indexOf(j.code) >= 0; });
        h.push('<dt>', t('chosenList'), '</dt><dd>', l.length ? esc(l.join('、')) : t('noneChosen'), '</dd>');
      } else if (ty === 'grade' && !dims(s)[0] && s.subjects.length > 6) {
        // a long list reads better grouped by grade
        s.scale.options.concat([{ label: null }]).forEach(function (o) {
          var l = names(function (j) { var v = val(s, j.code, ''); return o.label === null ? v == null : v === o.label; });
          if (l.length) h.push('<dt>', o.label === null ? t('none') : esc(o.label), '（', l.length, '）</dt><dd>', esc(l.join('、')), '</dd>');
        });
      } else {
        s.subjects.forEach(function (j) {
          var v = val(s, j.code, ''), x;
          if (dims(s)[0]) x = s.dimensions.map(function (d) { var y = val(s, j.code, d); return d + ' ' + (y == null ? t('none') : y); }).join('　');
          else x = v == null || v === '' ? t('none') : ty === 'score' ? v + ' ' + t('pts') : v;
          h.push('<dt>', esc(j.name), '</dt><dd>', esc(x), '</dd>');
        });
      }
      h.push('</dl></section>');
    });
    var dis = sending ? ' disabled' : '';
    paint(sending ? 'sending' : 'review', h.join('') + '</div>',
      '<button class="btn" id="back" type="button"' + dis + '>' + t('back') + '</button><button class="btn pri" id="submit" type="button"' + (PV ? ' disabled' : dis) + '>' + t(PV ? 'pvNo' : sending ? 'sending' : 'submit') + '</button>');
  }

  // ---- events ----
  // changed refreshes what depends on the answers; msg (a warning) replaces the status line.
  function changed(si, msg) {
    save();
    lims(si);
    progress();
    if (marks.length) { marks = check(); mark(); }
    if (msg) say(msg, true);
    else say(marks.length ? t('problems', marks.length) : '', marks.length > 0);
  }
  function onInput(e) {
    var el = e.target, nm = el.name || el.getAttribute('data-for');
    if (view !== 'form' || !nm || !B || el.id === 'code') return;
    var p = nm.split('/'), si = idx[p[0]], s = B.sections[si], d = p.slice(2).join('/');
    if (!s) return;
    var ch = e.type === 'change', msg = '';
    if (el.type === 'checkbox') {
      if (!ch) return;
      var l = A[s.code] || (A[s.code] = []), at = l.indexOf(p[1]);
      if (el.checked && at < 0) {
        if (l.length >= s.scale.max) { el.checked = false; return say(t('chooseMax', s.scale.max), true); }
        l.push(p[1]);
      } else if (!el.checked && at >= 0) l.splice(at, 1);
    } else if (el.type === 'radio') {
      if (!ch) return;
      setv(s, p[1], d, el.value);
      var over = limState(s).filter(function (x) { return x.n > x.max && x.d === d && s.limits[x.i].options.indexOf(el.value) >= 0; })[0];
      if (over) msg = t(over.d ? 'overDim' : 'over', over.o, over.max, over.n, over.d);
    } else if (el.type === 'range') {
      el.className = '';
      el.previousSibling.value = el.value;
      setv(s, p[1], '', +el.value);
    } else if (el.type === 'number') {
      var raw = el.value, x = parseFloat(raw), rg = el.nextSibling;
      if (raw === '') setv(s, p[1], '', el.validity && el.validity.badInput ? '?' : null);
      else setv(s, p[1], '', isNaN(x) ? '?' : x);
      if (!isNaN(x)) { rg.value = x; rg.className = ''; }
      if (!ch) { save(); progress(); return; } // judge the number once typing ends
    }
    changed(si, msg);
  }
  function fill(si, label) {
    var s = B.sections[si], n = 0;
    s.subjects.forEach(function (j) {
      dims(s).forEach(function (d) {
        if (val(s, j.code, d) == null) { setv(s, j.code, d, label); n++; }
      });
    });
    var ins = $('s' + si).querySelectorAll('input[type=radio]');
    for (var i = 0; i < ins.length; i++) {
      var p = ins[i].name.split('/');
      if (ins[i].value === label && val(s, p[1], p.slice(2).join('/')) === label) ins[i].checked = true;
    }
    changed(si);
    if (!marks.length) say(t('filled', n, label));
  }
  function onClick(e) {
    var el = e.target;
    // a tap on the slider's thumb moves nothing, yet means "this score"
    if (el.type === 'range' && el.className === 'unset') return onInput({ target: el, type: 'change' });
    while (el && el.tagName !== 'BUTTON') el = el.parentNode;
    if (!el || el.disabled) return;
    var id = el.id;
    if (id === 'lang') {
      lang = lang === 'en' ? 'zh' : 'en';
      put('cp.lang', lang);
      prefs();
      var key = saidKey;
      if (cur) cur();
      if (key) sayKey(key);
    } else if (id === 'big') {
      big = !big;
      put('cp.big', big ? '1' : '0');
      prefs();
      if (view === 'form') fitOpts();
    } else if (id === 'review') {
      marks = check();
      mark();
      if (marks.length) { say(t('problems', marks.length), true); return jump(); }
      say('');
      formY = W.pageYOffset;
      showReview();
    } else if (id === 'back') {
      showForm();
      W.scrollTo(0, formY);
    } else if (id === 'submit') {
      submit();
    } else if (id === 'retry' || id === 'recheck') {
      if (id === 'recheck') { epoch++; clearTimeout(timer); say(''); load(); } else start();
    } else if (el.hasAttribute('data-fill')) {
      fill(+el.getAttribute('data-s'), el.getAttribute('data-fill'));
    }
  }
  function onSubmit(e) {
    e.preventDefault();
    if (e.target.id !== 'code-form') return;
    var inp = $('code'), c = norm(inp.value), p = codeProblem(inp.value), m = $('code-msg');
    typed = inp.value;
    if (p) {
      m.textContent = '⚠ ' + p.msg;
      m.hidden = false;
      $('code-groups').innerHTML = codeBoxes(inp.value, p.group);
      return inp.focus();
    }
    if (location.hash.replace(/^#/, '') === c) start();
    else location.hash = c; // hashchange starts over with the new code
  }

  lang = get('cp.lang') === 'en' ? 'en' : 'zh';
  big = get('cp.big') === '1';
  prefs();
  D.addEventListener('click', onClick);
  D.addEventListener('submit', onSubmit);
  D.addEventListener('change', onInput);
  D.addEventListener('input', function (e) {
    if (e.target.id === 'code') {
      $('code-n').textContent = t('codeCount', norm(e.target.value).length);
      $('code-groups').innerHTML = codeBoxes(e.target.value, -1);
      return;
    }
    onInput(e);
  });
  if (PV) $('preview-host').addEventListener('change', pvPick);
  W.addEventListener('resize', function () { if (view === 'form') fitOpts(); });
  W.addEventListener('hashchange', nav);
  W.addEventListener('popstate', nav);
  W.addEventListener('online', function () { if (kick) { clearTimeout(timer); kick(); } });
  start();
})();
