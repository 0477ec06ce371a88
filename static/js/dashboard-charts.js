// The 工作进度 page's charts: ECharts (static/vendor/echarts) drawn from the
// page's <script type="application/json" id="dashboard-charts"> block (the CSP
// allows no inline script). Each chart's figures are also the table under it.
(function () {
  "use strict";
  var COLOURS = ["#c62828", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#00838f"];

  function narrow() {
    return window.matchMedia("(max-width: 640px)").matches;
  }

  function option(chart) {
    var many = chart.categories.length > 6;
    // long lists of children read better as rows on a phone; quarters stay a timeline
    var horizontal = narrow() && many && !chart.line;
    var categoryAxis = {
      type: "category",
      data: chart.categories,
      axisLabel: horizontal
        ? { width: 90, overflow: "truncate" }
        : { interval: 0, rotate: many ? 40 : 0, width: 110, overflow: "truncate" },
    };
    var valueAxis = {
      type: "value",
      minInterval: chart.percent ? 0 : 1,
      max: chart.percent ? 100 : null,
      axisLabel: { formatter: chart.percent ? "{value}%" : "{value}" },
    };
    var series = chart.series.map(function (s, i) {
      var one = chart.line
        ? { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 7 }
        : { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 };
      if (chart.stacked) one.stack = "all";
      if (i === 0 && chart.target !== null && chart.target !== undefined) {
        one.markLine = {
          symbol: "none",
          lineStyle: { color: "#c62828", type: "dashed", width: 2 },
          // the category axis runs downwards on a phone: the line starts at the top
          label: {
            formatter: "目标 " + chart.target + "%",
            position: horizontal ? "start" : "insideEndTop",
          },
          data: [horizontal ? { xAxis: chart.target } : { yAxis: chart.target }],
        };
      }
      return one;
    });
    return {
      color: COLOURS,
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: {
        left: horizontal ? 100 : 40,
        right: 24,
        top: 32,
        bottom: horizontal ? 24 : many ? 90 : 30,
        containLabel: false,
      },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? Object.assign({}, categoryAxis, { inverse: true }) : valueAxis,
      series: series,
    };
  }

  function draw() {
    var block = document.getElementById("dashboard-charts");
    if (!block || !window.echarts) return;
    var charts = JSON.parse(block.textContent);
    var drawn = [];
    charts.forEach(function (chart) {
      var box = document.querySelector('[data-chart="' + chart.key + '"]');
      if (!box) return;
      if (narrow() && chart.categories.length > 6 && !chart.line) {
        box.style.height = Math.max(240, chart.categories.length * 28 + 60) + "px";
      }
      var instance = window.echarts.init(box, null, { renderer: "canvas" });
      instance.setOption(option(chart));
      drawn.push([instance, chart]);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        drawn.forEach(function (pair) {
          pair[0].setOption(option(pair[1]), true);
          pair[0].resize();
        });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
