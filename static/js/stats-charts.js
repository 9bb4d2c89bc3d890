/* Charts of the statistics pages: each <canvas data-chart="ID"> is drawn from the JSON of <script id="ID">
   (Django's json_script). The same figures are in the table under each chart. No inline script (CSP). */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "vi";
  var fmt = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : lang, { maximumFractionDigits: 0 });
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: data.type || "bar",
      data: { labels: data.labels, datasets: [{ label: data.label, data: data.values, backgroundColor: "#2f6f9f", borderColor: "#2f6f9f" }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { ticks: { callback: function (v) { return fmt.format(v); } } } },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmt.format(c.parsed.y); } } } }
      }
    });
    canvas.setAttribute("data-drawn", "1"); // for the browser tests, which cannot poll with eval under the CSP
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
