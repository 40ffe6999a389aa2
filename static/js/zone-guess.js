// A time zone box marked data-guess-zone starts at the browser's own zone, when the
// box is still empty and its list offers that zone. Without this script the box and
// its suggestions work the same; the person picks the zone themselves.
(function () {
  "use strict";
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("input[data-guess-zone]").forEach((input) => {
    const offered = input.list && Array.from(input.list.options).some((option) => option.value === zone);
    if (!input.value && offered) {
      input.value = zone;
    }
  });
})();
