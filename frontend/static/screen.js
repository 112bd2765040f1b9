/* The hall's big screen. Plain ES2017, no external requests. It follows the
 * signed link's turnout stream (Server-Sent Events: turnout only, never a
 * tally) and, after the meeting closes, shows the sealed per-section counts
 * when the link was made to show them.
 *
 * Hooks: body[data-state=connecting|pending|open|closed|lost|expired|revoked|denied],
 * #cast, #issued, #pct, #fill-total, #groups .group[data-group=CODE],
 * #status[data-status], #results (.sec[data-section=CODE], one shown at a
 * time; #results[data-page], #pager "第 1/4 项"). */
(function () {
  'use strict';
  var D = document, W = window;
  var T = {
    zh: { other: 'English', connecting: '正在连接…', pending: '测评尚未开始', open: '测评进行中', closed: '测评已结束',
      lost: '连接中断，正在重连…', expired: '链接已过期', turnout: '投票进度', issued: '已发选票 {0} 张', cast: '已投 {0} 张',
      denied: '大屏幕链接无效或已过期', deniedText: '请会议工作人员在管理后台重新生成大屏幕链接。', revoked: '链接已收回',
      revokedNote: '会议工作人员已收回这个大屏幕链接。',
      expiredNote: '大屏幕链接已过期，请工作人员重新生成。', updated: '更新于 {0}', results: '测评结果（已封存）',
      ballots: '有效票 {0} 张', tooFew: '票数过少，不公开各项结果。', subject: '对象', count: '票数', avg: '平均分', votes: '得票',
      item: '第 {0}/{1} 项', part: '（第 {0}/{1} 页）' },
    en: { other: '中文', connecting: 'Connecting…', pending: 'Voting has not started', open: 'Voting in progress', closed: 'Voting has ended',
      lost: 'Connection lost, reconnecting…', expired: 'Link expired', turnout: 'Turnout', issued: '{0} issued', cast: '{0} cast',
      denied: 'This screen link is invalid or has expired', deniedText: 'Ask the meeting staff to make a new screen link in the console.', revoked: 'Link revoked',
      revokedNote: 'The meeting staff have revoked this screen link.',
      expiredNote: 'The screen link has expired: ask the staff for a new one.', updated: 'Updated {0}', results: 'Results (sealed)',
      ballots: '{0} ballots', tooFew: 'Too few ballots: sections are not shown.', subject: 'Subject', count: 'Answers', avg: 'Average', votes: 'Votes',
      item: 'Item {0} of {1}', part: ' (page {0} of {1})' }
  };
  var lang = 'zh';
  try { lang = W.localStorage.getItem('cp.lang') === 'en' ? 'en' : 'zh'; } catch (e) { /* private mode */ }
  var rows = {}, last = null, state = 'connecting', result = null, es = null, resultsAsked = false;

  function $(id) { return D.getElementById(id); }
  function t(k) {
    var a = arguments, s = T[lang][k] || T.zh[k] || k;
    return s.replace(/\{(\d)\}/g, function (_, i) { return a[+i + 1]; });
  }
  function el(tag, cls, text) {
    var e = D.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function pct(cast, issued) { return issued > 0 ? Math.min(100, Math.round(cast * 1000 / issued) / 10) : 0; }
  function setState(s) {
    state = s;
    D.body.setAttribute('data-state', s);
    var st = $('status');
    if (st) { st.setAttribute('data-status', s); st.textContent = t(s); }
  }
  function applyLang() {
    D.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    var els = D.querySelectorAll('[data-t]');
    for (var i = 0; i < els.length; i++) els[i].textContent = t(els[i].getAttribute('data-t'));
    $('lang').textContent = t('other');
    if ($('status')) setState(state);
    if (last) render(last);
    if (result) renderResults(result);
  }

  // render shows turnout. Groups without slips are left out (no "0 / 0").
  // Once voting has ended the unused slips are void: the count of valid
  // ballots stands alone, with no share of slips that can no longer vote.
  function render(tu) {
    last = tu;
    var closed = tu.status === 'closed';
    $('cast').textContent = tu.cast;
    $('issued').textContent = closed ? '' : tu.issued;
    D.body.classList.toggle('ended', closed);
    var p = pct(tu.cast, tu.issued);
    $('pct').textContent = closed ? t('ballots', tu.cast) : p + '%';
    $('fill-total').style.width = (closed ? (tu.cast ? 100 : 0) : p) + '%';
    var box = $('groups');
    (tu.groups || []).forEach(function (g) {
      var row = rows[g.code];
      if (!g.issued && !g.cast) {
        if (row) { box.removeChild(row); delete rows[g.code]; }
        return;
      }
      if (!row) {
        row = rows[g.code] = el('div', 'group');
        row.setAttribute('data-group', g.code);
        var name = el('div', 'name');
        name.appendChild(el('span', 'gname', g.name || g.code));
        name.appendChild(el('span', 'num'));
        var track = el('div', 'track');
        track.appendChild(el('div', 'fill'));
        row.appendChild(name);
        row.appendChild(track);
        box.appendChild(row);
      }
      var gp = pct(g.cast, g.issued);
      row.querySelector('.num').textContent = closed ? t('ballots', g.cast) : g.cast + ' / ' + g.issued + '（' + gp + '%）';
      row.querySelector('.fill').style.width = (closed ? (g.cast ? 100 : 0) : gp) + '%';
    });
    $('note').textContent = t('updated', new Date().toLocaleTimeString(lang === 'en' ? 'en' : 'zh-CN'));
    setState(tu.status === 'open' || tu.status === 'closed' || tu.status === 'pending' ? tu.status : 'open');
    if (tu.status === 'closed') loadResults();
  }

  // loadResults asks once the meeting has closed; the seal follows the close
  // at once, so a 409 (not yet sealed) is retried a few times.
  function loadResults(n) {
    var url = D.body.getAttribute('data-results');
    if (!url || (resultsAsked && !n)) return;
    resultsAsked = true;
    fetch(url, { credentials: 'omit', cache: 'no-store', headers: { 'Accept': 'application/json' } }).then(function (r) {
      if (r.status === 409 && (n || 0) < 10) { setTimeout(function () { loadResults((n || 0) + 1); }, 1500); return null; }
      return r.ok ? r.json() : null;
    }).then(function (res) { if (res) renderResults(res); }, function () { /* keep the turnout */ });
  }

  // The sealed result pages through its sections on the projector, one
  // section at a time (a long one over several pages), PAGE_MS each: a
  // table is never cut off and nobody has to scroll.
  var PAGE_MS = 10000, pages = [], pageAt = 0, pageTimer = null, resizeTimer = null;

  // sectionTable builds one section's table with the given subjects (rows).
  function sectionTable(s, subjects) {
    var table = el('table'), thead = el('thead'), head = el('tr'), body = el('tbody');
    var opts = s.scale && s.scale.options ? s.scale.options.map(function (o) { return o.label; }) : [];
    head.appendChild(el('th', '', t('subject')));
    if (s.scale.type === 'grade') opts.forEach(function (o) { head.appendChild(el('th', 'n', o)); });
    else if (s.scale.type === 'score') { head.appendChild(el('th', 'n', t('count'))); head.appendChild(el('th', 'n', t('avg'))); }
    else head.appendChild(el('th', 'n', t('votes')));
    thead.appendChild(head);
    table.appendChild(thead);
    subjects.forEach(function (j) {
      var tr = el('tr');
      tr.appendChild(el('td', '', j.name + (j.dimension ? ' · ' + j.dimension : '')));
      if (s.scale.type === 'grade') opts.forEach(function (o) { tr.appendChild(el('td', 'n', String((j.counts || {})[o] || 0))); });
      else if (s.scale.type === 'score') {
        tr.appendChild(el('td', 'n', String(j.count || 0)));
        tr.appendChild(el('td', 'n', j.count ? (Math.round(j.sum * 100 / j.count) / 100).toString() : '–'));
      } else tr.appendChild(el('td', 'n', String(j.count || 0)));
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  function sectionBox(s, subjects) {
    var sec = el('div', 'sec');
    sec.setAttribute('data-section', s.section);
    sec.appendChild(el('h2', '', s.title));
    sec.appendChild(sectionTable(s, subjects));
    return sec;
  }

  // paginate lays each section out in the stage and splits the subjects of
  // one that does not fit into pages that do.
  function paginate(res, stage) {
    var out = [];
    res.sections.forEach(function (s, si) {
      var subjects = s.subjects || [];
      var full = sectionBox(s, subjects);
      stage.appendChild(full);
      var room = stage.clientHeight, chunks = [];
      if (full.offsetHeight <= room || subjects.length < 2) {
        chunks.push(subjects);
      } else {
        var fixed = full.querySelector('h2').offsetHeight + full.querySelector('thead').offsetHeight + 8;
        var rows = full.querySelectorAll('tbody tr'), used = fixed, chunk = [];
        for (var i = 0; i < rows.length; i++) {
          var h = rows[i].offsetHeight;
          if (chunk.length && used + h > room) { chunks.push(chunk); chunk = []; used = fixed; }
          chunk.push(subjects[i]);
          used += h;
        }
        if (chunk.length) chunks.push(chunk);
      }
      stage.removeChild(full);
      chunks.forEach(function (c, ci) {
        var box = ci === 0 && chunks.length === 1 ? full : sectionBox(s, c);
        box.hidden = true;
        stage.appendChild(box);
        out.push({ box: box, section: si, part: ci, parts: chunks.length });
      });
    });
    return out;
  }

  function showPage(i) {
    if (!pages.length) return;
    pageAt = i % pages.length;
    pages.forEach(function (p, j) { p.box.hidden = j !== pageAt; });
    var p = pages[pageAt], n = result.sections.length, label = $('pager');
    if (label) {
      label.textContent = n > 1 || p.parts > 1 ? t('item', p.section + 1, n) + (p.parts > 1 ? t('part', p.part + 1, p.parts) : '') : '';
    }
    $('results').setAttribute('data-page', String(pageAt));
  }

  function renderResults(res) {
    result = res;
    var box = $('results');
    box.textContent = '';
    box.hidden = false;
    D.body.setAttribute('data-has-results', '');
    var head = el('div', 'res-head');
    head.appendChild(el('h2', '', t('results') + ' · ' + t('ballots', res.ballots)));
    var pager = el('span', 'pager');
    pager.id = 'pager';
    head.appendChild(pager);
    box.appendChild(head);
    if (pageTimer) { clearInterval(pageTimer); pageTimer = null; }
    pages = [];
    if (!res.sections || !res.sections.length) { box.appendChild(el('p', '', t('tooFew'))); return; }
    var stage = el('div', 'stage');
    box.appendChild(stage);
    pages = paginate(res, stage);
    showPage(pageAt);
    if (pages.length > 1) pageTimer = setInterval(function () { showPage(pageAt + 1); }, PAGE_MS);
  }

  function expire() {
    if (es) es.close();
    if (state === 'revoked') return;
    setState('expired');
    $('note').textContent = t('expiredNote');
  }

  // revoke blanks the board: a revoked link shows nothing more, not even
  // the last turnout.
  function revoke() {
    if (es) es.close();
    last = null;
    result = null;
    if (pageTimer) { clearInterval(pageTimer); pageTimer = null; }
    setState('revoked');
    $('note').textContent = t('revokedNote');
    $('groups').textContent = '';
    $('results').hidden = true;
    ['cast', 'issued', 'pct'].forEach(function (id) { $(id).textContent = '–'; });
    $('fill-total').style.width = '0';
  }

  function connect() {
    var url = D.body.getAttribute('data-events'), exp = +D.body.getAttribute('data-exp');
    if (!url || !W.EventSource) return;
    var left = exp * 1000 - Date.now();
    if (left <= 0) return expire();
    setTimeout(expire, Math.min(left, 2147483000));
    es = new EventSource(url);
    es.onmessage = function (ev) {
      try { render(JSON.parse(ev.data)); } catch (e) { /* a malformed event: wait for the next */ }
    };
    es.addEventListener('expired', expire);
    es.addEventListener('revoked', revoke);
    es.onerror = function () {
      if (state === 'revoked') return;
      if (Date.now() >= exp * 1000) return expire();
      if (state !== 'expired') setState('lost');
    };
  }

  D.addEventListener('DOMContentLoaded', function () {
    applyLang();
    $('lang').addEventListener('click', function () {
      lang = lang === 'en' ? 'zh' : 'en';
      try { W.localStorage.setItem('cp.lang', lang); } catch (e) { /* private mode */ }
      applyLang();
    });
    if ($('cast')) connect();
    // A new window size lays the pages out again.
    W.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { if (result) renderResults(result); }, 300);
    });
  });
})();
