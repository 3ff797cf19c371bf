// camreg pages: the little behaviour htmx does not cover. No inline scripts anywhere (CSP script-src 'self').
"use strict";
(function () {
  // 打印 buttons.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) { event.preventDefault(); window.print(); }
  });

  // A button that asks before it submits (data-confirm="…").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  // Long work (an import): say so while the server works, and do not let the form be sent twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute("data-busy");
    if (!text || event.defaultPrevented) { return; }
    var note = form.querySelector(".busy-note");
    if (note) { note.textContent = text; note.hidden = false; }
    var button = event.submitter;
    // After this turn: a button disabled now would not send its own name with the form.
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });

  // An htmx request the server refused (4xx/5xx): show its message where the list would be,
  // instead of silently leaving the old content (htmx does not swap error answers by default).
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    var box = document.createElement("div");
    box.className = "flash error";
    box.setAttribute("role", "alert");
    box.textContent = "请求未完成（" + event.detail.xhr.status + "）。请刷新页面后重试。";
    target.prepend(box);
  });

  window.camreg = window.camreg || {};
})();
