(function () {
  "use strict";
  var all = document.getElementById("rl-select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('#rl-queue-table input[name="qid"]').forEach(function (cb) { cb.checked = all.checked; });
    });
  }
})();
