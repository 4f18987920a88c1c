// costgate's dashboard in a real browser (Debian's chromium, headless, driven by playwright-core)
// against a live `costgate serve` fed with known traffic: the numbers shown equal the ledger's,
// switching profiles changes the widgets, the chargeback CSV equals `costgate report`, a tenant
// key sees only its own profiles (and the API refuses it another's with 403), a profile in ALARM
// shows red, and with 1,000 profiles the filter answers in < 100 ms and a view makes <= 20
// requests. Screenshots of every view, desktop and phone, go to $COSTGATE_SCREENSHOTS
// (default build/test-artifacts/screenshots).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';

import { chromium } from 'playwright-core';

import { stopServer } from '../sdk/processes.mjs';
import { CHROMIUM, Costgate, screenshotPath } from './harness.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
// Calls per profile: every profile differs, so a widget showing another profile's data fails.
const TRAFFIC = {
  customer1_websearch: 3, customer1_codingbot: 2, customer2_websearch: 5, customer2_codingbot: 1,
};

const cg = new Costgate();
let browser;

before(async () => {
  await cg.setUpAndServe();
  for (const [profile, n] of Object.entries(TRAFFIC)) {
    for (let i = 0; i < n; i++) await cg.chat(profile, `question ${i} for ${profile} ${'word '.repeat(i * 3)}`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (cg.server) assert.equal(await stopServer(cg.server), 0, cg.server.log());
});

async function open(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  return page;
}

async function signIn(page, key, view = '') {
  await page.goto(`${cg.base}/${view ? `#${view}` : ''}`);
  await page.fill('#signin-key', key);
  await page.click('#signin-submit');
  await page.waitForSelector('#app:not([hidden])');
}

// Waits until the current view's requests are answered and drawn.
async function settled(page) {
  await page.waitForFunction(() => {
    const view = document.querySelector('.view:not([hidden])');
    if (!view) return false;
    if (view.querySelector('.widget[data-state=loading]')) return false;
    if (view.querySelector('[data-loaded=false]')) return false;
    return !view.querySelector('.history') || !view.querySelector('.history').textContent.startsWith('Loading');
  });
  await page.waitForLoadState('networkidle');
}

function ledger(...filters) {
  return cg.json('usage', '--limit', '0', ...filters).totals;
}

async function totalsOf(page, container = '#totals') {
  return page.$eval(container, (el) => ({
    calls: Number(el.querySelector('[data-calls]').dataset.calls),
    failures: Number(el.querySelector('[data-calls]').dataset.failures),
    input_tokens: Number(el.querySelector('[data-input-tokens]').dataset.inputTokens),
    output_tokens: Number(el.querySelector('[data-output-tokens]').dataset.outputTokens),
    total_cost_usd: el.querySelector('[data-cost-usd]').dataset.costUsd,
  }));
}

// {series label: total} of one widget's legend.
async function legendOf(page, key) {
  return page.$$eval(`.widget[data-widget=${key}] .legend .item`,
    (items) => Object.fromEntries(items.map((i) => [i.dataset.series, Number(i.dataset.total)])));
}

async function selectProfile(page, name) {
  await page.fill('#profile-filter', name);
  await page.click(`#profile-list li[data-name="${name}"]`);
  await page.waitForFunction((n) => document.querySelector('#view-profile').dataset.profile === n, name);
  await settled(page);
}

test('signing in: a bad key is refused, the admin key opens the dashboard', async () => {
  const page = await open();
  await page.goto(cg.base);
  await page.waitForSelector('#signin:not([hidden])');
  await page.screenshot({ path: screenshotPath('signin-desktop') });
  await page.fill('#signin-key', 'cg_not_a_real_key');
  await page.click('#signin-submit');
  await page.waitForSelector('#signin-error:not([hidden])');
  assert.match(await page.textContent('#signin-error'), /refused/);
  await page.fill('#signin-key', cg.keys.admin);
  await page.click('#signin-submit');
  await page.waitForSelector('#app:not([hidden])');
  // The key lives in sessionStorage: a reload stays signed in; signing out forgets it.
  await page.reload();
  await page.waitForSelector('#app:not([hidden])');
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('costgate.apiKey')), null);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the numbers shown equal the ledger, and switching profiles changes the widgets', async () => {
  const page = await open();
  await signIn(page, cg.keys.admin, 'profile');
  for (const profile of ['customer1_websearch', 'customer2_websearch']) {
    await selectProfile(page, profile);
    const want = ledger('--profile', profile);
    assert.equal(want.calls, TRAFFIC[profile]);
    const shown = await totalsOf(page);
    assert.deepEqual(shown, {
      calls: want.calls, failures: want.failures, input_tokens: want.input_tokens,
      output_tokens: want.output_tokens, total_cost_usd: want.total_cost_usd,
    }, profile);
    // The metric widgets agree with the ledger too.
    assert.deepEqual(await legendOf(page, 'token_counts'),
      { 'Input tokens': want.input_tokens, 'Output tokens': want.output_tokens }, profile);
    assert.deepEqual(await legendOf(page, 'daily_tokens'),
      { 'Input tokens': want.input_tokens, 'Output tokens': want.output_tokens }, profile);
    assert.deepEqual(await legendOf(page, 'requests_per_minute'),
      { Success: want.calls, Failure: 0 }, profile);
    assert.deepEqual(await legendOf(page, 'tokens_per_minute'),
      { Tokens: want.input_tokens + want.output_tokens }, profile);
    const cost = await legendOf(page, 'daily_costs');
    assert.ok(Math.abs(cost['Input cost'] + cost['Output cost'] - Number(want.total_cost_usd)) < 1e-9);
    assert.equal(await page.locator('.widget[data-widget] canvas').count() >= 7, true);
    await page.screenshot({ path: screenshotPath(`profile-${profile}-desktop`), fullPage: true });
  }
  // Across profiles: one bar series per profile and per tenant, with the ledger's counts.
  await page.click('#tabs a[data-view=overview]');
  await settled(page);
  const perTenant = await legendOf(page, 'requests_per_tenant');
  assert.deepEqual(perTenant, { customer1: 5, customer2: 6 });
  const perProfile = await legendOf(page, 'requests_per_minute_all');
  assert.deepEqual(perProfile, TRAFFIC);
  const all = ledger();
  assert.equal((await totalsOf(page, '#overview-totals')).total_cost_usd, all.total_cost_usd);
  await page.screenshot({ path: screenshotPath('overview-desktop'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the chargeback CSV download equals `costgate report --format csv`', async () => {
  const page = await open();
  await signIn(page, cg.keys.admin, 'chargeback');
  await page.selectOption('#group-by', 'tag:TenantID');
  await settled(page);
  const table = await page.$eval('#chargeback-table', (el) => ({ ...el.dataset }));
  assert.equal(table.groupBy, 'tag:TenantID');
  const rows = await page.$$eval('#chargeback-table tbody tr', (trs) => trs.map((tr) => tr.dataset.group));
  assert.deepEqual(rows, ['customer1', 'customer2']);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const report = cg.run('report', '--format', 'csv', '--from', table.from, '--to', table.to,
    '--group-by', 'tag:TenantID');
  assert.equal(csv, report);
  assert.match(download.suggestedFilename(), /^costgate-chargeback-tag_TenantID-.*\.csv$/);
  assert.equal(table.totalCostUsd, ledger().total_cost_usd);
  await page.screenshot({ path: screenshotPath('chargeback-desktop'), fullPage: true });
  await page.context().close();
});

test('a tenant key sees only its own profiles; the API refuses it another tenant\'s', async () => {
  const page = await open();
  await signIn(page, cg.keys.customer1, 'profile');
  await settled(page);
  const listed = await page.$$eval('#profile-list li[data-name]', (lis) => lis.map((li) => li.dataset.name));
  assert.deepEqual(listed, ['customer1_codingbot', 'customer1_websearch']);
  await page.click('#tabs a[data-view=overview]');
  await settled(page);
  assert.deepEqual(Object.keys(await legendOf(page, 'requests_per_tenant')), ['customer1']);
  assert.deepEqual(await legendOf(page, 'requests_per_minute_all'),
    { customer1_websearch: 3, customer1_codingbot: 2 });
  await page.screenshot({ path: screenshotPath('overview-tenant-desktop'), fullPage: true });
  // The page hides nothing: the server refuses. A query for customer2's profile is 403.
  const body = {
    MetricDataQueries: [{ Id: 'm', MetricStat: { Metric: { MetricName: 'InputTokens',
      Dimensions: [{ Name: 'InferenceProfile', Value: 'customer2_websearch' }] }, Period: 60, Stat: 'Sum' } }],
    StartTime: new Date(Date.now() - 3600e3).toISOString(), EndTime: new Date().toISOString(),
  };
  const refused = await page.evaluate(async ([key, b]) => {
    const res = await fetch('/api/v1/metrics/query', {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(b),
    });
    return { status: res.status, body: await res.json() };
  }, [cg.keys.customer1, body]);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.type, 'permission_denied');
  const usage = await cg.call('GET', '/api/v1/usage?profile=customer2_websearch', cg.keys.customer1);
  assert.equal(usage.status, 403);
  assert.equal(usage.json.error.message, 'this key may not see profile "customer2_websearch"');
  await page.context().close();
});

test('a profile in ALARM shows red', async () => {
  const probe = await cg.call('GET', '/api/v1/alarms', cg.keys.admin);
  assert.equal(probe.status, 200, probe.text);
  // setup made the seed's three alarms for every profile.
  assert.equal(probe.json.alarms.length, 12, probe.text);
  const name = 'BedrockTokenCostAlarm-customer2_websearch';
  const set = await cg.call('POST', `/api/v1/alarms/${name}/state`, cg.keys.admin,
    { StateValue: 'ALARM', StateReason: 'set by the browser test' });
  assert.equal(set.status, 200, set.text);
  const page = await open();
  await signIn(page, cg.keys.admin, 'profile');
  await selectProfile(page, 'customer2_websearch');
  const row = page.locator(`#profile-alarms .alarm[data-alarm="${name}"]`);
  assert.equal(await row.getAttribute('data-state'), 'ALARM');
  assert.equal(await row.locator('.pill').evaluate((el) => getComputedStyle(el).backgroundColor),
    'rgb(220, 38, 38)');
  await row.locator('button').click();
  await page.waitForSelector(`#profile-alarms .alarm[data-alarm="${name}"] .history li`);
  await page.click('#tabs a[data-view=alarms]');
  await settled(page);
  await page.screenshot({ path: screenshotPath('alarms-live-desktop'), fullPage: true });
  await page.context().close();
});

test('the alarm panel: unavailable on a 404, and the contract\'s states drawn in their colours', async () => {
  const page = await open();
  // A server without the alarms API (404 not_found): the panel says so.
  const missing = (route) => route.fulfill({ status: 404,
    json: { error: { type: 'not_found', message: 'no route for GET /api/v1/alarms' } } });
  await page.route('**/api/v1/alarms', missing);
  await signIn(page, cg.keys.admin, 'alarms');
  await settled(page);
  assert.equal(await page.textContent('#all-alarms'), 'Alarms are unavailable on this server.');
  await page.unroute('**/api/v1/alarms', missing);
  // The rendering of GET /api/v1/alarms and its history as the shared contract shapes them, the
  // answers given by the browser (the live API is covered by the ALARM test above).
  const at = '2026-11-27T10:00:00.000Z';
  const alarm = (AlarmName, StateValue) => ({ AlarmName, StateValue, StateReason: `${StateValue} because`,
    StateUpdatedTimestamp: at, Threshold: 1, Period: 300, Tags: [{ Key: 'InferenceProfile', Value: 'p' }] });
  await page.route('**/api/v1/alarms', (route) => route.fulfill({ json: { alarms: [
    alarm('BedrockRequestsPerMinuteAlarm-p', 'OK'), alarm('BedrockTokenCostAlarm-p', 'ALARM'),
    alarm('BedrockTokensPerMinuteAlarm-p', 'INSUFFICIENT_DATA')] } }));
  await page.route('**/api/v1/alarms/*/history?limit=20', (route) => route.fulfill({ json: { items: [
    { AlarmName: 'BedrockTokenCostAlarm-p', Timestamp: at, HistoryItemType: 'StateUpdate',
      HistorySummary: 'Alarm updated from OK to ALARM', HistoryData: '{}' }] } }));
  await page.click('#refresh');
  await page.waitForSelector('#all-alarms .alarm[data-state=ALARM]');
  const rows = await page.$$eval('#all-alarms .alarm', (els) => els.map((el) => [el.dataset.state,
    getComputedStyle(el.querySelector('.pill')).backgroundColor]));
  assert.deepEqual(rows, [['ALARM', 'rgb(220, 38, 38)'], ['INSUFFICIENT_DATA', 'rgb(156, 163, 175)'],
    ['OK', 'rgba(0, 0, 0, 0)']]);
  assert.equal(await page.textContent('#alarm-badge'), '1');
  await page.click('#all-alarms .alarm[data-state=ALARM] button');
  await page.waitForSelector('#all-alarms .history li');
  assert.match(await page.textContent('#all-alarms .history'), /Alarm updated from OK to ALARM/);
  await page.screenshot({ path: screenshotPath('alarms-desktop'), fullPage: true });
  await page.context().close();
});

test('every view on a phone', async () => {
  const page = await open(PHONE);
  await page.goto(cg.base);
  await page.waitForSelector('#signin:not([hidden])');
  await page.screenshot({ path: screenshotPath('signin-phone') });
  await signIn(page, cg.keys.admin, 'profile');
  await selectProfile(page, 'customer1_websearch');
  for (const view of ['profile', 'overview', 'alarms', 'chargeback']) {
    await page.click(`#tabs a[data-view=${view}]`);
    await settled(page);
    // Nothing spills sideways on a 375 px screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${view} is ${overflow} px too wide on a phone`);
    await page.screenshot({ path: screenshotPath(`${view}-phone`), fullPage: true });
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('with 1,000 profiles the filter answers in < 100 ms and a view makes <= 20 requests', async () => {
  cg.addProfiles(1000);
  // The server reloads its snapshot within 2 s of a store change.
  for (let i = 0; ; i++) {
    const r = await cg.call('GET', '/api/v1/profiles', cg.keys.admin);
    if (r.json.profiles.length === 1004) break;
    assert.ok(i < 50, 'the new profiles did not reach the server');
    await new Promise((res) => setTimeout(res, 100));
  }
  const page = await open();
  // Signed in already (the key in sessionStorage), so the count is the view's alone.
  await page.goto(`${cg.base}/assets/style.css`);
  await page.evaluate((key) => sessionStorage.setItem('costgate.apiKey', key), cg.keys.admin);
  const requests = [];
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  await page.goto(`${cg.base}/#profile`);
  await page.waitForSelector('#app:not([hidden])');
  await settled(page);
  assert.ok(requests.length <= 20, `the profile view made ${requests.length} requests:\n${requests.join('\n')}`);
  assert.equal(await page.textContent('#profile-count'), '1004 profiles');

  for (const [text, matches] of [['app07', 100], ['bulk_tenant13', 20], ['app0999', 1], ['e', 1004]]) {
    await page.fill('#profile-filter', text);
    const got = await page.$eval('#profile-list', (el) => ({ n: Number(el.dataset.matches), ms: Number(el.dataset.filterMs) }));
    assert.equal(got.n, matches, text);
    assert.ok(got.ms < 100, `filtering by ${text} took ${got.ms} ms`);
  }
  await page.fill('#profile-filter', 'app0999');
  await page.click('#profile-list li[data-name]');
  await settled(page);
  requests.length = 0;
  await page.click('#tabs a[data-view=overview]');
  await settled(page);
  assert.ok(requests.length <= 20, `the overview made ${requests.length} requests:\n${requests.join('\n')}`);
  await page.screenshot({ path: screenshotPath('overview-1000-profiles-desktop'), fullPage: true });
  await page.context().close();
});
