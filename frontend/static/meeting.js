/* A meeting's run page: turnout per voter group, live from the event
 * stream (never a tally while open), slip printing, batches with revoke,
 * open and close with a confirmation, and the sealed count after close. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'run.meetings': 'Meetings', 'run.status': 'Voting', 'run.group': 'Voter group', 'run.issued': 'Issued', 'run.cast': 'Cast',
    'run.unused': 'Not yet used', 'run.total': 'Total', 'run.open': 'Open voting', 'run.close': 'Close voting and seal the tally',
    'run.openHint': 'While voting is open only turnout is shown; the tally is sealed at close and published then.',
    'run.sealed': 'Tally sealed', 'run.ballots': 'Ballots', 'run.digest': 'Sealed digest', 'run.check': 'Live tally check',
    'run.tally': 'Open and print the tally sheet', 'run.print': 'Print slips', 'run.count': 'Slips', 'run.format': 'Format',
    'run.formatHTML': 'Print page (A4)', 'run.formatPDF': 'PDF file',
    'run.printHint': 'The slips open in a new window and their codes are shown only once: print them at once, cut along the dashed lines and hand them out at random.',
    'run.printGo': 'Create and print', 'run.batches': 'Batches issued', 'run.batch': 'Batch', 'run.batchState': 'State',
    'run.more': 'More', 'run.screen': 'Hall big screen', 'run.screenResults': 'Show the sealed result on the screen after close', 'run.screenOpen': 'Open the big screen (valid 12 hours, no sign-in)', 'run.paper': 'Enter paper ballots', 'run.cancel': 'Cancel', 'run.back': 'Back to the meeting',
    'status.pending': 'Not opened', 'status.open': 'Open', 'status.closed': 'Closed',
    'live.on': '● live', 'live.off': 'reconnecting…', 'live.connecting': 'connecting…',
    'kind.work_report': 'Work-report meeting', 'kind.conference': 'County leading-cadres conference', 'kind.social': 'Social evaluation',
    'kind.group': 'Assessment-group evaluation', 'kind.other': 'Other',
    'confirm.openTitle': 'Open voting?', 'confirm.openText': 'Slips issued for this meeting can be used from now on. The meeting\'s groups and forms can no longer change. While voting is open only turnout is shown, to organizers too.',
    'confirm.openYes': 'Open voting',
    'confirm.closeTitle': 'Close voting and seal the tally?', 'confirm.closeText': 'Nobody can vote any more; unused slips become void. The ledger is recounted and the tally sealed with its digest. This cannot be undone.',
    'confirm.closeYes': 'Close and seal',
    'confirm.revokeTitle': 'Void this batch?', 'confirm.revokeYes': 'Void unused slips',
    'batch.none': 'No slips issued yet.', 'batch.ok': 'valid', 'batch.revoked': 'voided', 'batch.revoke': 'Void…',
    'check.match': 'match: the live tally equals the ledger recount', 'check.mismatch': 'mismatch: the ledger recount is what was sealed',
    'check.unavailable': 'not available: the ledger recount is what was sealed'
  });
  var L = C.pick;
  var tt = C.t;
  var KIND = { work_report: '工作报告大会', conference: '全县领导干部大会', social: '社会评价', group: '考核组评价', other: '其他' };
  var STATUS = { pending: '未开始', open: '进行中', closed: '已结束' };
  var CHECK = { match: '一致：实时计数与账本重新计数相同', mismatch: '不一致：已按账本重新计数封存', unavailable: '无法比对：已按账本重新计数封存' };
  var MIN = 50; // the rules text: units of 50 or more, at least 50 participants

  var root, base, meeting, canRun = false, host = null, status = '', issued = -1, es = null, turnout = null;
  function $(id) { return D.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function enc(s) { return encodeURIComponent(s); }
  function msg(id, text, bad) { var m = $(id); m.textContent = text || ''; m.className = 'msg' + (bad ? ' bad' : ' ok'); }

  // confirmDo asks in a dialog that says what will happen; fn runs on yes.
  var pending = null;
  function confirmDo(title, text, yes, fn) {
    var dlg = $('confirm');
    if (!dlg.showModal) { if (window.confirm(title + '\n\n' + text)) fn(); return; }
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-yes').textContent = yes;
    pending = fn;
    dlg.returnValue = '';
    dlg.showModal();
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
    rl.textContent = L('另有 ' + t.revoked + ' 张选票已作废，不计入已发票。', t.revoked + ' slips voided, not counted as issued.');
    var was = status;
    status = t.status;
    if (was !== status) {
      renderStatus();
      if (status === 'closed') { loadSealed(); if (es) { es.close(); es = null; } setLive(''); }
    }
    if (issued !== t.issued) { issued = t.issued; loadBatches(); }
    updateWarning();
  }

  var liveState = '';
  function setLive(state) {
    var l = $('live');
    liveState = state;
    l.setAttribute('data-state', state);
    l.textContent = state ? tt('live.' + state, { on: '● 实时', off: '连接中断，正在重连…', connecting: '正在连接…' }[state]) : '';
  }

  function connect() {
    var url = '/api/v1' + base + '/events';
    if (!window.EventSource) { // an old browser: poll instead
      var poll = function () {
        C.api('GET', base + '/turnout').then(function (r) { if (r.status === 200) renderTurnout(r.data); if (status !== 'closed') setTimeout(poll, 3000); });
      };
      poll();
      return;
    }
    setLive('connecting');
    es = new EventSource(url);
    es.onopen = function () { setLive('on'); };
    es.onmessage = function (ev) {
      setLive('on');
      var t;
      try { t = JSON.parse(ev.data); } catch (e) { return; }
      renderTurnout(t);
    };
    es.onerror = function () { if (es) setLive('off'); };
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

  function loadBatches() {
    if (!canRun) return;
    C.api('GET', base + '/batches').then(function (r) {
      if (r.status !== 200) { msg('batch-msg', C.errorText(r.data), true); return; }
      var body = $('batches').querySelector('tbody');
      body.textContent = '';
      if (!r.data.batches.length) body.appendChild(C.el('tr', {}, [C.el('td', { colspan: '5', 'class': 'hint', text: tt('batch.none', '还没有发出选票。') })]));
      r.data.batches.forEach(function (b) {
        var state = b.revoked ? tt('batch.revoked', '已作废') + '（' + b.voided + '）' : tt('batch.ok', '有效');
        var cell = C.el('td', {});
        if (!b.revoked && status !== 'closed') {
          var btn = C.el('button', { type: 'button', 'class': 'danger small', 'data-batch': b.batch, text: tt('batch.revoke', '作废…') });
          btn.addEventListener('click', function () { revoke(b); });
          cell.appendChild(btn);
        }
        body.appendChild(C.el('tr', { 'data-batch': b.batch, 'class': b.revoked ? 'revoked' : '' }, [
          C.el('td', { 'class': 'mono', text: b.batch }), C.el('td', { text: groupName(b.group) }),
          C.el('td', { 'class': 'num', text: String(b.count) }), C.el('td', { text: state }), cell]));
      });
    });
  }

  function revoke(b) {
    var text = '批次 ' + b.batch + '（' + groupName(b.group) + '，' + b.count + ' 张）中尚未使用的选票将全部作废，扫码后无法投票；已经投出的选票仍然有效。作废后不能恢复。';
    if (C.lang() === 'en') text = 'The unused slips of batch ' + b.batch + ' (' + groupName(b.group) + ', ' + b.count + ' slips) become void and can no longer vote; ballots already cast still count. This cannot be undone.';
    confirmDo(tt('confirm.revokeTitle', '作废这批选票？'), text, tt('confirm.revokeYes', '作废未使用的选票'), function () {
      C.api('POST', '/batches/' + enc(b.batch) + '/revoke').then(function (r) {
        if (r.status !== 200) { msg('batch-msg', C.errorText(r.data), true); return; }
        msg('batch-msg', L('已作废 ' + r.data.revoked + ' 张未使用的选票。', r.data.revoked + ' unused slips voided.'));
        loadBatches();
      });
    });
  }

  function updateWarning() {
    var w = $('print-warning');
    var add = parseInt($('print-count').value, 10) || 0;
    var total = Math.max(0, issued) + add;
    if (!host || host.staff < MIN || total >= MIN) { w.hidden = true; return; }
    w.hidden = false;
    w.textContent = C.lang() === 'en'
      ? 'Warning: ' + host.name + ' has ' + host.staff + ' staff, but this meeting would have only ' + total + ' slips in all. The rules ask units of 50 or more for at least 50 participants.'
      : '注意：' + host.name + '共有 ' + host.staff + ' 名干部职工，本会议连同这一批共 ' + total + ' 张选票，不足 50 张。考核办法要求 50 人以上的单位原则上不少于 50 人参加。';
  }

  function doOpen() {
    confirmDo(tt('confirm.openTitle', '开始测评？'),
      tt('confirm.openText', '开始后，本会议已发出的选票即可扫码投票；会议的参评类别和测评表不能再修改。测评进行中只显示投票人数，任何人（包括工作人员）都看不到计票结果。'),
      tt('confirm.openYes', '开始测评'), function () {
        C.api('POST', base + '/open').then(function (r) {
          if (r.status !== 200) { msg('action-msg', C.errorText(r.data), true); return; }
          msg('action-msg', L('测评已开始。', 'Voting is open.'));
          status = 'open';
          renderStatus();
        });
      });
  }

  function doClose() {
    confirmDo(tt('confirm.closeTitle', '结束测评并封存计票？'),
      tt('confirm.closeText', '结束后任何人都不能再投票，未使用的选票作废；系统将重新清点账本中的全部选票，封存计票结果和摘要。此操作不能撤销。'),
      tt('confirm.closeYes', '结束并封存'), function () {
        C.api('POST', base + '/close').then(function (r) {
          if (r.status !== 200) { msg('action-msg', C.errorText(r.data), true); return; }
          msg('action-msg', L('测评已结束，计票已封存。', 'Voting closed; the tally is sealed.'));
          status = 'closed';
          renderStatus();
          loadSealed();
        });
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
      status = meeting.status;
      renderStatus();
      show('status-card', true);
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

  D.addEventListener('DOMContentLoaded', function () {
    root = $('run');
    base = '/cycles/' + enc(root.getAttribute('data-cycle')) + '/meetings/' + enc(root.getAttribute('data-meeting'));
    D.addEventListener('cp:lang', function () { setLive(liveState); renderStatus(); renderMeta(); if (turnout) renderTurnout(turnout); loadBatches(); updateWarning(); });
    $('confirm').addEventListener('close', function () {
      var fn = pending;
      pending = null;
      if (fn && $('confirm').returnValue === 'ok') fn();
    });
    $('open-btn').addEventListener('click', doOpen);
    $('close-btn').addEventListener('click', doClose);
    $('print-count').addEventListener('input', updateWarning);
    // The big screen gets a signed, expiring, read-only link: the projector
    // PC needs no account.
    $('screen-make').addEventListener('click', function () {
      C.api('POST', base + '/screen-link', { hours: 12, show_results: $('screen-results').checked }).then(function (r) {
        if (r.status !== 200 && r.status !== 201) { $('batch-msg').textContent = C.errorText(r.data); return; }
        var a = $('screen-link');
        a.href = r.data.path || r.data.url;
        a.hidden = false;
        a.focus();
      });
    });
    $('print-form').addEventListener('submit', function () {
      // The print page opens in a new window; the event stream brings the
      // new issued count, and with it the batch list.
      setTimeout(loadBatches, 1500);
    });
    load();
  });
})();
