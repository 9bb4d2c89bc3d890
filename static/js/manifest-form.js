// Draft form: add waste lines without reloading, and offer only the permits of the chosen facility site.
// Without JavaScript the form still works: one empty line is always offered, and the server checks the permit.
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function initLines(form) {
    var button = form.querySelector("[data-add-line]");
    var template = form.querySelector("template[data-line-template]");
    var container = form.querySelector("[data-lines]");
    var total = form.querySelector('input[name$="-TOTAL_FORMS"]');
    if (!button || !template || !container || !total) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var line = holder.firstElementChild;
      container.appendChild(line);
      total.value = String(index + 1);
      if (window.htmx) window.htmx.process(line);
      var first = line.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  }

  function initPermits(form) {
    var site = form.querySelector('select[name="facility_site"]');
    var permit = form.querySelector('select[name="permit"]');
    if (!site || !permit) return;
    function filter() {
      var chosen = site.value;
      var visible = [];
      each(permit.options, function (option) {
        if (!option.value) return;
        var show = !chosen || option.getAttribute("data-site") === chosen;
        option.hidden = !show;
        option.disabled = !show;
        if (show) visible.push(option);
      });
      var current = permit.options[permit.selectedIndex];
      if (current && current.value && current.disabled) permit.value = "";
      if (!permit.value && visible.length === 1) permit.value = visible[0].value;
    }
    site.addEventListener("change", filter);
    filter();
  }

  function init() {
    each(document.querySelectorAll("form[data-manifest-form]"), function (form) {
      initLines(form);
      initPermits(form);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
