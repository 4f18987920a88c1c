// costgate's dashboard: sign-in, the four views, time range and auto-refresh. What a key may
// see is the server's decision; the page shows what the API returns.

import { api, ApiError, session } from './api.js';
import { createWidget } from './charts.js';
import { renderAlarms, renderChargeback, download, escapeHtml } from './panels.js';
import { buildBatches, filterProfiles, iso, rangeBounds, seriesOf } from './queries.js';

const $ = (id) => document.getElementById(id);
const MAX_LISTED = 200;
const REFRESH_MS = 30000;

const state = {
  profiles: [],
  dashboard: null,
  view: 'profile',
  profile: null,
  range: sessionStorage.getItem('costgate.range') || '1h',
  custom: null,
  widgets: { profile: [], overview: [] },
  generation: 0, // bumps on every load, so a late answer for an old view is dropped
};

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

// ---- sign-in ----

function showSignIn(message) {
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').hidden = !message;
  $('signin-error').textContent = message || '';
  $('signin-key').value = '';
  $('signin-key').focus();
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  session.key = $('signin-key').value.trim();
  $('signin-submit').disabled = true;
  try {
    await start();
  } finally {
    $('signin-submit').disabled = false;
  }
});

$('signout').addEventListener('click', () => {
  session.key = '';
  state.profiles = [];
  state.dashboard = null;
  showSignIn('');
});

function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    session.key = '';
    showSignIn('That key was refused: it is unknown or revoked.');
    return true;
  }
  return false;
}

async function start() {
  try {
    const [profiles, list] = await Promise.all([api.profiles(), api.dashboards()]);
    state.profiles = profiles.profiles;
    const wanted = new URLSearchParams(location.search).get('dashboard');
    const name = wanted || list.dashboards[0];
    state.dashboard = name ? await api.dashboard(name) : null;
  } catch (e) {
    if (!failed(e)) showSignIn(e.message);
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').textContent = `${state.profiles.length} profile${state.profiles.length === 1 ? '' : 's'} visible`;
  document.title = state.dashboard ? `${state.dashboard.title} · costgate` : 'costgate';
  // A link from an alarm message names its profile (?profile=NAME); else the last one chosen.
  const linked = new URLSearchParams(location.search).get('profile');
  const saved = sessionStorage.getItem('costgate.profile');
  state.profile = state.profiles.find((p) => p.name === linked) ||
    state.profiles.find((p) => p.name === saved) || state.profiles[0] || null;
  buildWidgets();
  fillGroupBy();
  renderProfileList();
  showView(viewFromHash());
}

// ---- views ----

function viewFromHash() {
  const v = location.hash.slice(1);
  return ['profile', 'overview', 'alarms', 'chargeback'].includes(v) ? v : 'profile';
}

function showView(view) {
  state.view = view;
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('active', a.dataset.view === view);
  for (const v of ['profile', 'overview', 'alarms', 'chargeback']) $(`view-${v}`).hidden = v !== view;
  load();
}

window.addEventListener('hashchange', () => { if (!$('app').hidden) showView(viewFromHash()); });

function buildWidgets() {
  for (const scope of ['profile', 'overview']) {
    state.widgets[scope].forEach((w) => w.destroy());
    state.widgets[scope] = [];
  }
  const defs = state.dashboard ? state.dashboard.widgets : [];
  for (const def of defs) {
    const scope = def.scope === 'profile' ? 'profile' : 'overview';
    const parent = $(scope === 'profile' ? 'profile-widgets' : 'overview-widgets');
    state.widgets[scope].push({ def, ...createWidget(parent, def) });
  }
  if (!defs.length) {
    $('profile-widgets').innerHTML = '<div class="empty">No dashboard is defined: run <code>costgate setup</code>.</div>';
  }
}

function bounds() {
  return rangeBounds(state.range, Date.now(), state.custom);
}

function load() {
  const gen = ++state.generation;
  const b = bounds();
  $('range-label').textContent = `${iso(b.start).slice(0, 16).replace('T', ' ')} → ${iso(b.end).slice(0, 16).replace('T', ' ')} UTC`;
  const loaders = { profile: loadProfile, overview: loadOverview, alarms: loadAlarms, chargeback: loadChargeback };
  loaders[state.view](gen, b).catch((e) => { if (!failed(e)) toast(e.message); });
}

const current = (gen) => gen === state.generation;

// Runs a view's widgets: one metrics request per distinct period.
async function loadWidgets(gen, widgets, profileName, b) {
  widgets.forEach((w) => w.setLoading());
  const batches = buildBatches(widgets.map((w) => w.def), profileName, b);
  await Promise.all(batches.map(async (batch) => {
    try {
      const res = await api.metrics(batch.body);
      if (!current(gen)) return;
      for (const wi of batch.widgets) {
        widgets[wi].render(seriesOf(res.MetricDataResults, wi), batch.start, batch.end, batch.period);
      }
    } catch (e) {
      if (failed(e) || !current(gen)) return;
      for (const wi of batch.widgets) widgets[wi].setError(e.message);
    }
  }));
}

function stat(label, value, attrs, title) {
  const data = Object.entries(attrs).map(([k, v]) => `data-${k}="${escapeHtml(v)}"`).join(' ');
  return `<div class="stat" ${data}><div class="label">${label}</div>
    <div class="value" title="${escapeHtml(title || value)}">${escapeHtml(value)}</div></div>`;
}

function usd(exact) {
  const n = Number(exact);
  const digits = n >= 100 ? 2 : n >= 1 ? 4 : 6;
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

function renderTotals(container, t) {
  container.innerHTML = [
    stat('Requests', t.calls.toLocaleString('en-US'), { calls: t.calls, failures: t.failures },
      `${t.failures} failed`),
    stat('Input tokens', t.input_tokens.toLocaleString('en-US'), { 'input-tokens': t.input_tokens }),
    stat('Output tokens', t.output_tokens.toLocaleString('en-US'), { 'output-tokens': t.output_tokens }),
    stat('Cost', usd(t.total_cost_usd), { 'cost-usd': t.total_cost_usd }, `$${t.total_cost_usd} exactly`),
  ].join('');
  container.dataset.loaded = 'true';
}

async function loadTotals(gen, container, params, b) {
  container.dataset.loaded = 'false';
  if (!container.children.length) {
    renderTotals(container, { calls: 0, failures: 0, input_tokens: 0, output_tokens: 0, total_cost_usd: '0' });
    container.querySelectorAll('.value').forEach((v) => v.classList.add('loading'));
    container.dataset.loaded = 'false';
  }
  const report = await api.usage({ ...params, from: iso(b.start), to: iso(b.end) });
  if (current(gen)) renderTotals(container, report.totals);
}

async function loadAlarmList(gen, container, params, emptyText) {
  try {
    const { alarms } = await api.alarms(params);
    if (!current(gen)) return null;
    renderAlarms(container, alarms, emptyText);
    return alarms;
  } catch (e) {
    if (failed(e) || !current(gen)) return null;
    container.dataset.count = '';
    container.innerHTML = e.status === 404 && e.type === 'not_found'
      ? '<div class="empty" data-unavailable>Alarms are unavailable on this server.</div>'
      : `<div class="empty">Alarms could not be read: ${escapeHtml(e.message)}</div>`;
    return null;
  }
}

function setBadge(alarms) {
  if (!alarms) return;
  const n = alarms.filter((a) => a.StateValue === 'ALARM').length;
  $('alarm-badge').hidden = !n;
  $('alarm-badge').textContent = String(n);
}

async function loadProfile(gen, b) {
  const p = state.profile;
  $('profile-name').textContent = p ? p.name : 'No profiles';
  $('profile-meta').textContent = p
    ? [p.model, p.region, p.tags.TenantID && `tenant ${p.tags.TenantID}`, p.id].filter(Boolean).join(' · ')
    : 'This key sees no profiles.';
  $('view-profile').dataset.profile = p ? p.name : '';
  if (!p) return;
  await Promise.all([
    loadWidgets(gen, state.widgets.profile, p.name, b),
    loadTotals(gen, $('totals'), { profile: p.id }, b),
    loadAlarmList(gen, $('profile-alarms'), { profile: p.name }, 'No alarms watch this profile.'),
  ]);
}

async function loadOverview(gen, b) {
  await Promise.all([
    loadWidgets(gen, state.widgets.overview, '', b),
    loadTotals(gen, $('overview-totals'), {}, b),
  ]);
}

let alarmFilter = '';
async function loadAlarms(gen) {
  const alarms = await loadAlarmList(gen, $('all-alarms'), alarmFilter ? { state: alarmFilter } : null,
    alarmFilter ? 'No alarm is in this state.' : 'No alarms are defined.');
  if (!alarmFilter) setBadge(alarms);
}

$('alarm-filter').addEventListener('click', (e) => {
  const s = e.target.closest('button');
  if (!s) return;
  alarmFilter = s.dataset.state;
  for (const x of $('alarm-filter').children) x.classList.toggle('active', x === s);
  load();
});

// ---- chargeback ----

function fillGroupBy() {
  const keys = new Set();
  for (const p of state.profiles) for (const k of Object.keys(p.tags)) keys.add(k);
  const options = [...[...keys].sort().map((k) => `tag:${k}`), 'profile', 'model', 'region'];
  const preferred = state.dashboard?.chargeback?.group_by;
  const sel = $('group-by');
  sel.innerHTML = options.map((o) => `<option value="${escapeHtml(o)}">${escapeHtml(o.replace(/^tag:/, ''))}</option>`).join('');
  sel.value = options.includes(preferred) ? preferred : options[0];
}

function chargebackParams(b) {
  return { from: iso(b.start), to: iso(b.end), group_by: $('group-by').value, granularity: $('granularity').value };
}

async function loadChargeback(gen, b) {
  const params = chargebackParams(b);
  const box = $('chargeback-table');
  box.dataset.loaded = 'false';
  if (!box.children.length) box.innerHTML = '<div class="empty">Loading…</div>';
  const report = await api.usage(params);
  if (current(gen)) {
    renderChargeback(box, report, params.group_by);
    box.dataset.loaded = 'true';
  }
}

$('group-by').addEventListener('change', load);
$('granularity').addEventListener('change', load);
$('csv').addEventListener('click', async () => {
  const box = $('chargeback-table');
  // The file covers exactly the range and grouping on screen.
  const params = box.dataset.from
    ? { from: box.dataset.from, to: box.dataset.to, group_by: box.dataset.groupBy, granularity: box.dataset.granularity }
    : chargebackParams(bounds());
  try {
    const csv = await api.usageCsv(params);
    const stamp = (t) => t.replace(/[-:]/g, '').replace('.000', '');
    download(`costgate-chargeback-${params.group_by.replace(/[^A-Za-z0-9]+/g, '_')}-${stamp(params.from)}-${stamp(params.to)}.csv`, csv);
  } catch (e) {
    if (!failed(e)) toast(e.message);
  }
});

// ---- profile picker ----

function renderProfileList() {
  const t0 = performance.now();
  const text = $('profile-filter').value;
  const matches = filterProfiles(state.profiles, text);
  const shown = matches.slice(0, MAX_LISTED);
  const html = shown.map((p) => {
    const sub = [p.tags.TenantID, p.model].filter(Boolean).join(' · ');
    return `<li role="option" data-name="${escapeHtml(p.name)}" aria-selected="${p === state.profile}">
      <span class="name">${escapeHtml(p.name)}</span><span class="sub">${escapeHtml(sub)}</span></li>`;
  });
  if (matches.length > shown.length) html.push(`<li class="more">${matches.length - shown.length} more: refine the filter</li>`);
  if (!matches.length) html.push('<li class="more">No profile matches.</li>');
  const list = $('profile-list');
  list.innerHTML = html.join('');
  $('profile-count').textContent = text ? `${matches.length} of ${state.profiles.length} profiles` : `${state.profiles.length} profiles`;
  list.dataset.matches = String(matches.length);
  list.dataset.filterMs = (performance.now() - t0).toFixed(2);
}

$('profile-filter').addEventListener('input', renderProfileList);
$('profile-filter').addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  const first = $('profile-list').querySelector('li[data-name]');
  if (first) selectProfile(first.dataset.name);
});
$('profile-list').addEventListener('click', (e) => {
  const li = e.target.closest('li[data-name]');
  if (li) selectProfile(li.dataset.name);
});

function selectProfile(name) {
  state.profile = state.profiles.find((p) => p.name === name) || state.profile;
  sessionStorage.setItem('costgate.profile', name);
  for (const li of $('profile-list').children) li.setAttribute('aria-selected', String(li.dataset.name === name));
  if (state.view !== 'profile') location.hash = '#profile';
  else load();
}

// ---- time range and refresh ----

function markRange() {
  for (const btn of $('ranges').children) btn.classList.toggle('active', btn.dataset.range === state.range);
  $('custom-range').hidden = state.range !== 'custom';
}

$('ranges').addEventListener('click', (e) => {
  const btn = e.target.closest('button');
  if (!btn) return;
  state.range = btn.dataset.range;
  sessionStorage.setItem('costgate.range', state.range);
  markRange();
  if (state.range === 'custom') {
    const b = state.custom || rangeBounds('1d', Date.now());
    $('custom-from').value = iso(b.start).slice(0, 16);
    $('custom-to').value = iso(b.end).slice(0, 16);
    if (!state.custom) return;
  }
  load();
});

$('custom-range').addEventListener('submit', (e) => {
  e.preventDefault();
  const start = Date.parse(`${$('custom-from').value}:00Z`) / 1000;
  const end = Date.parse(`${$('custom-to').value}:00Z`) / 1000;
  if (!(start < end)) {
    toast('The range must start before it ends.');
    return;
  }
  state.custom = { start, end };
  load();
});

$('refresh').addEventListener('click', load);
setInterval(() => {
  if ($('auto-refresh').checked && !$('app').hidden && document.visibilityState === 'visible') load();
}, REFRESH_MS);

// A custom range is not kept across reloads; the named ones are.
if (state.range === 'custom') state.range = '1h';
markRange();
if (session.key) start(); else showSignIn('');
