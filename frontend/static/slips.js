/* The slips print page: its 打印 button (the CSP allows no inline handler). */
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var b = document.getElementById('print-now');
    if (b) b.addEventListener('click', function () { window.print(); });
  });
})();
