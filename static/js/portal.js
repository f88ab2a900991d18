// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  // A second click cannot submit a paying form twice (the server's idempotency key stops it anyway).
  if (form.dataset.submitted) { event.preventDefault(); return; }
  var confirmText = form.getAttribute("data-confirm");
  if (confirmText && !window.confirm(confirmText)) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  // Disabled once the browser has read the form: a disabled button's name and value would be left
  // out of what is sent.
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
  }, 0);
});

// Back to a page kept in the browser's cache: its forms can be sent again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) { return; }
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
  });
});

// The error summary of a refused form takes the focus, so a screen reader reads it first and a
// keyboard continues from it; its links move the focus to the field and show the field's label.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var input = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!input) { return; }
    event.preventDefault();
    var legend = input.closest("fieldset") && input.closest("fieldset").querySelector("legend");
    var label = legend || document.querySelector("label[for='" + input.id + "']") || input;
    label.scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();

// A table too wide for its card: a responsive one is stacked, a row a card, as on a phone (site.css,
// table.responsive.stacked), rather than scroll sideways or break its words; measured again when the
// window changes size and once the fonts have come. Any other table wider than the screen scrolls
// inside its wrapper: keyboard users reach it with Tab and scroll it with the arrow keys.
(function () {
  var wraps = document.querySelectorAll(".table-wrap");
  if (!wraps.length) { return; }
  function fit() {
    wraps.forEach(function (wrap) {
      var table = wrap.querySelector("table.responsive");
      if (table) {
        table.classList.remove("stacked");
        if (wrap.scrollWidth > wrap.clientWidth) { table.classList.add("stacked"); }
      }
      var scrolls = wrap.scrollWidth > wrap.clientWidth;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.dataset.scrolls = "1";
      } else if (!scrolls && wrap.dataset.scrolls) {
        wrap.removeAttribute("tabindex");
        delete wrap.dataset.scrolls;
      }
    });
  }
  fit();
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fit(); });
  });
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fit); }
})();
