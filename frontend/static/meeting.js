/* A meeting's run page: turnout per voter group, live from the event
 * stream (never a tally while open), slip printing, batches (第 1 批, 第 2
 * 批 … as printed on their slips) with void, 开始测评 and 结束测评 with a
 * confirmation that gives the numbers, the big-screen link, and the sealed
 * count after close. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'run.meetings': 'Meetings', 'run.status': 'Voting', 'run.group': 'Voter group', 'run.issued': 'Slips issued', 'run.cast': 'Cast',
    'run.unused': 'Not yet used', 'run.voided': 'Voided', 'run.total': 'Total', 'run.open': 'Open voting', 'run.close': 'Close voting and seal the tally',
    'run.openHint': 'While voting is open only turnout is shown; the tally is sealed at close and published then.',
    'run.revoked': '{0} more slips were voided and do not count as issued.',
    'run.sealed': 'Tally sealed', 'run.ballots': 'Ballots', 'run.digest': 'Sealed digest', 'run.check': 'Live tally check',
    'run.tally': 'Open and print the tally sheet', 'run.print': 'Print slips', 'run.count': 'Slips', 'run.format': 'Format',
    'run.formatHTML': 'Print page (A4)', 'run.formatPDF': 'PDF file',
    'run.printHint': 'The slips open in a new window and their codes are shown only once: print them at once, cut along the dashed lines and hand them out at random.',
    'run.printGo': 'Create and print', 'run.batches': 'Batches of slips issued', 'run.batch': 'Batch', 'run.issuedAt': 'Issued at', 'run.batchState': 'State',
    'run.batchesHint': 'Every slip shows its batch (e.g. "batch 2"). If a batch is lost or was never printed, void its unused slips.',
    'run.more': 'More', 'run.screen': 'Hall big screen', 'run.screenHint': 'Makes a read-only link: open it on the hall\'s projector PC to show turnout, no sign-in needed. It expires by itself, and a link no longer needed can be revoked at any time.',
    'run.screenLinks': 'Big-screen links made', 'run.screenId': 'Link', 'run.screenBy': 'Made by', 'run.screenAt': 'Made at', 'run.screenUntil': 'Valid until',
    'run.screenShows': 'Results', 'run.screenShowsYes': 'shown after close', 'run.screenShowsNo': 'not shown',
    'screen.valid': 'valid', 'screen.expired': 'expired', 'screen.revoked': 'revoked by {0}', 'screen.revoke': 'Revoke…', 'screen.new': 'new',
    'confirm.screenTitle': 'Revoke this big-screen link?', 'confirm.screenYes': 'Revoke the link',
    'confirm.screenText': 'Link {0} (made by {1} at {2}) stops working: a screen showing it goes blank within a few seconds, and the link cannot be opened again. This cannot be undone.',
    'screen.revoked.done': 'The link is revoked.',
    'run.screenHours': 'Valid for (hours)', 'run.screenResults': 'Show the result on the big screen after close', 'run.screenMake': 'Make the big-screen link',
    'run.screenOpen': 'Open the big screen (valid {0} hours, no sign-in)', 'run.screenBadHours': 'Enter a whole number of hours from 1 to 48.',
    'run.paper': 'Enter paper ballots', 'run.blank': 'Print the blank paper form: {0}', 'run.blankHint': 'Attendees without a phone: print the blank paper form (same items and order as the ballot on the phone) and hand it out with the QR slip.', 'run.cancel': 'Cancel', 'run.back': 'Back to the meeting',
    'status.pending': 'Not opened', 'status.open': 'Open', 'status.closed': 'Closed',
    'run.actions': 'Actions', 'live.on': '● live', 'live.off': 'reconnecting…', 'live.connecting': 'connecting…',
    'kind.work_report': 'Work-report meeting', 'kind.conference': 'County leading-cadres conference', 'kind.social': 'Social evaluation',
    'kind.group': 'Assessment-group evaluation', 'kind.other': 'Other',
    'confirm.openTitle': 'Open voting?', 'confirm.openText': 'Slips issued for this meeting can be used from now on. The meeting\'s groups and forms can no longer change. While voting is open only turnout is shown, to organizers too.',
    'confirm.openYes': 'Open voting', 'confirm.noSlips': 'No slips have been printed yet.',
    'confirm.closeTitle': 'Close voting and seal the tally?', 'confirm.closeText': 'Nobody can vote any more; unused slips become void. The ballots in the database are counted again and the tally sealed with its digest. This cannot be undone.',
    'confirm.closeNumbers': 'So far {0}/{1} slips have been cast ({2}%); on closing, the other {3} slips become void.',
    'confirm.closeYes': 'Close and seal',
    'confirm.revokeTitle': 'Void this batch?', 'confirm.revokeYes': 'Void unused slips',
    'confirm.revokeText': 'The unused slips of batch {0} ({1}, {2} slips, issued {3}) become void: scanning them no longer lets anyone vote. Ballots already cast still count. This cannot be undone.',
    'batch.none': 'No slips issued yet.', 'batch.ok': 'valid', 'batch.ended': 'meeting ended: unused slips voided', 'batch.revoked': 'voided', 'batch.revoke': 'Void…', 'batch.n': 'batch {0}',
    'batch.voided': '{0} unused slips voided.',
    'check.match': 'match: the live count equals the recount of the ballots in the database', 'check.mismatch': 'mismatch: the recount of the ballots in the database is what was sealed',
    'check.unavailable': 'not available: the recount of the ballots in the database is what was sealed',
    'check.partial': 'partial match: the live count this server could see equals the recount; a few ballots were still held by other servers; the recount was sealed',
    'act.opened': 'Voting is open.', 'act.closed': 'Voting closed; the tally is sealed.'
  });
  var L = C.pick;
  var tt = C.t;
  var KIND = { work_report: '工作报告大会', conference: '全县领导干部大会', social: '社会评价', group: '考核组评价', other: '其他' };
  var STATUS = { pending: '未开始', open: '进行中', closed: '已结束' };
  var CHECK = { match: '一致：实时计数与数据库中的选票重新清点结果相同', mismatch: '不一致：已按数据库中的选票重新清点的结果封存', unavailable: '无法比对：已按数据库中的选票重新清点的结果封存', partial: '部分一致：可比对的实时计数与重新清点结果相同，其余少量选票的计数暂存在其他服务器上，已按数据库中的选票重新清点的结果封存' };
  var MIN = 50; // the rules text: units of 50 or more, at least 50 participants

  var root, base, meeting, canRun = false, host = null, status = '', issued = -1, es = null, turnout = null;
  function $(id) { return D.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function enc(s) { return encodeURIComponent(s); }
  function msg(id, text, bad) { var m = $(id); m.textContent = text || ''; m.className = 'msg' + (bad ? ' bad' : ' ok'); }

  // confirmDo asks in a dialog that says what will happen; fn runs on yes.
  // opt.danger makes the yes button red (an act that cannot be undone);
  // opt.numbers and opt.warn are shown above the text.
  var pending = null;
  function confirmDo(title, text, yes, fn, opt) {
    opt = opt || {};
    var dlg = $('confirm');
    if (!dlg.showModal) {
      if (window.confirm([title, opt.warn, opt.numbers, text].filter(Boolean).join('\n\n'))) fn();
      return;
    }
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-warn').textContent = opt.warn || '';
    $('confirm-warn').hidden = !opt.warn;
    $('confirm-numbers').textContent = opt.numbers || '';
    $('confirm-numbers').hidden = !opt.numbers;
    var y = $('confirm-yes');
    y.textContent = yes;
    y.className = opt.danger ? 'danger solid' : 'primary';
    pending = fn;
    dlg.returnValue = '';
    dlg.showModal();
    $('confirm-no').focus();
  }

  function groupName(code) {
    var g = (meeting.groups || []).filter(function (x) { return x.code === code; })[0];
    return g ? g.name : code;
  }

  function renderStatus() {
    var b = $('m-status');
    b.className = 'badge ' + status;
    b.textContent = tt('status.' + status, STATUS[status] || status);
    show('open-hint', status !== 'closed');
    show('run-actions', canRun && status !== 'closed');
    show('open-btn', canRun && status === 'pending');
    show('close-btn', canRun && status === 'open');
    show('print-card', canRun && status !== 'closed');
    show('batches-card', canRun);
    // Once closed nothing is printed, keyed or newly projected; the links
    // already made stay listed, to be revoked.
    show('paper-box', status !== 'closed');
    show('blank-hint', status !== 'closed');
    show('blank-links', status !== 'closed');
    show('screen-form', canRun && status !== 'closed');
    setLive(status === 'closed' ? '' : liveState);
  }

  // relabel sets a text that follows the language switch.
  function relabel(el, key, zh) {
    el.setAttribute('data-i18n', key);
    el.setAttribute('data-zh', zh);
    el.textContent = tt(key, zh);
  }

  function renderTurnout(t) {
    turnout = t;
    var body = $('turnout').querySelector('tbody');
    body.textContent = '';
    t.groups.forEach(function (g) {
      body.appendChild(C.el('tr', { 'data-group': g.code }, [
        C.el('td', { text: g.name || groupName(g.code) }),
        C.el('td', { 'class': 'num issued', text: String(g.issued) }),
        C.el('td', { 'class': 'num cast', text: String(g.cast) }),
        C.el('td', { 'class': 'num unused', text: String(Math.max(0, g.issued - g.cast)) })]));
    });
    $('t-issued').textContent = String(t.issued);
    $('t-cast').textContent = String(t.cast);
    $('t-unused').textContent = String(Math.max(0, t.issued - t.cast));
    var rl = $('revoked-line');
    rl.hidden = !t.revoked;
    rl.textContent = tt('run.revoked', '另有 {0} 张选票已作废，不计入已发选票。', t.revoked);
    var was = status;
    status = t.status;
    if (was !== status) {
      if (was) clearAction();
      renderStatus();
      if (status === 'closed') closed();
    }
    renderUnusedHead();
    if (issued !== t.issued) { issued = t.issued; loadBatches(); }
    updateWarning();
  }

  // Once closed, the slips not used are void: the column says so.
  function renderUnusedHead() {
    if (status === 'closed') relabel($('th-unused'), 'run.voided', '已作废');
    else relabel($('th-unused'), 'run.unused', '未使用');
  }

  // closed stops the live view: no more events, no live mark, the seal.
  function closed() {
    if (es) { es.close(); es = null; }
    setLive('');
    renderUnusedHead();
    loadSealed();
    loadBatches();
  }

  var liveState = '';
  function setLive(state) {
    var l = $('live');
    liveState = state;
    // data-state is the stream's own state; the words show only while
    // votes can arrive (nothing is "live" before opening or after close).
    l.setAttribute('data-state', state);
    l.textContent = state && status === 'open' ? tt('live.' + state, { on: '● 实时', off: '连接中断，正在重连…', connecting: '正在连接…' }[state]) : '';
  }

  function connect() {
    if (status === 'closed') { renderUnusedHead(); poll(false); return; }
    var url = '/api/v1' + base + '/events';
    if (!window.EventSource) { poll(true); return; } // an old browser: poll instead
    setLive('connecting');
    es = new EventSource(url);
    es.onopen = function () { if (es) setLive('on'); };
    es.onmessage = function (ev) {
      if (!es) return;
      setLive('on');
      var t;
      try { t = JSON.parse(ev.data); } catch (e) { return; }
      renderTurnout(t);
    };
    es.onerror = function () { if (es) setLive('off'); };
  }

  // poll reads the turnout once, and again every 3 s while again is set and
  // the meeting has not closed.
  function poll(again) {
    C.api('GET', base + '/turnout').then(function (r) {
      if (r.status === 200) renderTurnout(r.data);
      if (again && status !== 'closed') setTimeout(function () { poll(true); }, 3000);
    });
  }

  function loadSealed() {
    show('sealed-card', true);
    C.api('GET', base + '/results').then(function (r) {
      if (r.status !== 200) { $('s-ballots').textContent = C.errorText(r.data); return; }
      $('s-ballots').textContent = String(r.data.ballots);
      $('s-digest').textContent = r.data.digest;
      $('s-check').textContent = tt('check.' + r.data.live_check, CHECK[r.data.live_check] || r.data.live_check);
      $('s-check').setAttribute('data-check', r.data.live_check);
    });
  }

  function two(n) { return (n < 10 ? '0' : '') + n; }
  // when says when a batch was issued: 09:05 today, else 1月15日 09:05.
  function when(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '—';
    var hm = two(d.getHours()) + ':' + two(d.getMinutes());
    if (d.toDateString() === new Date().toDateString()) return hm;
    return L((d.getMonth() + 1) + '月' + d.getDate() + '日 ', d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ') + hm;
  }
  function batchName(b) { return tt('batch.n', '第 {0} 批', b.number); }

  function loadBatches() {
    if (!canRun) return;
    C.api('GET', base + '/batches').then(function (r) {
      if (r.status !== 200) { msg('batch-msg', C.errorText(r.data), true); return; }
      var body = $('batches').querySelector('tbody');
      body.textContent = '';
      if (!r.data.batches.length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: '6', 'class': 'hint', text: tt('batch.none', '还没有发放选票。') })]));
      r.data.batches.forEach(function (b) {
        // Once closed, a batch's unused slips are void, as the turnout table says.
        var state = b.revoked ? tt('batch.revoked', '已作废') + '（' + b.voided + '）'
          : status === 'closed' ? tt('batch.ended', '会议已结束，未用选票已作废') : tt('batch.ok', '有效');
        var cell = C.el('td', {});
        if (!b.revoked && status !== 'closed') {
          var btn = C.el('button', { type: 'button', 'class': 'danger small', 'data-batch': b.batch, text: tt('batch.revoke', '作废…') });
          btn.addEventListener('click', function () { revoke(b); });
          cell.appendChild(btn);
        }
        body.appendChild(C.el('tr', { 'data-batch': b.batch, 'data-number': String(b.number), 'class': b.revoked ? 'revoked' : '' }, [
          C.el('td', { 'class': 'batch-n', text: batchName(b) }), C.el('td', { 'class': 'issued-at', text: when(b.issued_at) }),
          C.el('td', { text: groupName(b.group) }), C.el('td', { 'class': 'num', text: String(b.count) }), C.el('td', { text: state }), cell]));
      });
    });
  }

  function revoke(b) {
    var text = tt('confirm.revokeText', '{0}（{1}，{2} 张，{3} 发出）中尚未使用的选票将全部作废，扫码后无法投票；已经投出的选票仍然有效。作废后不能恢复。',
      batchName(b), groupName(b.group), b.count, when(b.issued_at));
    confirmDo(tt('confirm.revokeTitle', '作废这批选票？'), text, tt('confirm.revokeYes', '作废未使用的选票'), function () {
      C.api('POST', '/batches/' + enc(b.batch) + '/revoke').then(function (r) {
        if (r.status !== 200) { msg('batch-msg', C.errorText(r.data), true); return; }
        msg('batch-msg', tt('batch.voided', '已作废 {0} 张未使用的选票。', r.data.revoked));
        loadBatches();
      });
    }, { danger: true });
  }

  // actionSaid says that the meeting opened or closed, for a few seconds:
  // the status badge says it from then on.
  var actionTimer = 0;
  function actionSaid(text) {
    clearTimeout(actionTimer);
    msg('action-msg', text);
    actionTimer = setTimeout(clearAction, 6000);
  }
  function clearAction() {
    clearTimeout(actionTimer);
    var m = $('action-msg');
    if (m && m.className.indexOf('bad') < 0) m.textContent = '';
  }

  function updateWarning() {
    var w = $('print-warning');
    // Nothing typed yet: no numbers to warn about.
    if (!$('print-count').value.trim()) { w.hidden = true; return; }
    var add = parseInt($('print-count').value, 10) || 0;
    var total = Math.max(0, issued) + add;
    if (!host || host.staff < MIN || total >= MIN) { w.hidden = true; return; }
    w.hidden = false;
    w.textContent = C.lang() === 'en'
      ? 'Warning: ' + host.name + ' has ' + host.staff + ' staff, but this meeting would have only ' + total + ' slips in all. The rules ask units of 50 or more for at least 50 participants.'
      : '注意：' + host.name + '共有 ' + host.staff + ' 名干部职工，本会议连同这一批共 ' + total + ' 张选票，不足 50 张。考核办法要求 50 人以上的单位原则上不少于 50 人参加。';
  }

  // fresh reads the turnout now, for a confirmation's numbers.
  function fresh() {
    return C.api('GET', base + '/turnout').then(function (r) {
      if (r.status === 200) { turnout = r.data; return r.data; }
      return turnout;
    }, function () { return turnout; });
  }

  // One link per voter group to its blank paper form.
  function renderBlankLinks() {
    var box = $('blank-links');
    box.textContent = '';
    if (!meeting) return;
    meeting.groups.forEach(function (g) {
      box.appendChild(C.el('a', { 'class': 'button', 'data-group': g.code, target: '_blank', rel: 'noopener',
        href: '/console/cycles/' + enc(meeting.cycle) + '/meetings/' + enc(meeting.code) + '/groups/' + enc(g.code) + '/blank',
        text: tt('run.blank', '打印空白测评表：{0}', g.name) }));
    });
  }

  function doOpen() {
    fresh().then(function (t) {
      var none = !t || !t.issued;
      confirmDo(tt('confirm.openTitle', '开始测评？'),
        tt('confirm.openText', '开始后，本会议已发出的选票即可扫码投票；会议的参评类别和测评表不能再修改。测评进行中只显示投票人数，任何人（包括工作人员）都看不到计票结果。'),
        tt('confirm.openYes', '开始测评'), function () {
          C.api('POST', base + '/open').then(function (r) {
            if (r.status !== 200) { msg('action-msg', C.errorText(r.data), true); return; }
            actionSaid(tt('act.opened', '测评已开始。'));
            status = 'open';
            renderStatus();
          });
        }, { warn: none ? tt('confirm.noSlips', '还没有打印任何选票。') : '' });
    });
  }

  function doClose() {
    fresh().then(function (t) {
      var numbers = '';
      if (t) {
        var pct = t.issued ? Math.round(100 * t.cast / t.issued) : 0;
        numbers = tt('confirm.closeNumbers', '目前已投 {0}/{1} 张（{2}%），结束后其余 {3} 张选票作废。', t.cast, t.issued, pct, Math.max(0, t.issued - t.cast));
      }
      confirmDo(tt('confirm.closeTitle', '结束测评并封存计票？'),
        tt('confirm.closeText', '结束后任何人都不能再投票，未使用的选票作废；系统将把数据库中的选票重新清点一遍，封存计票结果和摘要。此操作不能撤销。'),
        tt('confirm.closeYes', '结束并封存'), function () {
          C.api('POST', base + '/close').then(function (r) {
            if (r.status !== 200) { msg('action-msg', C.errorText(r.data), true); return; }
            actionSaid(tt('act.closed', '测评已结束，计票已封存。'));
            status = 'closed';
            renderStatus();
            closed();
          });
        }, { danger: true, numbers: numbers });
    });
  }

  function load() {
    C.api('GET', base).then(function (r) {
      if (r.status !== 200) { msg('load-msg', C.errorText(r.data), true); show('links-card', false); return; }
      meeting = r.data;
      var role = D.body.getAttribute('data-role'), me = D.body.getAttribute('data-user');
      canRun = role === 'admin' || (role === 'group' && (meeting.staff || []).indexOf(me) >= 0);
      $('m-title').textContent = meeting.title;
      D.title = meeting.title + ' · 测评 Ceping';
      var sel = $('print-group');
      sel.textContent = '';
      meeting.groups.forEach(function (g) { sel.appendChild(C.el('option', { value: g.code, text: g.name })); });
      renderBlankLinks();
      status = meeting.status;
      renderStatus();
      show('status-card', true);
      loadScreenLinks();
      renderMeta();
      C.api('GET', '/cycles/' + enc(meeting.cycle) + '/units').then(function (u) {
        if (u.status !== 200) return;
        host = (u.data || []).filter(function (x) { return x.code === meeting.host; })[0] || null;
        renderMeta();
        updateWarning();
      });
      if (status === 'closed') loadSealed();
      connect();
    });
  }

  function renderMeta() {
    if (!meeting) return;
    var parts = [tt('kind.' + meeting.kind, KIND[meeting.kind] || meeting.kind)];
    if (meeting.host) parts.push(host ? host.name : meeting.host);
    parts.push(meeting.date);
    $('m-meta').textContent = parts.join(' · ');
  }

  // The big screen gets a signed, expiring, read-only link: the projector
  // PC needs no account. A refusal is shown beside the form.
  var screenHours = 0;
  function renderScreenLink() {
    if (screenHours) $('screen-link').textContent = tt('run.screenOpen', '打开大屏幕（{0} 小时内有效，无需登录）', screenHours);
  }
  function makeScreenLink(ev) {
    ev.preventDefault();
    var input = $('screen-hours'), err = $('screen-hours-error');
    var hours = Number(input.value);
    err.textContent = '';
    input.classList.remove('invalid');
    msg('screen-msg', '');
    if (!(hours >= 1 && hours <= 48 && Math.floor(hours) === hours)) {
      err.textContent = tt('run.screenBadHours', '请填写 1 到 48 之间的整数小时数。');
      input.classList.add('invalid');
      input.focus();
      return;
    }
    $('screen-make').disabled = true;
    C.api('POST', base + '/screen-link', { hours: hours, show_results: $('screen-results').checked }).then(function (r) {
      $('screen-make').disabled = false;
      if (r.status !== 200 && r.status !== 201) {
        var d = ((r.data && r.data.error && r.data.error.details) || []).filter(function (x) { return x.field === 'hours'; })[0];
        if (d) { input.classList.add('invalid'); err.textContent = C.msg ? C.msg(r.data.error) : r.data.error.message; }
        else msg('screen-msg', C.errorText(r.data), true);
        return;
      }
      var a = $('screen-link');
      screenHours = hours;
      renderScreenLink();
      // The server's address (CEPING_BASE_URL), which the projector's
      // computer can reach, not the one this browser happens to use.
      a.href = r.data.url || r.data.path;
      a.hidden = false;
      $('screen-url').textContent = a.href;
      $('screen-url').hidden = false;
      a.focus();
      newLink = r.data.id;
      loadScreenLinks();
    }, function () {
      $('screen-make').disabled = false;
      msg('screen-msg', L('网络连接失败，请重试。', 'The network failed. Please try again.'), true);
    });
  }

  // The links made for this meeting, newest first, each with its state and,
  // while valid, a button to revoke it. The list never holds a link's URL:
  // that is shown once, when it is made.
  var screenLinks = null, newLink = '';
  function loadScreenLinks() {
    if (!canRun) return;
    C.api('GET', base + '/screen-links').then(function (r) {
      if (r.status !== 200) { msg('screen-links-msg', C.errorText(r.data), true); return; }
      screenLinks = r.data.links;
      renderScreenLinks();
    });
  }
  function renderScreenLinks() {
    if (!screenLinks) return;
    show('screen-links-box', screenLinks.length > 0);
    var body = $('screen-links').querySelector('tbody');
    body.textContent = '';
    screenLinks.forEach(function (l) {
      var state = l.state === 'revoked' ? tt('screen.revoked', '已由 {0} 收回', l.revoked_by)
        : l.state === 'expired' ? tt('screen.expired', '已过期') : tt('screen.valid', '有效');
      var cell = C.el('td', {});
      if (l.state === 'valid') {
        var btn = C.el('button', { type: 'button', 'class': 'danger small', 'data-link': l.id, text: tt('screen.revoke', '收回…') });
        btn.addEventListener('click', function () { revokeScreenLink(l); });
        cell.appendChild(btn);
      }
      var id = C.el('td', {}, [C.el('code', { text: l.id })]);
      if (l.id === newLink) id.appendChild(C.el('span', { 'class': 'new-mark', text: tt('screen.new', '刚生成') }));
      body.appendChild(C.el('tr', { 'data-link': l.id, 'data-state': l.state, 'class': l.state === 'valid' ? '' : 'revoked' }, [
        id, C.el('td', { text: l.issued_by }), C.el('td', { text: when(l.issued_at) }), C.el('td', { text: when(l.expires_at) }),
        C.el('td', { text: l.show_results ? tt('run.screenShowsYes', '结束后显示') : tt('run.screenShowsNo', '不显示') }),
        C.el('td', { 'class': 'state', text: state }), cell]));
    });
  }
  function revokeScreenLink(l) {
    var text = tt('confirm.screenText', '链接 {0}（{1} 于 {2} 生成）将立即失效：用它打开的大屏幕几秒内停止显示，链接不能再打开。此操作不能撤销。',
      l.id, l.issued_by, when(l.issued_at));
    confirmDo(tt('confirm.screenTitle', '收回这个大屏幕链接？'), text, tt('confirm.screenYes', '收回链接'), function () {
      C.api('DELETE', base + '/screen-links/' + enc(l.id)).then(function (r) {
        if (r.status !== 200) { msg('screen-links-msg', C.errorText(r.data), true); return; }
        msg('screen-links-msg', tt('screen.revoked.done', '链接已收回。'));
        if (l.id === newLink) { $('screen-link').hidden = true; $('screen-url').hidden = true; screenHours = 0; }
        loadScreenLinks();
      });
    }, { danger: true });
  }

  D.addEventListener('DOMContentLoaded', function () {
    root = $('run');
    base = '/cycles/' + enc(root.getAttribute('data-cycle')) + '/meetings/' + enc(root.getAttribute('data-meeting'));
    D.addEventListener('cp:lang', function () {
      setLive(liveState); renderStatus(); renderMeta(); renderBlankLinks(); if (turnout) renderTurnout(turnout); renderUnusedHead(); loadBatches(); updateWarning(); renderScreenLink(); renderScreenLinks();
    });
    $('confirm').addEventListener('close', function () {
      // A close event comes as a task of its own: the dialog may already be
      // open again for the next question, whose answer is still to come.
      if ($('confirm').open) return;
      var fn = pending;
      pending = null;
      if (fn && $('confirm').returnValue === 'ok') fn();
    });
    $('open-btn').addEventListener('click', doOpen);
    $('close-btn').addEventListener('click', doClose);
    $('print-count').addEventListener('input', updateWarning);
    $('screen-form').addEventListener('submit', makeScreenLink);
    $('print-form').addEventListener('submit', function () {
      // The print page opens in a new window; the event stream brings the
      // new issued count, and with it the batch list.
      setTimeout(loadBatches, 1500);
    });
    load();
  });
})();
