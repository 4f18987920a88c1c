// The alarm panel (grey INSUFFICIENT_DATA, red ALARM, no colour OK; history on click) and the
// chargeback table (GET /api/v1/usage by any grouping, CSV download).

import { api } from './api.js';

const STATE_TEXT = { ALARM: 'ALARM', INSUFFICIENT_DATA: 'INSUFFICIENT', OK: 'OK' };
const MAX_ALARM_ROWS = 300;

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function when(isoText) {
  if (!isoText) return '';
  const d = new Date(isoText);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// Draws `alarms` (the API's objects) into `container`, worst state first, then by name.
export function renderAlarms(container, alarms, emptyText) {
  container.replaceChildren();
  container.dataset.count = String(alarms.length);
  if (!alarms.length) {
    container.innerHTML = `<div class="empty">${escapeHtml(emptyText)}</div>`;
    return;
  }
  const rank = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };
  const sorted = [...alarms].sort((a, b) => (rank[a.StateValue] - rank[b.StateValue]) ||
    a.AlarmName.localeCompare(b.AlarmName));
  for (const a of sorted.slice(0, MAX_ALARM_ROWS)) {
    const row = document.createElement('div');
    row.className = 'alarm';
    row.dataset.alarm = a.AlarmName;
    row.dataset.state = a.StateValue;
    row.innerHTML = `<button type="button" aria-expanded="false">
        <span class="pill ${escapeHtml(a.StateValue)}">${STATE_TEXT[a.StateValue] || escapeHtml(a.StateValue)}</span>
        <span><div class="name"></div><div class="reason"></div></span>
        <span class="when"></span></button>`;
    row.querySelector('.name').textContent = a.AlarmName;
    row.querySelector('.reason').textContent = a.StateReason || '';
    row.querySelector('.when').textContent = when(a.StateUpdatedTimestamp);
    row.querySelector('button').addEventListener('click', () => toggleHistory(row, a.AlarmName));
    container.appendChild(row);
  }
  if (sorted.length > MAX_ALARM_ROWS) {
    const more = document.createElement('div');
    more.className = 'muted small';
    more.textContent = `${sorted.length - MAX_ALARM_ROWS} more; choose a state to narrow the list`;
    container.appendChild(more);
  }
}

async function toggleHistory(row, name) {
  const button = row.querySelector('button');
  const open = row.querySelector('.history');
  if (open) {
    open.remove();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  button.setAttribute('aria-expanded', 'true');
  const box = document.createElement('div');
  box.className = 'history';
  box.textContent = 'Loading history…';
  row.appendChild(box);
  try {
    const { items } = await api.alarmHistory(name);
    if (!items.length) {
      box.textContent = 'No history yet.';
      return;
    }
    box.innerHTML = '<ol></ol>';
    for (const it of items) {
      const li = document.createElement('li');
      li.dataset.type = it.HistoryItemType;
      li.innerHTML = '<span class="muted"></span><span></span>';
      li.children[0].textContent = when(it.Timestamp);
      li.children[1].textContent = it.HistorySummary;
      box.firstChild.appendChild(li);
    }
  } catch (e) {
    box.textContent = `History unavailable: ${e.message}`;
  }
}

const COLUMNS = [
  ['calls', 'Calls'], ['failures', 'Failures'], ['input_tokens', 'Input tokens'],
  ['output_tokens', 'Output tokens'], ['input_cost_usd', 'Input cost'],
  ['output_cost_usd', 'Output cost'], ['total_cost_usd', 'Total cost'],
];

function cell(key, v) {
  if (key.endsWith('_usd')) return `$${escapeHtml(v)}`;
  return Number(v).toLocaleString('en-US');
}

// Draws a usage report (GET /api/v1/usage's JSON) as a table into `container`.
export function renderChargeback(container, report, groupBy) {
  const byPeriod = report.granularity !== 'total';
  const head = `<tr><th>${escapeHtml(groupBy.replace(/^tag:/, ''))}</th>${byPeriod ? '<th>Period</th>' : ''}${
    COLUMNS.map(([, t]) => `<th>${t}</th>`).join('')}</tr>`;
  const rows = report.rows.map((r) => {
    const g = r.group[groupBy];
    return `<tr data-group="${escapeHtml(g ?? '(none)')}"${byPeriod ? ` data-period="${escapeHtml(r.period_start)}"` : ''}>
      <td>${g == null ? '<span class="muted">(none)</span>' : escapeHtml(g)}</td>
      ${byPeriod ? `<td>${escapeHtml(r.period_start.slice(0, 10))}</td>` : ''}
      ${COLUMNS.map(([k]) => `<td data-col="${k}">${cell(k, r[k])}</td>`).join('')}</tr>`;
  }).join('');
  const t = report.totals;
  const foot = `<tr data-totals><td>Total</td>${byPeriod ? '<td></td>' : ''}${
    COLUMNS.map(([k]) => `<td data-col="${k}">${cell(k, t[k])}</td>`).join('')}</tr>`;
  container.innerHTML = report.rows.length
    ? `<table><thead>${head}</thead><tbody>${rows}</tbody><tfoot>${foot}</tfoot></table>`
    : '<div class="empty">No calls were recorded in this range.</div>';
  Object.assign(container.dataset, {
    from: report.from, to: report.to, groupBy, granularity: report.granularity,
    totalCostUsd: t.total_cost_usd, calls: String(t.calls),
  });
}

// Starts a download of `text` as a file called `name`.
export function download(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
