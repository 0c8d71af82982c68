/* Filter the catalogue by family and by words; the data is inlined in the page (no fetch). */
(function () {
  "use strict";
  var node = document.getElementById("catalogue-data");
  if (!node) { return; }
  var data = JSON.parse(node.textContent);
  var bySlug = {};
  data.specimens.forEach(function (s) { bySlug[s.slug] = s; });
  var search = document.getElementById("search");
  var chips = Array.prototype.slice.call(document.querySelectorAll("[data-family-filter]"));
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card[data-slug]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll(".family[data-family]"));
  var count = document.getElementById("count");
  var empty = document.getElementById("empty");
  var family = "all";

  function words() {
    return search.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function apply() {
    var ws = words();
    var shown = 0;
    cards.forEach(function (card) {
      var s = bySlug[card.getAttribute("data-slug")];
      var ok = !!s && (family === "all" || s.family === family) &&
        ws.every(function (w) { return s.search.indexOf(w) !== -1; });
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    sections.forEach(function (sec) {
      sec.hidden = !sec.querySelector(".card:not([hidden])");
    });
    count.textContent = shown === cards.length ? cards.length + " plates"
      : shown + " of " + cards.length + " plates";
    empty.hidden = shown > 0;
  }

  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      family = chip.getAttribute("data-family-filter");
      chips.forEach(function (c) { c.setAttribute("aria-pressed", String(c === chip)); });
      apply();
    });
  });
  search.addEventListener("input", apply);
  apply();
}());
