/* The tally sheet: a print button and the English switch. */
(function () {
  'use strict';
  var C = window.Ceping, D = document;
  C.extend({
    'run.back': 'Back to the meeting', 'tally.print': 'Print the tally sheet', 'tally.sealedTitle': 'No tally sheet yet',
    'tally.notYet': 'Voting has not closed. To keep the vote secret nobody sees any count while a meeting is open, only turnout; the tally sheet can be read and printed once the meeting has closed and its tally is sealed.',
    'tally.heading': 'Tally sheet', 'tally.kind': 'Meeting', 'tally.date': 'Date', 'tally.host': 'Unit assessed', 'tally.ballots': 'Ballots',
    'tally.digest': 'Sealed digest', 'tally.check': 'Live tally check', 'tally.all': 'All voter groups together',
    'tally.monitor': 'Scrutineer (signature)', 'tally.counter': 'Teller (signature)', 'tally.signDate': 'Date'
  });
  D.addEventListener('DOMContentLoaded', function () {
    var b = D.getElementById('print');
    if (b) b.addEventListener('click', function () { window.print(); });
  });
})();
