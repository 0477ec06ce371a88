// The 工作进度 page's charts: ECharts (static/vendor/echarts) drawn from the
// page's <script type="application/json" id="dashboard-charts"> block (the CSP
// allows no inline script). Each chart's figures are also the table under it.
(function () {
  "use strict";
  var COLOURS = ["#c62828", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#00838f"];

  function narrow() {
    return window.matchMedia("(max-width: 640px)").matches;
  }

  // More categories than the box holds side by side at their names' length (six
  // districts' full names on a phone): rows on a phone, slanted labels elsewhere.
  function crowded(chart, box) {
    var longest = chart.categories.reduce(function (most, name) {
      return Math.max(most, String(name).length);
    }, 0);
    var width = (box && box.clientWidth) || 600;
    return chart.categories.length > 6 || chart.categories.length * Math.min(longest, 9) * 13 > width - 60;
  }

  function option(chart, box) {
    var many = crowded(chart, box);
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
      tooltip: { trigger: "axis", axisPointer: { type: chart.line ? "line" : "shadow" } },
      legend: { top: 0, type: "scroll" },
      // the axis labels inside the grid: a city's figures (36,000) are wider than a margin
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? Object.assign({}, categoryAxis, { inverse: true }) : valueAxis,
      series: series,
    };
  }

  // As rows on a phone, a bar's height each; otherwise the stylesheet's height.
  function fit(box, chart) {
    var rows = narrow() && crowded(chart, box) && !chart.line;
    box.style.height = rows ? Math.max(240, chart.categories.length * 28 + 60) + "px" : "";
  }

  function draw() {
    var block = document.getElementById("dashboard-charts");
    if (!block || !window.echarts) return;
    var charts = JSON.parse(block.textContent);
    var drawn = [];
    charts.forEach(function (chart) {
      var box = document.querySelector('[data-chart="' + chart.key + '"]');
      if (!box) return;
      fit(box, chart);
      var instance = window.echarts.init(box, null, { renderer: "canvas" });
      instance.setOption(option(chart, box));
      drawn.push([instance, chart, box]);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        drawn.forEach(function (one) {
          fit(one[2], one[1]);
          one[0].setOption(option(one[1], one[2]), true);
          one[0].resize();
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
