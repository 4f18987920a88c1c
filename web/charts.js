// One widget: a card with a uPlot chart (lines, bars or stacked bars) and a legend of totals
// over the range. The legend's numbers are also in data-total attributes (the tests read them).

import { alignSeries } from './queries.js';

/* global uPlot */

export const PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6',
  '#ec4899', '#14b8a6', '#84cc16', '#f97316', '#64748b'];
// Fixed colours for the seed's series, so a metric looks the same in every widget.
const NAMED = {
  'Input tokens': '#4f46e5', 'Output tokens': '#0ea5e9', Tokens: '#4f46e5',
  'Input cost': '#4f46e5', 'Output cost': '#0ea5e9', Success: '#10b981', Failure: '#ef4444',
};

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatValue(v, unit) {
  if (v == null || Number.isNaN(v)) return '–';
  if (unit === 'usd') {
    const digits = Math.abs(v) >= 100 ? 2 : Math.abs(v) >= 1 ? 4 : 6;
    return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
  }
  if (Number.isInteger(v)) return intFmt.format(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function compact(v, unit) {
  if (unit === 'usd') return `$${v >= 1 || v === 0 ? +v.toFixed(2) : +v.toPrecision(2)}`;
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function periodText(p) {
  if (p % 86400 === 0) return p === 86400 ? '1 day' : `${p / 86400} days`;
  if (p % 3600 === 0) return `${p / 3600} h`;
  return `${p / 60} min`;
}

// A card for `widget` in `parent`; returns {setLoading, setError, render}.
export function createWidget(parent, widget) {
  const card = document.createElement('article');
  card.className = 'widget';
  card.dataset.widget = widget.key;
  card.innerHTML = `<div class="widget-head"><h2></h2><span class="period"></span></div>
    <div class="chart loading"><div class="state">Loading…</div></div><div class="legend"></div>`;
  card.querySelector('h2').textContent = widget.title;
  parent.appendChild(card);
  const chartEl = card.querySelector('.chart');
  const stateEl = card.querySelector('.state');
  const legendEl = card.querySelector('.legend');
  let plot = null;
  let rows = [];
  let resizeObserver = null;
  chartEl.addEventListener('mouseleave', () => legend(null));

  const setState = (cls, text) => {
    chartEl.classList.toggle('loading', cls === 'loading');
    card.dataset.state = cls;
    stateEl.textContent = text;
    stateEl.hidden = !text;
  };

  function legend(idx) {
    legendEl.replaceChildren(...rows.map((r, i) => {
      const item = document.createElement('span');
      item.className = 'item';
      item.dataset.series = r.label;
      item.dataset.total = String(r.total);
      const v = idx == null ? r.total : r.ys[idx];
      item.innerHTML = '<span class="swatch"></span><span class="lab"></span><span class="num"></span>';
      item.querySelector('.swatch').style.background = r.color;
      item.querySelector('.lab').textContent = r.label;
      item.querySelector('.num').textContent = formatValue(v, widget.unit);
      item.title = idx == null ? 'Total over the range' : 'At the cursor';
      return item;
    }));
  }

  function render(series, start, end, period) {
    const aligned = alignSeries(series, start, end, period);
    rows = aligned.rows.map((r, i) => ({ ...r, color: NAMED[r.label] || PALETTE[i % PALETTE.length] }));
    card.querySelector('.period').textContent = `per ${periodText(period)}`;
    card.dataset.total = String(rows.reduce((a, r) => a + r.total, 0));
    legend(null);
    if (plot) { plot.destroy(); plot = null; }
    if (!rows.length || rows.every((r) => r.total === 0)) {
      setState('empty', 'No data in this range');
      return;
    }
    setState('ready', '');
    const bars = widget.view === 'bar';
    const stacked = bars && widget.stacked;
    // Stacked: each series drawn at its cumulative height, tallest first, so each band shows.
    let drawn = rows.map((r) => r.ys);
    if (stacked) {
      const acc = rows.map(() => []);
      aligned.xs.forEach((_, j) => {
        let sum = 0;
        rows.forEach((r, i) => { sum += r.ys[j]; acc[i][j] = sum; });
      });
      drawn = acc;
    }
    const order = stacked ? rows.map((_, i) => rows.length - 1 - i) : rows.map((_, i) => i);
    const barPath = bars ? uPlot.paths.bars({ size: [0.7, 64], align: 0 }) : null;
    const width = Math.max(chartEl.clientWidth, 240);
    const pad = bars || aligned.xs.length === 1 ? period / 2 : 0;
    const xLo = aligned.xs[0] - pad;
    const xHi = aligned.xs[aligned.xs.length - 1] + pad;
    const opts = {
      width, height: 200,
      legend: { show: false },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      // The whole range on the x axis, bars centred on their periods and never cut at the edges.
      scales: {
        x: { time: true, range: () => [xLo, xHi] },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: '#6b7280', grid: { stroke: '#f1f2f4' }, ticks: { stroke: '#e5e7eb' }, font: '11px system-ui', space: 60 },
        {
          stroke: '#6b7280', grid: { stroke: '#f1f2f4' }, ticks: { show: false }, font: '11px system-ui',
          values: (u, vals) => vals.map((v) => compact(v, widget.unit)),
          size: (u, vals) => (vals ? Math.max(36, Math.max(...vals.map((v) => v.length)) * 7 + 18) : 36),
        },
      ],
      series: [{}, ...order.map((i) => {
        const s = {
          label: rows[i].label, stroke: rows[i].color, width: bars ? 0 : 2,
          fill: bars ? rows[i].color : `${rows[i].color}14`,
          points: { show: !bars && aligned.xs.length <= 60 },
        };
        if (barPath) s.paths = barPath;
        return s;
      })],
      hooks: { setCursor: [(u) => legend(u.cursor.idx)] },
    };
    const data = [aligned.xs, ...order.map((i) => drawn[i])];
    plot = new uPlot(opts, data, chartEl);
    if (!resizeObserver) {
      resizeObserver = new ResizeObserver(() => {
        if (plot && chartEl.clientWidth && Math.abs(plot.width - chartEl.clientWidth) > 4) {
          plot.setSize({ width: chartEl.clientWidth, height: 200 });
        }
      });
      resizeObserver.observe(chartEl);
    }
  }

  return {
    el: card,
    setLoading() { if (!plot) setState('loading', 'Loading…'); },
    setError(message) {
      if (plot) { plot.destroy(); plot = null; }
      rows = [];
      legendEl.replaceChildren();
      setState('error', message);
    },
    render,
    destroy() { if (plot) plot.destroy(); if (resizeObserver) resizeObserver.disconnect(); card.remove(); },
  };
}
