// Pure logic of the page (no DOM): time ranges, the period that fits one, and the batching of a
// view's widget queries into few POST /api/v1/metrics/query requests. Tested by node in
// tests/browser/queries.test.mjs.

export const RANGES = {
  '1h': 3600, '3h': 3 * 3600, '12h': 12 * 3600, '1d': 86400, '7d': 7 * 86400, '30d': 30 * 86400,
};

// Periods the page chooses among (seconds); every one a multiple of 60, as the API requires.
const NICE_PERIODS = [60, 300, 900, 3600, 10800, 21600, 86400];
// At most about this many points per series.
export const MAX_POINTS = 360;

// The smallest nice period that keeps a range of `seconds` within MAX_POINTS points.
export function fitPeriod(seconds) {
  for (const p of NICE_PERIODS) if (seconds / p <= MAX_POINTS) return p;
  return Math.ceil(seconds / MAX_POINTS / 86400) * 86400;
}

// {start, end} in epoch seconds for a named range ending now (end rounded up to the minute), or
// for a custom one.
export function rangeBounds(range, nowMs, custom) {
  if (range === 'custom' && custom) return { start: custom.start, end: custom.end };
  const end = Math.ceil(nowMs / 60000) * 60;
  return { start: end - (RANGES[range] || RANGES['1h']), end };
}

export function iso(seconds) {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

// Replaces every string equal to `placeholder` inside `value` (a JSON value), returning a copy.
export function substitute(value, placeholder, replacement) {
  if (typeof value === 'string') return value === placeholder ? replacement : value;
  if (Array.isArray(value)) return value.map((v) => substitute(v, placeholder, replacement));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, placeholder, replacement);
    return out;
  }
  return value;
}

// An expression with its query ids renamed (outside quoted strings) and every SEARCH's period
// set to `period`.
export function rewriteExpression(text, rename, period) {
  const parts = text.split(/('(?:[^'\\]|\\.)*')/);
  for (let i = 0; i < parts.length; i += 2) {
    parts[i] = parts[i].replace(/\b[a-z][A-Za-z0-9_]*\b/g, (id) => rename[id] || id);
  }
  let out = parts.join('');
  out = out.replace(/(SEARCH\(\s*'(?:[^'\\]|\\.)*'\s*,\s*'[^']*'\s*,\s*)(\d+)(\s*\))/g,
    (_, head, _p, tail) => `${head}${period}${tail}`);
  return out;
}

function basePeriodOf(q) {
  if (q.MetricStat) return q.MetricStat.Period || 60;
  const m = /SEARCH\([^)]*,\s*(\d+)\s*\)/.exec(q.Expression || '');
  if (m) return Number(m[1]);
  return q.Period || 60;
}

// The period a widget is drawn at: its own (largest) period, raised to fit the range.
export function widgetPeriod(widget, rangeSeconds) {
  const base = Math.max(...widget.queries.map(basePeriodOf));
  return Math.max(base, fitPeriod(rangeSeconds));
}

// The requests behind `widgets` (each {key, queries}) for `profile` over [start, end): one per
// distinct period, its StartTime and EndTime aligned to that period so whole periods are read.
// Query ids become "w<i>_<id>" so several widgets share a request. Returns
// [{period, start, end, body, widgets: [index…]}].
export function buildBatches(widgets, profile, bounds) {
  const span = bounds.end - bounds.start;
  const byPeriod = new Map();
  widgets.forEach((w, wi) => {
    const period = widgetPeriod(w, span);
    const rename = {};
    for (const q of w.queries) rename[q.Id] = `w${wi}_${q.Id}`;
    const queries = substitute(w.queries, '${profile}', profile).map((q) => {
      const out = { ...q, Id: rename[q.Id] };
      if (out.MetricStat) out.MetricStat = { ...out.MetricStat, Period: period };
      if (out.Expression) {
        out.Expression = rewriteExpression(out.Expression, rename, period);
        if (out.Period) out.Period = period;
      }
      return out;
    });
    if (!byPeriod.has(period)) byPeriod.set(period, { period, queries: [], widgets: [] });
    const b = byPeriod.get(period);
    b.queries.push(...queries);
    b.widgets.push(wi);
  });
  return [...byPeriod.values()].map((b) => {
    const start = Math.floor(bounds.start / b.period) * b.period;
    const end = Math.ceil(bounds.end / b.period) * b.period;
    return {
      period: b.period, start, end, widgets: b.widgets,
      body: {
        MetricDataQueries: b.queries, StartTime: iso(start), EndTime: iso(end),
        ScanBy: 'TimestampAscending',
      },
    };
  });
}

// The series of widget `wi` in a response's MetricDataResults: [{label, points: Map<t, v>}].
export function seriesOf(results, wi) {
  const prefix = `w${wi}_`;
  const out = [];
  for (const r of results) {
    if (!r.Id.startsWith(prefix)) continue;
    const points = new Map();
    r.Timestamps.forEach((t, i) => points.set(Date.parse(t) / 1000, r.Values[i]));
    out.push({ label: r.Label || r.Id.slice(prefix.length), points });
  }
  return out;
}

// Series on one x axis (every period start in [start, end)), missing points as 0; at most
// `maxSeries` series, the largest by total, the rest summed into "Other".
export function alignSeries(series, start, end, period, maxSeries = 10) {
  const xs = [];
  for (let t = start; t < end; t += period) xs.push(t);
  let rows = series.map((s) => {
    const ys = xs.map((x) => s.points.get(x) ?? 0);
    return { label: s.label, ys, total: ys.reduce((a, b) => a + b, 0) };
  });
  if (rows.length > maxSeries) {
    rows.sort((a, b) => b.total - a.total);
    const rest = rows.slice(maxSeries - 1);
    const ys = xs.map((_, i) => rest.reduce((a, r) => a + r.ys[i], 0));
    rows = rows.slice(0, maxSeries - 1);
    rows.push({ label: `Other (${rest.length})`, ys, total: ys.reduce((a, b) => a + b, 0) });
  }
  return { xs, rows };
}

// Filters profiles by a text: every word must appear in the name, id or a tag value.
export function filterProfiles(profiles, text) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return profiles;
  return profiles.filter((p) => {
    const hay = p._hay || (p._hay = [p.name, p.id, ...Object.values(p.tags || {})].join(' ').toLowerCase());
    return words.every((w) => hay.includes(w));
  });
}
