// The SMS settings page: how many billed segments the text takes, and in which
// encoding, counted as the template is edited (placeholders filled in with the
// page's example). Counts as clinic/messaging/segments.py does. A file, not an
// inline script: the Content-Security-Policy allows none.
(function () {
  "use strict";
  var BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";

  function count(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) {
      return BASIC.indexOf(c) >= 0 || EXTENSION.indexOf(c) >= 0;
    });
    var sizes = chars.map(function (c) {
      return gsm ? (EXTENSION.indexOf(c) >= 0 ? 2 : 1) : c.length;
    });
    var length = sizes.reduce(function (a, b) { return a + b; }, 0);
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    var segments = length ? 1 : 0;
    if (length > single) {
      var room = part;
      sizes.forEach(function (size) {
        if (size > room) {
          segments += 1;
          room = part;
        }
        room -= size;
      });
    }
    return { encoding: gsm ? "GSM-7" : "UCS-2", length: length, segments: segments };
  }

  var output = document.querySelector("[data-sms-segments]");
  var field = output && document.getElementById(output.dataset.field);
  if (!field) {
    return;
  }
  var example = JSON.parse(output.dataset.example || "{}");
  function update() {
    var text = field.value.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(example, name) ? example[name] : whole;
    });
    var result = count(text);
    output.querySelector("[data-segments-length]").textContent = String(result.length);
    output.querySelector("[data-segments-encoding]").textContent = result.encoding;
    output.querySelector("[data-segments-count]").textContent =
      result.segments + (result.segments === 1 ? " segment" : " segments");
  }
  field.addEventListener("input", update);
})();
