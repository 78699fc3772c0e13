// The leaders' charts (web/leaders.py): drawn from the page's JSON, each bar opening the list it counts.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("leaders-data").textContent);
  var font = "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";

  function chart(id, option, links) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) { return; }
    var drawn = window.echarts.init(element, null, { renderer: "svg" });
    option.textStyle = { fontFamily: font };
    option.animation = false;
    drawn.setOption(option);
    drawn.on("click", function (params) {
      var list = links[params.seriesIndex] || links[0];
      if (list && list[params.dataIndex]) { window.location.href = list[params.dataIndex]; }
    });
    window.addEventListener("resize", function () { drawn.resize(); });
  }

  var axisLabel = { interval: 0, rotate: 30, width: 110, overflow: "truncate" };
  if (data.units.names.length) {
    chart("chart-units", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: ["红牌（逾期）", "黄牌（临期）"] },
      grid: { left: 40, right: 10, top: 36, bottom: 90 },
      xAxis: { type: "category", data: data.units.names, axisLabel: axisLabel },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "红牌（逾期）", type: "bar", data: data.units.red, itemStyle: { color: "#c0392b" } },
        { name: "黄牌（临期）", type: "bar", data: data.units.yellow, itemStyle: { color: "#d4a017" } }
      ]
    }, [data.units.red_links, data.units.yellow_links]);
  }
  if (data.rates.names.length) {
    chart("chart-rates", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 50, right: 10, bottom: 90 },
      xAxis: { type: "category", data: data.rates.names, axisLabel: axisLabel },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: "按时办结率", type: "bar", data: data.rates.rate, itemStyle: { color: "#2e7d32" },
                 label: { show: true, position: "top", formatter: "{c}%" } }]
    }, [data.rates.links]);
  }
}());
