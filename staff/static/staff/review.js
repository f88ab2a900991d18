// Draws the review charts from the JSON the page embeds; the table above holds the same facts.
(function () {
  if (!window.Chart) { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  // The charts' text is the page's: its typeface, its size (large type in elderly mode) and its ink.
  var page = window.getComputedStyle(document.body);
  Chart.defaults.font.family = page.fontFamily;
  Chart.defaults.font.size = parseFloat(window.getComputedStyle(document.documentElement).fontSize);
  Chart.defaults.color = page.color;
  var yuan = function (fen) { return fen / 100; };
  var make = function (id, type, labels, values, label) {
    new Chart(document.getElementById(id), {
      type: type,
      data: { labels: labels, datasets: [{ label: label, data: values,
        backgroundColor: type === "doughnut" ? ["#0b5cad", "#1d7a3e", "#a15c00", "#b3261e", "#5b6776", "#6a3d9a", "#00838f", "#f2b400"] : "#0b5cad" }] },
      // A bar chart a little taller than Chart.js's 2:1, so that large type leaves its bars room.
      options: { animation: false, aspectRatio: type === "doughnut" ? 1 : 1.5, plugins: { legend: { display: type === "doughnut" } } }
    });
  };
  make("chart-day", "bar", data.per_day.map(function (r) { return r.day; }), data.per_day.map(function (r) { return yuan(r.amount_fen); }), "¥");
  make("chart-region", "bar", data.per_region.map(function (r) { return r.region_name; }), data.per_region.map(function (r) { return yuan(r.amount_fen); }), "¥");
  make("chart-relation", "doughnut", data.per_relation.map(function (r) { return r.relation; }), data.per_relation.map(function (r) { return r.count; }), "");
})();
