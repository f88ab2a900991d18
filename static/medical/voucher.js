// The 医保码 page: the next code a few seconds before this one expires, and on the Refresh button,
// without reloading the page. Without this file the button asks for the page with a new code.
(function () {
  "use strict";
  var card = document.querySelector("[data-voucher]");
  var form = document.getElementById("voucher-refresh");
  if (!card || !form || !window.fetch || !window.FormData) { return; }
  var image = document.getElementById("voucher-qr");
  var digits = document.getElementById("voucher-digits");
  var expires = document.getElementById("voucher-expires");
  var expired = document.getElementById("voucher-expired");
  var status = document.getElementById("voucher-status");
  // Codes come by themselves for about ten minutes after the reader last touched the page: a phone
  // left open in a pocket does not ask for one a minute all day.
  var AUTOMATIC = 10;
  var automaticLeft = AUTOMATIC;
  var refreshTimer = null;
  var expiryTimer = null;
  var busy = false;
  var due = false;

  // Timed from when the code came, not from the clocks: a phone's clock may be wrong.
  function schedule(refreshSeconds, validSeconds) {
    window.clearTimeout(refreshTimer);
    window.clearTimeout(expiryTimer);
    refreshTimer = window.setTimeout(automatic, refreshSeconds * 1000);
    expiryTimer = window.setTimeout(showExpired, validSeconds * 1000);
  }

  function showExpired() {
    card.classList.add("expired");
    expired.hidden = false;
  }

  function automatic() {
    if (document.hidden) { due = true; return; }  // asked for once the page is seen again
    if (automaticLeft <= 0) { return; }
    automaticLeft -= 1;
    refresh(false);
  }

  function refresh(announce) {
    if (busy) { return; }
    busy = true;
    due = false;
    var body = new FormData(form);
    window.fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json || !response.ok) {
        // Signed out, or no allowance left: the page itself says what to do.
        window.location.reload();
        return;
      }
      return response.json().then(function (voucher) {
        image.src = voucher.qr;
        digits.textContent = voucher.code_grouped;
        expires.textContent = voucher.expires_time;
        card.classList.remove("expired");
        expired.hidden = true;
        status.textContent = announce ? card.getAttribute("data-refreshed-text") : "";
        schedule(voucher.refresh_after, voucher.valid_seconds);
      });
    }).catch(function () {
      status.textContent = card.getAttribute("data-failed-text");
    }).then(function () {
      busy = false;
    });
  }

  form.addEventListener("submit", function (event) {
    // Handled here: portal.js would otherwise mark the form as sent and disable its button for good.
    event.preventDefault();
    event.stopPropagation();
    automaticLeft = AUTOMATIC;
    refresh(true);
  });
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { automaticLeft = AUTOMATIC; }, { passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && (due || card.classList.contains("expired"))) {
      automaticLeft = AUTOMATIC;
      refresh(false);
    }
  });
  schedule(Number(card.getAttribute("data-refresh-after")), Number(card.getAttribute("data-valid-seconds")));
})();
