// "Copy link" buttons: copy the text of the element named by data-copy-target to the
// clipboard. A file, not an inline script: the Content-Security-Policy allows none.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copyTarget);
      if (!source || !navigator.clipboard) {
        return;
      }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.dataset.copiedText || "Copied";
      });
    });
  });
})();
