// The dashboard page's pure logic (web/queries.js), in node: periods that fit a range, the
// batching of widget queries into few requests, and the mapping of results back to widgets.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  alignSeries, buildBatches, filterProfiles, fitPeriod, rangeBounds, rewriteExpression, seriesOf,
} from '../../web/queries.js';

test('periods fit the range in at most 360 points', () => {
  assert.equal(fitPeriod(3600), 60);
  assert.equal(fitPeriod(3 * 3600), 60);
  assert.equal(fitPeriod(12 * 3600), 300);
  assert.equal(fitPeriod(86400), 300);
  assert.equal(fitPeriod(7 * 86400), 3600);
  assert.equal(fitPeriod(30 * 86400), 10800);
  assert.equal(fitPeriod(300 * 86400), 86400);
  assert.equal(fitPeriod(365 * 86400), 2 * 86400);
  for (const s of [3600, 86400, 30 * 86400, 365 * 86400]) assert.ok(s / fitPeriod(s) <= 360);
});

test('named ranges end at the next minute', () => {
  const b = rangeBounds('3h', Date.parse('2026-05-01T10:00:30Z'));
  assert.equal(b.end, Date.parse('2026-05-01T10:01:00Z') / 1000);
  assert.equal(b.end - b.start, 3 * 3600);
  assert.deepEqual(rangeBounds('custom', 0, { start: 5, end: 9 }), { start: 5, end: 9 });
});

test('expressions get renamed ids and the fitted SEARCH period, quotes untouched', () => {
  assert.equal(rewriteExpression('input + output', { input: 'w2_input', output: 'w2_output' }, 60),
    'w2_input + w2_output');
  assert.equal(
    rewriteExpression(`FILL(SEARCH('{BedrockInvocationTracing,TenantID} MetricName="input"', 'Sum', 300), 0)`,
      { input: 'w0_input' }, 3600),
    `FILL(SEARCH('{BedrockInvocationTracing,TenantID} MetricName="input"', 'Sum', 3600), 0)`);
});

const stat = (id, metric, period) => ({
  Id: id,
  MetricStat: {
    Metric: { MetricName: metric, Dimensions: [{ Name: 'InferenceProfile', Value: '${profile}' }] },
    Period: period, Stat: 'Sum',
  },
});

test('widgets are batched by period with the profile substituted', () => {
  const widgets = [
    { key: 'a', queries: [stat('a', 'InputTokens', 300), stat('b', 'OutputTokens', 300)] },
    { key: 'b', queries: [stat('input', 'InputTokens', 60), { Id: 'tokens', Expression: 'input + 1' }] },
    { key: 'c', queries: [stat('a', 'InputTokens', 86400)] },
  ];
  const start = Date.parse('2026-05-01T09:00:00Z') / 1000;
  const batches = buildBatches(widgets, 'p1', { start, end: start + 3600 });
  assert.deepEqual(batches.map((b) => [b.period, b.widgets]), [[300, [0]], [60, [1]], [86400, [2]]]);
  const [five, minute, day] = batches;
  assert.deepEqual(five.body.MetricDataQueries.map((q) => q.Id), ['w0_a', 'w0_b']);
  assert.equal(five.body.MetricDataQueries[0].MetricStat.Metric.Dimensions[0].Value, 'p1');
  assert.equal(minute.body.MetricDataQueries[1].Expression, 'w1_input + 1');
  assert.equal(day.body.StartTime, '2026-05-01T00:00:00Z');
  assert.equal(day.body.EndTime, '2026-05-02T00:00:00Z');
  assert.equal(five.body.ScanBy, 'TimestampAscending');
  // The original definition is not modified.
  assert.equal(widgets[0].queries[0].MetricStat.Metric.Dimensions[0].Value, '${profile}');
  // A week: the 60 s widget rises to an hour and joins no other.
  const week = buildBatches(widgets, 'p1', { start, end: start + 7 * 86400 });
  assert.deepEqual(week.map((b) => [b.period, b.widgets]), [[3600, [0, 1]], [86400, [2]]]);
});

test('results map back to their widget, aligned, the smallest folded into Other', () => {
  const results = [
    { Id: 'w1_a', Label: 'x', Timestamps: ['1970-01-01T00:01:00.000Z'], Values: [5] },
    { Id: 'w10_a', Label: 'y', Timestamps: [], Values: [] },
  ];
  const s = seriesOf(results, 1);
  assert.equal(s.length, 1);
  assert.equal(s[0].label, 'x');
  const { xs, rows } = alignSeries(s, 0, 180, 60);
  assert.deepEqual(xs, [0, 60, 120]);
  assert.deepEqual(rows[0].ys, [0, 5, 0]);
  const many = Array.from({ length: 12 }, (_, i) => ({ label: `p${i}`, points: new Map([[0, i]]) }));
  const folded = alignSeries(many, 0, 60, 60, 10).rows;
  assert.equal(folded.length, 10);
  assert.equal(folded[9].label, 'Other (3)');
  assert.deepEqual(folded[9].ys, [0 + 1 + 2]);
});

test('the profile filter matches every word in name, id or tags', () => {
  const ps = [
    { name: 'customer1_websearch', id: 'aaa', tags: { TenantID: 'customer1' } },
    { name: 'customer2_codingbot', id: 'bbb', tags: { TenantID: 'customer2' } },
  ];
  assert.deepEqual(filterProfiles(ps, 'web').map((p) => p.id), ['aaa']);
  assert.deepEqual(filterProfiles(ps, 'CUSTOMER2 coding').map((p) => p.id), ['bbb']);
  assert.equal(filterProfiles(ps, '').length, 2);
  assert.equal(filterProfiles(ps, 'nothing').length, 0);
});
