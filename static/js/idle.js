// After the idle timeout, reload: the server has signed the user out by then and
// answers with the login page, so patient data does not stay on an abandoned screen.
// The server enforces the timeout on its own; this only makes the screen follow it.
(function () {
  "use strict";
  var seconds = parseInt(document.body.dataset.idleTimeoutSeconds || "", 10);
  if (!seconds || seconds < 1) {
    return;
  }
  window.setTimeout(function () {
    // A fresh GET, not reload(): reloading a page rendered from a POST would resubmit it.
    window.location.assign(window.location.href);
  }, (seconds + 5) * 1000);
})();
