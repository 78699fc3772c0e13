// The 办理单's 打印 button (a script file: the pages' CSP allows no inline handlers).
(function () {
  'use strict';
  const button = document.getElementById('print');
  if (button) button.addEventListener('click', () => window.print());
})();
