/* The tally sheet: a print button and the English switch. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  var EN = {
    'run.back': 'Back to the meeting', 'tally.print': 'Print the tally sheet', 'tally.sealedTitle': 'No tally sheet yet',
    'tally.notYet': 'Voting has not closed. To keep the vote secret nobody sees any count while a meeting is open, only turnout; the tally sheet can be read and printed once the meeting has closed and its tally is sealed.',
    'tally.heading': 'Tally sheet', 'tally.kind': 'Meeting', 'tally.date': 'Date', 'tally.host': 'Unit assessed', 'tally.ballots': 'Ballots',
    'tally.digest': 'Sealed digest', 'tally.check': 'Live tally check', 'tally.all': 'All voter groups together',
    'tally.monitor': 'Scrutineer (signature)', 'tally.counter': 'Teller (signature)', 'tally.signDate': 'Date'
  };
  function applyLang() {
    var els = D.querySelectorAll('[data-i18n]');
    for (var i = 0; i < els.length; i++) {
      var e = els[i], k = e.getAttribute('data-i18n');
      if (!EN[k]) continue;
      if (!e.hasAttribute('data-zh')) e.setAttribute('data-zh', e.textContent);
      e.textContent = C.lang() === 'en' ? EN[k] : e.getAttribute('data-zh');
    }
  }
  D.addEventListener('DOMContentLoaded', function () {
    applyLang();
    D.addEventListener('cp:lang', applyLang);
    var b = D.getElementById('print');
    if (b) b.addEventListener('click', function () { window.print(); });
  });
})();
