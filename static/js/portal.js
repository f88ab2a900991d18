// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  // A second click cannot submit a paying form twice (the server's idempotency key stops it anyway).
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    if (form.dataset.submitted) { event.preventDefault(); }
    button.disabled = true;
  });
  form.dataset.submitted = "1";
  var confirmText = form.getAttribute("data-confirm");
  if (confirmText && !window.confirm(confirmText)) {
    event.preventDefault();
    delete form.dataset.submitted;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  }
});
