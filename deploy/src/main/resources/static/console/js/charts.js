// ECharts (the WebJar loaded by index.html as a classic script) behind two helpers; every chart made here is
// resized with the window and disposed when the page changes.

const charts = new Set();

window.addEventListener('resize', () => charts.forEach(chart => chart.resize()));

function make(el) {
  if (!window.echarts) {
    el.textContent = 'Charts are not available (ECharts did not load).';
    return null;
  }
  const chart = window.echarts.init(el, null, { renderer: 'canvas' });
  charts.add(chart);
  return chart;
}

export function disposeCharts() {
  charts.forEach(chart => chart.dispose());
  charts.clear();
}

/** A chart in `el` with the options every chart here shares (title, tooltip, no animation, ARIA) and `options`. */
function draw(el, title, options) {
  const chart = make(el);
  if (!chart) {
    return null;
  }
  chart.setOption({
    title: { text: title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    aria: { enabled: true },
    animation: false,
    ...options,
  });
  return chart;
}

/** A bar chart of {label, value} pairs. */
export function barChart(el, title, pairs) {
  return draw(el, title, {
    grid: { left: 8, right: 8, top: 34, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: pairs.map(p => p.label), axisLabel: { interval: 0, rotate: pairs.length > 2 ? 30 : 0, fontSize: 11 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: pairs.map(p => p.value), itemStyle: { color: '#1f5f8b' } }],
  });
}

/** A line chart over time: series is {name: [[isoTime, number], …]}; range {from, to} fixes the time axis. */
export function timeChart(el, title, series, range = {}) {
  return draw(el, title, {
    legend: { top: 22, type: 'scroll' },
    grid: { left: 40, right: 16, top: 60, bottom: 30, containLabel: true },
    xAxis: { type: 'time', min: range.from, max: range.to },
    yAxis: { type: 'value', scale: true },
    series: Object.entries(series).map(([name, points]) => ({ name, type: 'line', showSymbol: points.length < 40, data: points })),
  });
}
