/* The blank paper form: its print button (no inline handlers under the CSP). */
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var b = document.getElementById('print');
    if (b) b.addEventListener('click', function () { window.print(); });
  });
})();
