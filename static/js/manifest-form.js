// Draft form: add waste lines without reloading, offer only the permits of the chosen facility site, and name
// each waste code as soon as it is picked.
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

  // The name of the waste code beside its input as soon as a code is picked or typed: from the suggestions list
  // (<datalist id="waste-code-options">, refilled by htmx as one types), else from the same search on the server.
  function digits(text) { return (text || "").replace(/\D/g, ""); }

  function nameFrom(options, value) {
    var wanted = digits(value);
    if (wanted.length !== 6) return null;
    for (var i = 0; i < options.length; i++) {
      if (digits(options[i].value) === wanted) return options[i].textContent.trim();
    }
    return null;
  }

  function initCodeNames(form) {
    var list = document.getElementById("waste-code-options");
    if (!list) return;
    var asked = {};

    function output(input) { return document.getElementById(input.id + "_name"); }

    function lookUp(input) {
      var out = output(input);
      var wanted = digits(input.value);
      var url = input.getAttribute("hx-get");
      if (!out || !url || asked[wanted] || !window.fetch) return;
      asked[wanted] = true;
      fetch(url + "?q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var holder = document.createElement("datalist");
          holder.innerHTML = html;
          var name = nameFrom(holder.options, input.value);
          if (name && digits(input.value) === wanted) out.textContent = name;
        })
        .catch(function () { asked[wanted] = false; });
    }

    function show(input, ask) {
      var out = output(input);
      if (!out) return;
      var name = nameFrom(list.options, input.value);
      out.textContent = name || "";
      if (!name && ask && digits(input.value).length === 6) lookUp(input);
    }

    function codeInputs() { return form.querySelectorAll("input[list='waste-code-options']"); }

    form.addEventListener("input", function (event) {
      if (event.target.matches("input[list='waste-code-options']")) show(event.target, false);
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches("input[list='waste-code-options']")) show(event.target, true);
    });
    // The suggestions were refilled: names the list did not hold a moment ago may be there now.
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target === list) each(codeInputs(), function (input) { if (!output(input) || !output(input).textContent) show(input, false); });
    });
    each(codeInputs(), function (input) { if (input.value && output(input) && !output(input).textContent) show(input, true); });
  }

  function init() {
    each(document.querySelectorAll("form[data-manifest-form]"), function (form) {
      initLines(form);
      initPermits(form);
      initCodeNames(form);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
