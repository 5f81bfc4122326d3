// Draw every `.sparkline[data-points]` on the page as a tiny uPlot line (validation loss).
// uPlot is loaded on demand, once, only when the page has a sparkline.
(function () {
  "use strict";

  function draw(uPlot, element) {
    var values = (element.dataset.points || "").split(",").map(function (text) {
      var value = parseFloat(text);
      return isFinite(value) ? value : null;
    });
    if (!values.length || values.every(function (v) { return v === null; })) {
      element.textContent = "no history yet";
      return;
    }
    var epochs = values.map(function (_, i) { return i + 1; });
    new uPlot({
      width: 180, height: 40, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: "#3056d3", width: 1.5, spanGaps: true }],
    }, [epochs, values], element);
  }

  function start() {
    var elements = document.querySelectorAll(".sparkline[data-points]");
    if (!elements.length) { return; }
    var render = function () { elements.forEach(function (el) { draw(window.uPlot, el); }); };
    if (window.uPlot) { render(); return; }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/vendor/uplot/uPlot.min.css";
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = "/static/vendor/uplot/uPlot.iife.min.js";
    script.onload = render;
    script.onerror = function () {
      elements.forEach(function (el) { el.textContent = "(chart library not installed)"; });
    };
    document.head.appendChild(script);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
