// The slip's print button: shown only where a script can print (the browser's own print works anyway).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
