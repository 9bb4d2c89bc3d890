// After a refused submission: focus the error summary at the top of the page (templates/partials/error_summary.html),
// and make each of its links focus the field it names, with the field's label in view.
(function () {
  "use strict";

  function init() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!field) return;
      event.preventDefault();
      var holder = field.closest(".field, fieldset") || field;
      holder.scrollIntoView({ block: "start" });
      field.focus({ preventScroll: true });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
