// The law catalogue's filter: hides the entries (and whole laws) whose text does not contain
// what is typed. Kept in a file so the page's Content-Security-Policy refuses inline scripts.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var filter = document.getElementById("law-filter");
    var none = document.getElementById("law-filter-none");
    if (!filter) {
      return;
    }
    var groups = Array.prototype.slice.call(document.querySelectorAll("section.instrument"));
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      var shown = 0;
      groups.forEach(function (group) {
        var inGroup = 0;
        var title = group.querySelector("h2").textContent.toLowerCase();
        group.querySelectorAll("section.law-entry").forEach(function (entry) {
          var match = !wanted || title.indexOf(wanted) >= 0 || entry.textContent.toLowerCase().indexOf(wanted) >= 0;
          entry.hidden = !match;
          inGroup += match ? 1 : 0;
        });
        group.hidden = inGroup === 0;
        shown += inGroup;
      });
      none.hidden = shown > 0;
    });
  });
})();
