// The official OpenAI and Anthropic SDKs against a real `costgate serve`.
//
// Sets up a copy of examples/ in a temporary directory (`costgate setup --create-user-roles`),
// starts `costgate serve --listen 127.0.0.1:0` (the sim upstream), points the SDKs at it with
// the tenant keys, and checks what they get: content, usage, the x-costgate-* headers (read
// through the SDKs' .withResponse()), exact costs computed here from models.json with BigInt
// fixed point, the SDKs' error classes, and finally `costgate usage --json` against the headers.
//
//   COSTGATE_BIN=build/src/costgate node --test tests/sdk/
//
// The SDKs come from tests/sdk/node_modules: `scripts/setup.sh` installs them (npm ci).

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
const CALL_ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PLAIN_DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;

// --- exact decimals: BigInt scaled by 10^SCALE -------------------------------------------------

const SCALE = 30;
function dec(text) {
  let s = String(text);
  let exp = 0;
  const e = s.search(/[eE]/);
  if (e >= 0) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  assert.match(s, /^[0-9]+(\.[0-9]+)?$/, `not a plain decimal: ${text}`);
  const [whole, frac = ''] = s.split('.');
  const shift = SCALE - frac.length + exp;
  assert.ok(shift >= 0, `too many decimals: ${text}`);
  return BigInt(whole + frac) * 10n ** BigInt(shift);
}

// models.json's prices in REGION (USD per 1,000 tokens), the entry in effect now.
function loadPrices() {
  const models = JSON.parse(readFileSync(path.join(EXAMPLES, 'models.json'), 'utf8'));
  const now = new Date().toISOString();
  const out = {};
  for (const [model, entry] of Object.entries(models[REGION].text)) {
    const entries = Array.isArray(entry) ? entry : [entry];
    const inForce = entries.filter((x) => !x.effective_from || x.effective_from <= now)
      .sort((a, b) => (a.effective_from || '').localeCompare(b.effective_from || ''));
    const chosen = inForce[inForce.length - 1];
    // JSON numbers with up to 15 significant digits print back as written.
    out[model] = { input: dec(String(chosen.input_cost)), output: dec(String(chosen.output_cost)) };
  }
  return out;
}
const PRICES = loadPrices();
function expectedCost(model, inputTokens, outputTokens) {
  const p = PRICES[model];
  return (BigInt(inputTokens) * p.input + BigInt(outputTokens) * p.output) / 1000n;
}

// --- costgate --------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), 'costgate-sdk-test-'));
const config = path.join(work, 'config.json');
let server;
let port;
let keys;
const answered = new Map(); // call id -> { cost: BigInt, input, output }

function costgate(...args) {
  return execFileSync(BIN, [...args, '--config', config], { cwd: work, encoding: 'utf8' });
}

function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['serve', '--config', config, '--listen', '127.0.0.1:0',
                             '--threads', '2'], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`costgate serve did not start:\n${log}`)),
                             20000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:([0-9]+)/.exec(log);
      if (m && !proc.port) {
        proc.port = Number(m[1]);
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.on('exit', (code, signal) => {
      if (!proc.port) {
        clearTimeout(timer);
        reject(new Error(`costgate serve ended (${code ?? signal}) before listening:\n${log}`));
      }
    });
    proc.log = () => log;
  });
}

function died(proc) {
  return proc.exitCode !== null || proc.signalCode !== null;
}

function describeExit(proc) {
  return proc.signalCode ? `was killed by ${proc.signalCode}` : `exited ${proc.exitCode}`;
}

// SIGTERM; resolves with the exit code, or the signal's name when a signal ended it.
function stopServer(proc) {
  return new Promise((resolve) => {
    if (died(proc)) return resolve(proc.exitCode ?? proc.signalCode);
    proc.on('exit', (code, signal) => resolve(code ?? signal));
    proc.kill('SIGTERM');
  });
}

before(async () => {
  copyFileSync(path.join(EXAMPLES, 'config.json'), config);
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
