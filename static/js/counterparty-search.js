// Draft form: a party select with too many choices to list (every generator site of the country, every
// facility) lists only the chosen one; a search box before it asks the server for the user's permitted choices
// (manifests:counterparties) and fills the select with the matches. The permit list follows the chosen
// facility site. Few choices: a plain select (no search box), which works without JavaScript.
(function () {
  "use strict";

  function fill(select, results, keepChosen) {
    var chosen = select.value;
    var empty = select.options.length && !select.options[0].value ? select.options[0] : null;
    var kept = keepChosen && chosen ? select.querySelector('option[value="' + chosen + '"]') : null;
    while (select.options.length) select.remove(0);
    if (empty) select.add(empty);
    if (kept) select.add(kept);
    results.forEach(function (result) {
      if (kept && String(result.value) === chosen) return;
      var option = new Option(result.label, String(result.value));
      if (result.site !== undefined) option.setAttribute("data-site", String(result.site));
      select.add(option);
    });
    select.value = kept ? chosen : "";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function ask(url, select, keepChosen) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { fill(select, data.results, keepChosen); })
      .catch(function () { /* offline: the select keeps what it has */ });
  }

  function initSearch(select) {
    var url = select.getAttribute("data-counterparty-search");
    if (select.name === "permit") return; // filled from the chosen facility site (below)
    var box = document.createElement("input");
    box.type = "search";
    box.className = "counterparty-search";
    box.setAttribute("autocomplete", "off");
    box.setAttribute("aria-controls", select.id);
    var label = document.querySelector('label[for="' + select.id + '"]');
    box.setAttribute("aria-label", (label ? label.textContent.trim() + " – " : "") + (select.getAttribute("data-search-label") || "search"));
    box.placeholder = select.getAttribute("data-search-placeholder") || "";
    select.parentNode.insertBefore(box, select);
    var timer = null;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var query = box.value.trim();
      if (query.length < 2) return;
      timer = setTimeout(function () { ask(url + "&q=" + encodeURIComponent(query), select, true); }, 250);
    });
  }

  function initPermits(form) {
    var permit = form.querySelector('select[name="permit"][data-counterparty-search]');
    var site = form.querySelector('select[name="facility_site"]');
    if (!permit || !site) return;
    site.addEventListener("change", function () {
      if (!site.value) return;
      ask(permit.getAttribute("data-counterparty-search") + "&site=" + encodeURIComponent(site.value), permit, true);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-counterparty-search]").forEach(initSearch);
    document.querySelectorAll("form[data-manifest-form]").forEach(initPermits);
  });
})();
