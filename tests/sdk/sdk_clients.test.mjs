// The official OpenAI and Anthropic SDKs against a real `costgate serve`.
//
// Sets up a copy of examples/ in a temporary directory (`costgate setup --create-user-roles`),
// starts `costgate serve --listen 127.0.0.1:0` (the sim upstream), points the SDKs at it with
// the tenant keys, and checks what they get: content, usage, the x-costgate-* headers (read
// through the SDKs' .withResponse()), exact costs computed here from models.json with BigInt
// fixed point, the SDKs' error classes, and finally `costgate usage --json` against the headers.
//
// Then the same SDKs through costgate to real wire formats: tests/fake_upstream.py (one instance
// speaks both OpenAI's and Anthropic's APIs, each with its own key) runs as a child process,
// config.json gets an "upstreams" section pointing at it, customer1_codingbot (Sonnet) goes to
// the anthropic upstream and an added customer1_research profile (Sonnet, which has cache prices
// unlike Haiku 3) to the openai one, so each SDK's dialect reaches the other provider. The fake's
// answers are deterministic ("w1 w2 ... wN"; input tokens = the words of the system prompt and
// messages; markers cached=K, cache_write=K, words=K, fault=status_NNN in the user's text).
//
//   COSTGATE_BIN=build/src/costgate node --test tests/sdk/
//
// The SDKs come from tests/sdk/node_modules: `scripts/setup.sh` installs them (npm ci).

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, copyFileSync, readFileSync, rmSync, writeFileSync }
  from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { dec, costCalculator } from './money.mjs';
import { startServe, startFakeUpstream, died, describeExit, stopServer } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!existsSync(path.join(here, 'node_modules', 'openai')) ||
    !existsSync(path.join(here, 'node_modules', '@anthropic-ai', 'sdk'))) {
  throw new Error(`${path.join(here, 'node_modules')} lacks the openai and @anthropic-ai/sdk ` +
                  'packages: run scripts/setup.sh (it runs `npm ci` in tests/sdk)');
}
const { default: OpenAI } = await import('openai');
const { default: Anthropic } = await import('@anthropic-ai/sdk');

const BIN = process.env.COSTGATE_BIN;
const EXAMPLES = process.env.COSTGATE_EXAMPLES || path.join(here, '..', '..', 'examples');
if (!BIN || !existsSync(BIN)) {
  throw new Error(`COSTGATE_BIN=${BIN ?? ''} is not the costgate binary; set it, e.g. ` +
                  'COSTGATE_BIN=build/src/costgate');
}
const REGION = 'us-west-2';
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const NOVA_MICRO_US = 'us.amazon.nova-micro-v1:0';
const SONNET = 'anthropic.claude-3-5-sonnet-20241022-v2:0';
const CALL_ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PLAIN_DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;

// --- exact money ----------------------------------------------------------------------------

const expectedCost = costCalculator(EXAMPLES, REGION);

// --- costgate --------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), 'costgate-sdk-test-'));
const config = path.join(work, 'config.json');
let server;
let port;
let keys;
let fake; // tests/fake_upstream.py
const answered = new Map(); // call id -> { cost: BigInt, input, output }

// The fake upstream's keys, handed to costgate through these environment variables.
const OPENAI_KEY = `sk-fake-openai-${randomUUID()}`;
const ANTHROPIC_KEY = `sk-ant-fake-${randomUUID()}`;
const OPENAI_ENV = 'COSTGATE_SDK_TEST_OPENAI_KEY';
const ANTHROPIC_ENV = 'COSTGATE_SDK_TEST_ANTHROPIC_KEY';
const childEnv = { ...process.env, [OPENAI_ENV]: OPENAI_KEY, [ANTHROPIC_ENV]: ANTHROPIC_KEY };
// profile -> the model the fake is asked for ("models" maps the profile's model id to it)
const TO_ANTHROPIC = 'customer1_codingbot';
const TO_OPENAI = 'customer1_research';
const UPSTREAM_MODEL = { [TO_ANTHROPIC]: 'claude-3-5-sonnet-20241022',
                         [TO_OPENAI]: 'gpt-upstream-sonnet' };

function costgate(...args) {
  return execFileSync(BIN, [...args, '--config', config],
                      { cwd: work, encoding: 'utf8', env: childEnv });
}

// examples/config.json plus the upstreams: the sim tests' profiles stay on the sim.
function writeConfig(fakePort) {
  const cfg = JSON.parse(readFileSync(path.join(EXAMPLES, 'config.json'), 'utf8'));
  const url = `http://127.0.0.1:${fakePort}`;
  cfg.upstreams = {
    openai: { base_url: `${url}/v1`, api_key_env: OPENAI_ENV,
              models: { [SONNET]: UPSTREAM_MODEL[TO_OPENAI] } },
    anthropic: { base_url: url, api_key_env: ANTHROPIC_ENV,
                 models: { [SONNET]: UPSTREAM_MODEL[TO_ANTHROPIC] } },
  };
  const coding = cfg.profiles.find((p) => p.name === TO_ANTHROPIC);
  assert.equal(coding.model_id, SONNET);
  coding.provider = 'anthropic';
  cfg.profiles.push({
    name: TO_OPENAI, description: 'Research assistant for customer 1 (openai upstream)',
    model_id: SONNET, provider: 'openai',
    tags: [{ key: 'ApplicationID', value: 'research' }, { key: 'TenantID', value: 'customer1' }],
  });
  writeFileSync(config, JSON.stringify(cfg, null, 4) + '\n');
}

function startFake() {
  return startFakeUpstream(path.join(here, '..', 'fake_upstream.py'), OPENAI_KEY, ANTHROPIC_KEY);
}

function startServer() {
  return startServe(BIN, config, { cwd: work, env: childEnv });
}

before(async () => {
  fake = await startFake();
  writeConfig(fake.port);
  copyFileSync(path.join(EXAMPLES, 'models.json'), path.join(work, 'models.json'));
  const out = JSON.parse(costgate('setup', '--create-user-roles', '--json'));
  keys = { admin: out.keys.find((k) => k.role === 'admin').key };
  for (const k of out.keys.filter((k) => k.role === 'tenant')) keys[k.tenant] = k.key;
  server = await startServer();
  port = server.port;
});

afterEach(async () => {
  // A test whose request killed the server says so, with the server's log.
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (server && died(server)) {
    const log = server.log();
    assert.fail(`costgate serve ${describeExit(server)}; its log:\n${log.slice(-4000)}`);
  }
  if (fake && died(fake)) {
    assert.fail(`the fake upstream ${describeExit(fake)}; its log:\n${fake.log().slice(-4000)}`);
  }
});

after(async () => {
  try {
    if (server) {
      const wasDead = died(server);
      const code = await stopServer(server);
      assert.ok(!wasDead, `costgate serve ${describeExit(server)} before the end of the tests; ` +
                           `its log:\n${server.log().slice(-4000)}`);
      assert.equal(code, 0, `costgate serve exited ${code} after SIGTERM:\n${server.log()}`);
    }
  } finally {
    if (fake) await stopServer(fake);
    rmSync(work, { recursive: true, force: true });
  }
});

function openai(key, opts = {}) {
  return new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0,
                      ...opts });
}

function anthropic(key, opts = {}) {
  return new Anthropic({ apiKey: key, baseURL: `http://127.0.0.1:${port}`, maxRetries: 0,
                         ...opts });
}

// Checks the x-costgate headers of a non-streaming answer; returns its facts.
function costHeaders(response, profile, model) {
  const h = (name) => response.headers.get(name);
  assert.equal(h('x-costgate-profile'), profile);
  const callId = h('x-costgate-call-id');
  assert.match(callId, CALL_ID_RE);
  assert.match(h('x-costgate-input-tokens'), /^[0-9]+$/);
  assert.match(h('x-costgate-output-tokens'), /^[0-9]+$/);
  assert.match(h('x-costgate-cost-usd'), PLAIN_DECIMAL_RE);
  const input = Number(h('x-costgate-input-tokens'));
  const output = Number(h('x-costgate-output-tokens'));
  const cost = dec(h('x-costgate-cost-usd'));
  assert.equal(cost, expectedCost(model, input, output),
               `x-costgate-cost-usd ${h('x-costgate-cost-usd')} for ${input}+${output} tokens`);
  return { callId, input, output, cost };
}

// Checks the "costgate" object of a stream's final event; returns its facts.
function costgateEvent(info, profile, model, callId) {
  assert.ok(info, 'the final event carries no costgate object');
  assert.equal(info.profile, profile);
  assert.equal(info.call_id, callId);
  assert.match(info.cost_usd, PLAIN_DECIMAL_RE);
  const cost = dec(info.cost_usd);
  assert.equal(cost, expectedCost(model, info.input_tokens, info.output_tokens));
  return { callId, input: info.input_tokens, output: info.output_tokens, cost };
}

function remember(facts) {
  assert.ok(!answered.has(facts.callId), `call id ${facts.callId} seen twice`);
  answered.set(facts.callId, facts);
}

const question = [{ role: 'user', content: 'What does a cost gateway do?' }];

// --- OpenAI ------------------------------------------------------------------------------------

test('openai chat.completions.create, not streaming', async () => {
  const client = openai(keys.customer1);
  const { data, response } = await client.chat.completions
    .create({ model: 'customer1_websearch', messages: question, max_tokens: 30 },
            { headers: { 'x-request-id': 'sdk-openai-1' } })
    .withResponse();
  const facts = costHeaders(response, 'customer1_websearch', HAIKU);
  assert.equal(response.headers.get('x-request-id'), 'sdk-openai-1');
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.id, `chatcmpl-${facts.callId}`);
  assert.equal(data.model, HAIKU);
  assert.equal(data.usage.prompt_tokens, facts.input);
  assert.equal(data.usage.completion_tokens, facts.output);
  assert.equal(data.usage.total_tokens, facts.input + facts.output);
  assert.ok(data.choices[0].message.content.length > 0);
  assert.equal(data.choices[0].message.content.split(' ').length, facts.output);
  assert.ok(['stop', 'length'].includes(data.choices[0].finish_reason));
  remember(facts);
});

test('openai chat.completions.create, streaming with include_usage', async () => {
  const client = openai(keys.customer2);
  const { data: stream, response } = await client.chat.completions
    .create({ model: 'customer2_websearch', messages: question, max_tokens: 40, stream: true,
              stream_options: { include_usage: true } })
    .withResponse();
  assert.equal(response.headers.get('x-costgate-profile'), 'customer2_websearch');
  const callId = response.headers.get('x-costgate-call-id');
  assert.match(callId, CALL_ID_RE);
  let content = '';
  let usage = null;
  let info = null;
  let finish = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.id, `chatcmpl-${callId}`);
    if (chunk.choices.length) {
      content += chunk.choices[0].delta.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
    } else {
      usage = chunk.usage;
    }
    if (chunk.costgate) info = chunk.costgate;
  }
  assert.ok(chunks > 2);
  assert.ok(usage, 'no usage chunk');
  assert.ok(['stop', 'length'].includes(finish));
  const facts = costgateEvent(info, 'customer2_websearch', NOVA_MICRO_US, callId);
  assert.equal(usage.prompt_tokens, facts.input);
  assert.equal(usage.completion_tokens, facts.output);
  assert.equal(content.split(' ').length, facts.output);
  remember(facts);
});

test('openai: profile chosen by tag headers, model is the profile\'s model', async () => {
  const client = openai(keys.customer1, {
    defaultHeaders: { 'x-costgate-tag-ApplicationID': 'websearch' } });
  const { data, response } = await client.chat.completions
    .create({ model: HAIKU, messages: question, max_tokens: 10 }).withResponse();
  const facts = costHeaders(response, 'customer1_websearch', HAIKU);
  assert.equal(data.usage.completion_tokens, facts.output);
  remember(facts);
});

test('openai SDK errors: 403, 409, 401, 400', async () => {
  await assert.rejects(
    openai(keys.customer1).chat.completions.create(
      { model: 'customer2_websearch', messages: question, max_tokens: 10 }),
    (e) => {
      assert.ok(e instanceof OpenAI.PermissionDeniedError, `${e?.constructor?.name}: ${e}`);
      assert.equal(e.status, 403);
      return true;
    });
  await assert.rejects(
    openai(keys.admin, { defaultHeaders: { tags: 'ApplicationID=websearch' } })
      .chat.completions.create({ messages: question, max_tokens: 10 }),
    (e) => e instanceof OpenAI.ConflictError && e.status === 409);
  await assert.rejects(
    openai('cgk_not_a_key').chat.completions.create(
      { model: 'customer1_websearch', messages: question }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(
    openai(keys.admin).chat.completions.create(
      { model: 'customer1_websearch', messages: question, n: 2 }),
    (e) => e instanceof OpenAI.BadRequestError && /\bn\b/.test(e.message));
});

// --- Anthropic ---------------------------------------------------------------------------------

test('anthropic messages.create, not streaming', async () => {
  const client = anthropic(keys.customer2);
  const { data, response } = await client.messages
    .create({ model: 'customer2_websearch', max_tokens: 30, system: 'Be brief.',
              messages: question }, { headers: { 'x-request-id': 'sdk-anthropic-1' } })
    .withResponse();
  const facts = costHeaders(response, 'customer2_websearch', NOVA_MICRO_US);
  assert.equal(response.headers.get('x-request-id'), 'sdk-anthropic-1');
  assert.equal(data.type, 'message');
  assert.equal(data.id, `msg_${facts.callId}`);
  assert.equal(data.model, NOVA_MICRO_US);
  assert.equal(data.usage.input_tokens, facts.input);
  assert.equal(data.usage.output_tokens, facts.output);
  assert.equal(data.content[0].type, 'text');
  assert.equal(data.content[0].text.split(' ').length, facts.output);
  assert.ok(['end_turn', 'max_tokens'].includes(data.stop_reason));
  remember(facts);
});

test('anthropic messages.stream()', async () => {
  const client = anthropic(keys.customer1);
  const stream = client.messages.stream({ model: 'customer1_websearch', max_tokens: 45,
                                          messages: question });
  let text = '';
  let info = null;
  stream.on('text', (delta) => { text += delta; });
  stream.on('streamEvent', (event) => {
    if (event.type === 'message_stop') info = event.costgate;
  });
  const { response } = await stream.withResponse();
  assert.equal(response.headers.get('x-costgate-profile'), 'customer1_websearch');
  const callId = response.headers.get('x-costgate-call-id');
  const message = await stream.finalMessage();
  const facts = costgateEvent(info, 'customer1_websearch', HAIKU, callId);
  assert.equal(message.id, `msg_${callId}`);
  assert.equal(message.usage.input_tokens, facts.input);
  assert.equal(message.usage.output_tokens, facts.output);
  assert.equal(message.content[0].text, text);
  assert.equal(text.split(' ').length, facts.output);
  remember(facts);
});

test('anthropic messages.create with stream: true', async () => {
  const client = anthropic(keys.admin, {
    defaultHeaders: { 'inference-profile-name': 'customer2_websearch' } });
  const { data: stream, response } = await client.messages
    .create({ model: NOVA_MICRO_US, max_tokens: 25, messages: question, stream: true })
    .withResponse();
  const callId = response.headers.get('x-costgate-call-id');
  assert.equal(response.headers.get('x-costgate-profile'), 'customer2_websearch');
  const types = [];
  let text = '';
  let usage = null;
  let info = null;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'content_block_delta') text += event.delta.text;
    if (event.type === 'message_delta') usage = event.usage;
    if (event.type === 'message_stop') info = event.costgate;
  }
  assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  const facts = costgateEvent(info, 'customer2_websearch', NOVA_MICRO_US, callId);
  assert.equal(usage.output_tokens, facts.output);
  assert.equal(text.split(' ').length, facts.output);
  remember(facts);
});

test('anthropic SDK errors: 403 PermissionDenied, 400 without max_tokens', async () => {
  await assert.rejects(
    anthropic(keys.customer1).messages.create(
      { model: 'customer2_websearch', max_tokens: 10, messages: question }),
    (e) => {
      assert.ok(e instanceof Anthropic.PermissionDeniedError, `${e?.constructor?.name}: ${e}`);
      assert.equal(e.status, 403);
      assert.equal(e.error?.type, 'error');
      return true;
    });
  await assert.rejects(
    anthropic(keys.customer2).messages.stream(
      { model: 'customer1_codingbot', max_tokens: 10, messages: question }).finalMessage(),
    (e) => e instanceof Anthropic.PermissionDeniedError && e.status === 403);
  await assert.rejects(
    anthropic(keys.admin).messages.create({ model: 'customer1_websearch', messages: question }),
    (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message));
});

// --- the ledger ----------------------------------------------------------------------------------

test('the ledger holds every answered call at exactly the cost the headers said', () => {
  assert.equal(answered.size, 6);
  const usage = JSON.parse(costgate('usage', '--json'));
  assert.equal(usage.records.length, answered.size,
               'refused calls (401/403/409/400) must not be recorded');
  assert.equal(usage.totals.calls, answered.size);
  assert.equal(usage.totals.failures, 0);
  let total = 0n;
  for (const rec of usage.records) {
    const facts = answered.get(rec.call_id);
    assert.ok(facts, `recorded call ${rec.call_id} was not answered to the SDKs`);
    assert.equal(dec(rec.cost.total_usd), facts.cost);
    assert.equal(rec.usage.input_tokens, facts.input);
    assert.equal(rec.usage.output_tokens, facts.output);
    assert.equal(rec.status, 'success');
    total += facts.cost;
  }
  assert.equal(dec(usage.totals.total_cost_usd), total);
  const dialects = usage.records.map((r) => r.dialect).sort();
  assert.deepEqual(dialects, ['anthropic', 'anthropic', 'anthropic', 'openai', 'openai',
                              'openai']);
  const requestIds = usage.records.map((r) => r.request_id).filter((x) => x).sort();
  assert.deepEqual(requestIds, ['sdk-anthropic-1', 'sdk-openai-1']);
});

// --- through the fake upstreams ---------------------------------------------------------------
//
// These run after the sim's ledger test above (node --test runs a file's tests in order), which
// counts exactly the sim calls.

const SYSTEM = 'You are a terse assistant.';
const viaUpstream = new Map(); // call id -> { profile, dialect, upstream, want, requestId }
const upstreamFailures = []; // { callId, requestId, profile, dialect, upstream }

function words(text) {
  return text.split(/\s+/).filter((w) => w).length;
}

function fakeWords(n) {
  return Array.from({ length: n }, (_, i) => `w${i + 1}`).join(' ');
}

function unique() {
  return `tok-${randomUUID().slice(0, 13)}`;
}

// What a call should cost and count: plain input, cache reads and writes, output (Sonnet).
function usageOf(plain, output, cacheRead = 0, cacheWrite = 0) {
  return { plain, output, cacheRead, cacheWrite, all: plain + cacheRead + cacheWrite,
           cost: expectedCost(SONNET, plain, output, cacheRead, cacheWrite) };
}

// The requests the fake received whose body mentions `token`.
async function fakeRequests(token) {
  const r = await fetch(`http://127.0.0.1:${fake.port}/_stats`);
  assert.equal(r.status, 200);
  const stats = await r.json();
  return stats.recent.filter((x) => JSON.stringify(x.body).includes(token));
}

function textOf(content) {
  if (typeof content === 'string') return content;
  return content.map((p) => p.text ?? '').join('');
}

// The one request the fake got for a call: the provider's path, key and headers (never the
// tenant's costgate key), the mapped model, the stream flag and the translated conversation.
async function upstreamRequest(token, profile, { stream, text, maxTokens }) {
  const got = await fakeRequests(token);
  assert.equal(got.length, 1, `the fake got ${got.length} requests for ${token}`);
  const req = got[0];
  const body = req.body;
  assert.ok(!JSON.stringify(req.headers).includes(keys.customer1), 'tenant key sent upstream');
  if (profile === TO_ANTHROPIC) {
    assert.equal(req.path, '/v1/messages');
    assert.equal(req.headers['x-api-key'], ANTHROPIC_KEY);
    assert.equal(req.headers['anthropic-version'], '2023-06-01');
    assert.equal(req.headers.authorization, undefined);
    assert.equal(textOf(body.system), SYSTEM);
    assert.deepEqual(body.messages.map((m) => [m.role, textOf(m.content)]), [['user', text]]);
    assert.equal(body.max_tokens, maxTokens);
  } else {
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.equal(req.headers['x-api-key'], undefined);
    assert.deepEqual(body.messages.map((m) => [m.role, textOf(m.content)]),
                     [['system', SYSTEM], ['user', text]]);
    assert.equal(body.max_completion_tokens ?? body.max_tokens, maxTokens);
    if (stream) assert.deepEqual(body.stream_options, { include_usage: true });
  }
  assert.equal(body.model, UPSTREAM_MODEL[profile]);
  assert.equal(Boolean(body.stream), stream);
  return req;
}

// The x-costgate headers of a call through an upstream: input tokens count all input.
function upstreamHeaders(response, profile, want) {
  const h = (name) => response.headers.get(name);
  assert.equal(h('x-costgate-profile'), profile);
  const callId = h('x-costgate-call-id');
  assert.match(callId, CALL_ID_RE);
  assert.equal(h('x-costgate-input-tokens'), String(want.all));
  assert.equal(h('x-costgate-output-tokens'), String(want.output));
  assert.match(h('x-costgate-cost-usd'), PLAIN_DECIMAL_RE);
  assert.equal(dec(h('x-costgate-cost-usd')), want.cost,
               `x-costgate-cost-usd ${h('x-costgate-cost-usd')}`);
  return callId;
}

// The "costgate" object of a stream's final event: input split as Anthropic's usage splits it.
function upstreamEvent(info, profile, callId, want) {
  assert.ok(info, 'the final event carries no costgate object');
  assert.equal(info.profile, profile);
  assert.equal(info.call_id, callId);
  assert.equal(info.input_tokens, want.plain);
  assert.equal(info.output_tokens, want.output);
  assert.equal(info.cache_read_input_tokens ?? 0, want.cacheRead);
  assert.equal(info.cache_write_input_tokens ?? 0, want.cacheWrite);
  assert.match(info.cost_usd, PLAIN_DECIMAL_RE);
  assert.equal(dec(info.cost_usd), want.cost);
}

function rememberUpstream(callId, facts) {
  assert.ok(!viaUpstream.has(callId) && !answered.has(callId), `call id ${callId} seen twice`);
  viaUpstream.set(callId, facts);
}

test('openai SDK -> anthropic upstream: chat.completions.create, not streaming', async () => {
  const token = unique();
  const text = `What does a cost gateway do? ${token} words=6`;
  const { data, response } = await openai(keys.customer1).chat.completions
    .create({ model: TO_ANTHROPIC, max_tokens: 30, temperature: 0.5,
              messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: text }] },
            { headers: { 'x-request-id': `sdk-up-${token}` } })
    .withResponse();
  const want = usageOf(words(SYSTEM) + words(text), 6);
  const callId = upstreamHeaders(response, TO_ANTHROPIC, want);
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.id, `chatcmpl-${callId}`);
  assert.equal(data.model, SONNET, 'the answer names the profile\'s model, not the upstream\'s');
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].message.content, fakeWords(6));
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.deepEqual([data.usage.prompt_tokens, data.usage.completion_tokens,
                    data.usage.total_tokens], [want.all, 6, want.all + 6]);
  assert.equal(data.usage.prompt_tokens_details?.cached_tokens ?? 0, 0);
  const req = await upstreamRequest(token, TO_ANTHROPIC, { stream: false, text, maxTokens: 30 });
  assert.equal(req.body.temperature, 0.5);
  rememberUpstream(callId, { profile: TO_ANTHROPIC, dialect: 'openai', upstream: 'anthropic',
                             want, requestId: `sdk-up-${token}` });
});

test('openai SDK -> anthropic upstream: streaming with include_usage, cache reads and writes',
     async () => {
  const token = unique();
  const text = `Explain prompt caching. ${token} cached=11 cache_write=13`;
  const { data: stream, response } = await openai(keys.customer1).chat.completions
    .create({ model: TO_ANTHROPIC, max_tokens: 5, stream: true,
              stream_options: { include_usage: true },
              messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: text }] })
    .withResponse();
  assert.equal(response.headers.get('x-costgate-profile'), TO_ANTHROPIC);
  const callId = response.headers.get('x-costgate-call-id');
  assert.match(callId, CALL_ID_RE);
  let content = '';
  let usage = null;
  let info = null;
  let finish = null;
  for await (const chunk of stream) {
    assert.equal(chunk.id, `chatcmpl-${callId}`);
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, SONNET);
    if (chunk.choices.length) {
      content += chunk.choices[0].delta.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
      assert.equal(chunk.usage, null);
    } else {
      assert.equal(usage, null, 'two usage chunks');
      usage = chunk.usage;
    }
    if (chunk.costgate) info = chunk.costgate;
  }
  const want = usageOf(words(SYSTEM) + words(text), 5, 11, 13);
  assert.notEqual(want.cost, expectedCost(SONNET, want.all, 5),
                  'the test cannot tell cache tokens from input');
  assert.equal(content, fakeWords(5));
  assert.equal(finish, 'length');
  assert.ok(usage, 'no usage chunk');
  assert.deepEqual([usage.prompt_tokens, usage.completion_tokens, usage.total_tokens],
                   [want.all, 5, want.all + 5]);
  assert.equal(usage.prompt_tokens_details?.cached_tokens, 11);
  upstreamEvent(info, TO_ANTHROPIC, callId, want);
  await upstreamRequest(token, TO_ANTHROPIC, { stream: true, text, maxTokens: 5 });
  rememberUpstream(callId, { profile: TO_ANTHROPIC, dialect: 'openai', upstream: 'anthropic',
                             want });
});

test('anthropic SDK -> openai upstream: messages.create, not streaming, cached tokens',
     async () => {
  const token = unique();
  const text = `What does a cost gateway do? ${token} cached=7`;
  const { data, response } = await anthropic(keys.customer1).messages
    .create({ model: TO_OPENAI, max_tokens: 4, system: SYSTEM, top_p: 0.9,
              messages: [{ role: 'user', content: text }] },
            { headers: { 'x-request-id': `sdk-up-${token}` } })
    .withResponse();
  // OpenAI's prompt_tokens (plain + 7) includes the cached tokens: they are cache reads.
  const want = usageOf(words(SYSTEM) + words(text), 4, 7);
  assert.notEqual(want.cost, expectedCost(SONNET, want.all, 4),
                  'the test cannot tell cache reads from input');
  const callId = upstreamHeaders(response, TO_OPENAI, want);
  assert.equal(data.type, 'message');
  assert.equal(data.role, 'assistant');
  assert.equal(data.id, `msg_${callId}`);
  assert.equal(data.model, SONNET);
  assert.deepEqual(data.content, [{ type: 'text', text: fakeWords(4) }]);
  assert.equal(data.stop_reason, 'max_tokens');
  assert.deepEqual([data.usage.input_tokens, data.usage.cache_read_input_tokens,
                    data.usage.cache_creation_input_tokens, data.usage.output_tokens],
                   [want.plain, 7, 0, 4]);
  const req = await upstreamRequest(token, TO_OPENAI, { stream: false, text, maxTokens: 4 });
  assert.equal(req.body.top_p, 0.9);
  rememberUpstream(callId, { profile: TO_OPENAI, dialect: 'anthropic', upstream: 'openai', want,
                             requestId: `sdk-up-${token}` });
});

test('anthropic SDK -> openai upstream: messages.stream() and finalMessage(), cached tokens',
     async () => {
  const token = unique();
  const text = `Explain prompt caching. ${token} cached=5 words=3`;
  const stream = anthropic(keys.customer1).messages.stream({
    model: TO_OPENAI, max_tokens: 20, system: SYSTEM,
    messages: [{ role: 'user', content: text }] });
  let streamed = '';
  let info = null;
  const types = [];
  stream.on('text', (delta) => { streamed += delta; });
  stream.on('streamEvent', (event) => {
    types.push(event.type);
    if (event.type === 'message_stop') info = event.costgate;
  });
  const { response } = await stream.withResponse();
  assert.equal(response.headers.get('x-costgate-profile'), TO_OPENAI);
  const callId = response.headers.get('x-costgate-call-id');
  assert.match(callId, CALL_ID_RE);
  const message = await stream.finalMessage();
  const want = usageOf(words(SYSTEM) + words(text), 3, 5);
  assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(streamed, fakeWords(3));
  assert.equal(message.id, `msg_${callId}`);
  assert.equal(message.model, SONNET);
  assert.deepEqual(message.content, [{ type: 'text', text: fakeWords(3) }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.deepEqual([message.usage.input_tokens, message.usage.cache_read_input_tokens,
                    message.usage.cache_creation_input_tokens, message.usage.output_tokens],
                   [want.plain, 5, 0, 3]);
  upstreamEvent(info, TO_OPENAI, callId, want);
  await upstreamRequest(token, TO_OPENAI, { stream: true, text, maxTokens: 20 });
  rememberUpstream(callId, { profile: TO_OPENAI, dialect: 'anthropic', upstream: 'openai',
                             want });
});

// An upstream's error as costgate answers it: the upstream's status, the x-costgate headers
// (a call id, nothing charged), type upstream_error with the upstream's message. Returns the
// call id.
function upstreamErrorFacts(e, profile, requestId) {
  const h = e.headers ?? {};
  assert.equal(h['x-costgate-profile'], profile);
  assert.match(h['x-costgate-call-id'] ?? '', CALL_ID_RE);
  assert.equal(h['x-costgate-cost-usd'], '0');
  assert.equal(h['x-request-id'], requestId);
  assert.match(e.message, /Rate limit reached for requests \(injected fault\)/);
  return h['x-costgate-call-id'];
}

test('upstream 429 -> OpenAI.RateLimitError (anthropic upstream), whole and streaming',
     async () => {
  for (const stream of [false, true]) {
    const token = unique();
    const requestId = `sdk-429-${token}`;
    const text = `Hello ${token} fault=status_429`;
    let callId;
    await assert.rejects(
      openai(keys.customer1).chat.completions.create(
        { model: TO_ANTHROPIC, max_tokens: 10, messages: [{ role: 'user', content: text }],
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) },
        { headers: { 'x-request-id': requestId } }),
      (e) => {
        assert.ok(e instanceof OpenAI.RateLimitError, `${e?.constructor?.name}: ${e}`);
        assert.equal(e.status, 429);
        assert.equal(e.type, 'upstream_error');
        callId = upstreamErrorFacts(e, TO_ANTHROPIC, requestId);
        return true;
      });
    assert.equal((await fakeRequests(token)).length, 1, 'costgate retried the 429');
    upstreamFailures.push({ callId, requestId, profile: TO_ANTHROPIC, dialect: 'openai',
                            upstream: 'anthropic' });
  }
});

test('upstream 429 -> Anthropic.RateLimitError (openai upstream), whole and streaming',
     async () => {
  for (const stream of [false, true]) {
    const token = unique();
    const requestId = `sdk-429-${token}`;
    const params = { model: TO_OPENAI, max_tokens: 10,
                     messages: [{ role: 'user', content: `Hello ${token} fault=status_429` }] };
    const options = { headers: { 'x-request-id': requestId } };
    const call = stream
      ? anthropic(keys.customer1).messages.stream(params, options).finalMessage()
      : anthropic(keys.customer1).messages.create(params, options);
    let callId;
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof Anthropic.RateLimitError, `${e?.constructor?.name}: ${e}`);
      assert.equal(e.status, 429);
      assert.equal(e.error?.type, 'error');
      assert.equal(e.error?.error?.type, 'upstream_error');
      callId = upstreamErrorFacts(e, TO_OPENAI, requestId);
      return true;
    });
    assert.equal((await fakeRequests(token)).length, 1, 'costgate retried the 429');
    upstreamFailures.push({ callId, requestId, profile: TO_OPENAI, dialect: 'anthropic',
                            upstream: 'openai' });
  }
});

test('the ledger holds the upstream calls at their exact costs, and the 429s as failures', () => {
  assert.equal(viaUpstream.size, 4);
  const usage = JSON.parse(costgate('usage', '--json'));
  const byId = new Map(usage.records.map((r) => [r.call_id, r]));
  let total = 0n;
  for (const [callId, f] of viaUpstream) {
    const rec = byId.get(callId);
    assert.ok(rec, `call ${callId} is not in \`costgate usage\``);
    assert.equal(rec.status, 'success');
    assert.equal(rec.http_status, 200);
    assert.equal(rec.error_type, '');
    assert.equal(rec.estimated, false);
    assert.equal(rec.unpriced, false);
    assert.equal(rec.upstream, f.upstream);
    assert.equal(rec.dialect, f.dialect);
    assert.equal(rec.profile_name, f.profile);
    assert.equal(rec.model_id, SONNET);
    if (f.requestId) assert.equal(rec.request_id, f.requestId);
    assert.deepEqual(rec.usage, { input_tokens: f.want.plain, output_tokens: f.want.output,
                                  cache_read_tokens: f.want.cacheRead,
                                  cache_write_tokens: f.want.cacheWrite });
    // Each kind alone: its tokens times its price, exactly.
    assert.equal(dec(rec.cost.plain_input_usd), expectedCost(SONNET, f.want.plain, 0));
    assert.equal(dec(rec.cost.cache_read_usd), expectedCost(SONNET, 0, 0, f.want.cacheRead));
    assert.equal(dec(rec.cost.cache_write_usd), expectedCost(SONNET, 0, 0, 0, f.want.cacheWrite));
    assert.equal(dec(rec.cost.output_usd), expectedCost(SONNET, 0, f.want.output));
    assert.equal(dec(rec.cost.total_usd), f.want.cost);
    total += f.want.cost;
  }
  assert.equal(upstreamFailures.length, 4);
  for (const f of upstreamFailures) {
    const recs = usage.records.filter((r) => r.request_id === f.requestId);
    assert.equal(recs.length, 1, `the 429 of ${f.requestId} is recorded ${recs.length} times`);
    const rec = recs[0];
    assert.equal(rec.call_id, f.callId);
    assert.equal(rec.status, 'failure');
    assert.equal(rec.http_status, 429);
    assert.equal(rec.error_type, 'upstream_error');
    assert.equal(rec.estimated, false);
    assert.deepEqual(rec.usage, { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0,
                                  cache_write_tokens: 0 });
    assert.equal(rec.upstream, f.upstream);
    assert.equal(rec.dialect, f.dialect);
    assert.equal(rec.profile_name, f.profile);
    assert.equal(dec(rec.cost.total_usd), 0n, 'a refused call is charged nothing');
  }
  // Everything: the sim's calls, the upstream successes and the failures.
  for (const facts of answered.values()) total += facts.cost;
  assert.equal(usage.totals.calls, answered.size + viaUpstream.size + upstreamFailures.length);
  assert.equal(usage.totals.failures, upstreamFailures.length);
  assert.equal(dec(usage.totals.total_cost_usd), total);
});
