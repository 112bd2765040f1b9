/* The tally sheet (计票单): a print button, the English switch, and the
 * printed page's running header. Every printed page carries the meeting's
 * title and the start of the sealed digest at the top and the page number
 * and the 监票人/计票人 initials line at the bottom (tally.css): the header
 * needs the meeting's own words, so it is added here as a CSS rule (the
 * CSP allows no inline style, but a script may add rules to a sheet). */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'run.back': 'Back to the meeting', 'tally.print': 'Print the tally sheet', 'tally.sealedTitle': 'No tally sheet yet',
    'tally.notYet': 'Voting has not closed. To keep the vote secret nobody sees any count while a meeting is open, only turnout; the tally sheet can be read and printed once the meeting has closed and its tally is sealed.',
    'tally.heading': 'Tally sheet', 'tally.kind': 'Meeting', 'tally.date': 'Date', 'tally.host': 'Unit assessed', 'tally.ballots': 'Ballots',
    'tally.digest': 'Sealed digest', 'tally.check': 'Live tally check', 'tally.all': 'All voter groups together',
    'tally.check.match': 'Match: the live count equals the recount of the ballots in the database',
    'tally.check.mismatch': 'Mismatch: the recount of the ballots in the database was sealed',
    'tally.check.partial': 'Partial match: the live count this server could see equals the recount; a few ballots were still held by other servers; the recount of the ballots in the database was sealed',
    'tally.check.unavailable': 'Not available: the live count was unavailable; the recount of the ballots in the database was sealed',
    'tally.totalNote': 'The ballot count is all voter groups of the meeting together; each table counts only the groups that answered it, as its heading says.',
    'tally.tooFew': 'Too few ballots: to protect the voters only the count is shown.',
    'tally.suppressed': 'Too few ballots in this group: to protect the voters it is not shown on its own; its ballots count in the totals and scores.',
    'tally.noBallots': 'No ballots in this group.',
    'tally.sectionSuppressed': 'Too few ballots answered this table (or subtracting it from other tables or the scores would reveal a few voters\' ratings): to protect the voters its counts are not shown; the ballots do count in the scores.',
    'tally.monitor': 'Scrutineer (signature)', 'tally.counter': 'Teller (signature)', 'tally.signDate': 'Date'
  });

  function cssString(s) { return '"' + String(s).replace(/[\\"]/g, '\\$&').replace(/[\r\n]+/g, ' ') + '"'; }

  var sheet = null, added = 0;
  // pageRules writes the running header (and, in English, the footer's
  // words) into tally.css as rules of the printed page.
  function pageRules() {
    var box = D.querySelector('.tally[data-digest]');
    if (!box) return;
    if (!sheet) {
      for (var i = 0; i < D.styleSheets.length; i++) {
        if (/\/tally\.css$/.test(D.styleSheets[i].href || '')) sheet = D.styleSheets[i];
      }
    }
    if (!sheet) return;
    var digest = (box.getAttribute('data-digest') || '').replace(/^sha256:/, '');
    var en = C.lang() === 'en';
    var head = box.getAttribute('data-title') + (en ? ' · digest ' : ' · 封存摘要 ') + 'sha256:' + digest.slice(0, 12);
    var rules = ['@media print { @page { @top-left { content: ' + cssString(head) + '; } } }'];
    if (en) {
      rules.push('@media print { @page { @bottom-right { content: "Page " counter(page) " of " counter(pages); } ' +
        '@bottom-left { content: "Scrutineer: ________   Teller: ________"; } } }');
    }
    try {
      for (; added > 0; added--) sheet.deleteRule(sheet.cssRules.length - 1);
      rules.forEach(function (r) { sheet.insertRule(r, sheet.cssRules.length); added++; });
    } catch (e) { /* a browser without page-margin rules prints without the header */ }
  }

  D.addEventListener('DOMContentLoaded', function () {
    var b = D.getElementById('print');
    if (b) b.addEventListener('click', function () { window.print(); });
    pageRules();
    D.addEventListener('cp:lang', pageRules);
  });
  window.addEventListener('load', function () { if (!added) pageRules(); });
})();
