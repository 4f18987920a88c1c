// costgate's HTTP/2 cleartext side (prior knowledge, as @aws-sdk/client-bedrock-runtime speaks
// it to an http:// endpoint), seen from node's own `node:http2` client.
//
// Sets up a copy of examples/ in a temporary directory (`costgate setup --create-user-roles`),
// starts `costgate serve --listen 127.0.0.1:0` (the sim upstream), and sends OpenAI and
// Anthropic calls over one HTTP/2 session: whole and streamed (SSE over HTTP/2) answers with
// their exact x-costgate-* headers (costs computed here from models.json with BigInt fixed
// point), concurrent streams, 401 and 413, and finally `costgate usage --json`: exactly one row
// per answered call.
//
//   COSTGATE_BIN=build/src/costgate node --test tests/sdk/http2.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http2 from 'node:http2';
import { existsSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { dec, costCalculator } from './money.mjs';
import { startServe } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
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
const MAX_BODY = 6 * 1024 * 1024;

// --- exact money ----------------------------------------------------------------------------

const expectedCost = costCalculator(EXAMPLES, REGION);

// --- costgate --------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), 'costgate-http2-test-'));
const config = path.join(work, 'config.json');
let server;
let keys;
let session; // one HTTP/2 session for every test
const answered = new Map(); // call id -> { cost: BigInt, input, output }

function costgate(...args) {
  return execFileSync(BIN, [...args, '--config', config], { cwd: work, encoding: 'utf8' });
}

function startServer() {
  return startServe(BIN, config, { cwd: work });
}

before(async () => {
  copyFileSync(path.join(EXAMPLES, 'config.json'), config);
  copyFileSync(path.join(EXAMPLES, 'models.json'), path.join(work, 'models.json'));
  const out = JSON.parse(costgate('setup', '--create-user-roles', '--json'));
  keys = { admin: out.keys.find((k) => k.role === 'admin').key };
  for (const k of out.keys.filter((k) => k.role === 'tenant')) keys[k.tenant] = k.key;
  server = await startServer();
  session = http2.connect(`http://127.0.0.1:${server.port}`);
  await new Promise((resolve, reject) => {
    session.once('connect', resolve);
    session.once('error', reject);
  });
});

after(async () => {
  try {
    if (session) session.close();
    if (server) {
      const alive = server.exitCode === null && server.signalCode === null;
      const code = await new Promise((resolve) => {
        if (!alive) return resolve(server.exitCode ?? server.signalCode);
        server.on('exit', (c, s) => resolve(c ?? s));
        server.kill('SIGTERM');
      });
      assert.ok(alive, `costgate serve died during the tests:\n${server.log().slice(-4000)}`);
      assert.equal(code, 0, `costgate serve exited ${code} after SIGTERM:\n${server.log()}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

// One request on the shared session; resolves with status, headers, the body as text and the
// number of DATA pieces that arrived.
function call(method, urlPath, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': method, ':path': urlPath, ...headers });
    let response;
    const pieces = [];
    req.on('response', (h) => { response = h; });
    req.on('data', (d) => pieces.push(d));
    req.on('end', () => {
      resolve({ status: response[':status'], headers: response,
                body: Buffer.concat(pieces).toString('utf8'), pieces: pieces.length,
                rstCode: req.rstCode });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function postJson(urlPath, key, payload, extra = {}) {
  const headers = { 'content-type': 'application/json', ...extra };
  if (key) headers.authorization = `Bearer ${key}`;
  return call('POST', urlPath, headers, JSON.stringify(payload));
}

// Checks the x-costgate headers of an answer; returns its facts.
function costHeaders(h, profile, model) {
  assert.equal(h['x-costgate-profile'], profile);
  const callId = h['x-costgate-call-id'];
  assert.match(callId, CALL_ID_RE);
  assert.match(h['x-costgate-input-tokens'], /^[0-9]+$/);
  assert.match(h['x-costgate-output-tokens'], /^[0-9]+$/);
  assert.match(h['x-costgate-cost-usd'], PLAIN_DECIMAL_RE);
  const input = Number(h['x-costgate-input-tokens']);
  const output = Number(h['x-costgate-output-tokens']);
  const cost = dec(h['x-costgate-cost-usd']);
  assert.equal(cost, expectedCost(model, input, output));
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

// SSE events: [{ event, data }] with data parsed unless it is "[DONE]".
function sse(text) {
  assert.ok(text.endsWith('\n\n'), 'the stream ends with a whole event');
  return text.slice(0, -2).split('\n\n').map((block) => {
    const ev = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(': ');
      const field = line.slice(0, colon);
      const value = line.slice(colon + 2);
      if (field === 'event') ev.event = value;
      if (field === 'data') ev.data = value === '[DONE]' ? value : JSON.parse(value);
    }
    return ev;
  });
}

const question = [{ role: 'user', content: 'What does a cost gateway do?' }];

// --- whole answers -----------------------------------------------------------------------------

test('POST /v1/chat/completions over HTTP/2', async () => {
  const r = await postJson('/v1/chat/completions', keys.customer1,
                           { model: 'customer1_websearch', messages: question, max_tokens: 30 },
                           { 'x-request-id': 'h2-openai-1' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
  assert.equal(r.headers['x-request-id'], 'h2-openai-1');
  const facts = costHeaders(r.headers, 'customer1_websearch', HAIKU);
  const data = JSON.parse(r.body);
  assert.equal(data.id, `chatcmpl-${facts.callId}`);
  assert.equal(data.usage.prompt_tokens, facts.input);
  assert.equal(data.usage.completion_tokens, facts.output);
  assert.equal(data.choices[0].message.content.split(' ').length, facts.output);
  remember(facts);
});

test('POST /v1/messages over HTTP/2', async () => {
  const r = await call('POST', '/v1/messages',
                       { 'content-type': 'application/json', 'x-api-key': keys.customer2,
                         'anthropic-version': '2023-06-01' },
                       JSON.stringify({ model: 'customer2_websearch', max_tokens: 30,
                                        messages: question }));
  assert.equal(r.status, 200);
  const facts = costHeaders(r.headers, 'customer2_websearch', NOVA_MICRO_US);
  const data = JSON.parse(r.body);
  assert.equal(data.id, `msg_${facts.callId}`);
  assert.equal(data.usage.input_tokens, facts.input);
  assert.equal(data.usage.output_tokens, facts.output);
  assert.equal(data.content[0].text.split(' ').length, facts.output);
  remember(facts);
});

// --- streamed answers (SSE over HTTP/2) --------------------------------------------------------

test('streaming /v1/chat/completions over HTTP/2', async () => {
  const r = await postJson('/v1/chat/completions', keys.customer2,
                           { model: 'customer2_websearch', messages: question, max_tokens: 40,
                             stream: true, stream_options: { include_usage: true } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/event-stream');
  assert.equal(r.headers['content-length'], undefined);
  assert.equal(r.headers['transfer-encoding'], undefined);
  assert.equal(r.headers['x-costgate-profile'], 'customer2_websearch');
  const callId = r.headers['x-costgate-call-id'];
  assert.match(callId, CALL_ID_RE);
  const events = sse(r.body);
  assert.equal(events[events.length - 1].data, '[DONE]');
  const chunks = events.slice(0, -1).map((e) => e.data);
  assert.ok(chunks.length > 2);
  let content = '';
  let usage = null;
  let info = null;
  for (const c of chunks) {
    assert.equal(c.id, `chatcmpl-${callId}`);
    if (c.choices.length) content += c.choices[0].delta.content ?? '';
    else usage = c.usage;
    if (c.costgate) info = c.costgate;
  }
  const facts = costgateEvent(info, 'customer2_websearch', NOVA_MICRO_US, callId);
  assert.equal(usage.prompt_tokens, facts.input);
  assert.equal(usage.completion_tokens, facts.output);
  assert.equal(content.split(' ').length, facts.output);
  remember(facts);
});

test('streaming /v1/messages over HTTP/2', async () => {
  const r = await call('POST', '/v1/messages',
                       { 'content-type': 'application/json', 'x-api-key': keys.customer1,
                         'anthropic-version': '2023-06-01' },
                       JSON.stringify({ model: 'customer1_websearch', max_tokens: 45,
                                        messages: question, stream: true }));
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/event-stream');
  const callId = r.headers['x-costgate-call-id'];
  assert.equal(r.headers['x-costgate-profile'], 'customer1_websearch');
  const events = sse(r.body);
  const types = events.map((e) => e.event);
  assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  const text = events.filter((e) => e.event === 'content_block_delta')
    .map((e) => e.data.delta.text).join('');
  const usage = events.find((e) => e.event === 'message_delta').data.usage;
  const info = events[events.length - 1].data.costgate;
  const facts = costgateEvent(info, 'customer1_websearch', HAIKU, callId);
  assert.equal(usage.output_tokens, facts.output);
  assert.equal(text.split(' ').length, facts.output);
  remember(facts);
});

// --- one session, several streams at once ------------------------------------------------------

test('concurrent streams on one HTTP/2 session', async () => {
  const streamsBefore = session.state.nextStreamID;
  const calls = [];
  for (let i = 0; i < 8; ++i) {
    const stream = i % 2 === 1;
    calls.push(postJson('/v1/chat/completions', keys.customer1,
                        { model: 'customer1_websearch', max_tokens: 5 + i, stream,
                          messages: [{ role: 'user', content: `question number ${i}` }],
                          ...(stream ? { stream_options: { include_usage: true } } : {}) }));
  }
  const results = await Promise.all(calls);
  // All went over the one session: 8 stream ids (odd numbers, 2 apart) were used on it.
  assert.equal(session.state.nextStreamID, streamsBefore + 16);
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 200);
    if (i % 2 === 0) {
      const facts = costHeaders(r.headers, 'customer1_websearch', HAIKU);
      assert.ok(facts.output >= 1 && facts.output <= 5 + i, `${facts.output} tokens`);
      remember(facts);
    } else {
      const callId = r.headers['x-costgate-call-id'];
      const info = sse(r.body).map((e) => e.data).find((d) => d !== '[DONE]' && d.costgate);
      const facts = costgateEvent(info?.costgate, 'customer1_websearch', HAIKU, callId);
      assert.ok(facts.output >= 1 && facts.output <= 5 + i, `${facts.output} tokens`);
      remember(facts);
    }
  }
});

// --- errors --------------------------------------------------------------------------------------

test('401 without a key, with the JSON error body', async () => {
  const r = await postJson('/v1/chat/completions', null,
                           { model: 'customer1_websearch', messages: question, max_tokens: 5 });
  assert.equal(r.status, 401);
  assert.equal(r.headers['content-type'], 'application/json');
  const body = JSON.parse(r.body);
  assert.equal(body.error.type, 'authentication_error');
  assert.match(body.error.message, /missing API key/);
});

test('413 for a body over 6 MiB, answered before the body is sent, and the stream closed',
     async () => {
  const big = Buffer.alloc(MAX_BODY + 1, 'a');
  const r = await call('POST', '/v1/chat/completions',
                       { 'content-type': 'application/json', authorization: `Bearer ${keys.admin}`,
                         'content-length': String(big.length) }, big);
  assert.equal(r.status, 413);
  assert.equal(r.body, JSON.stringify({
    error: { type: 'request_too_large',
             message: `the request body has ${MAX_BODY + 1} bytes; the limit is ${MAX_BODY}` } }));
  assert.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR);
  // The session is still good for the next call.
  const ok = await call('GET', '/healthz');
  assert.equal(ok.status, 200);
});

// --- the ledger ----------------------------------------------------------------------------------

test('the ledger has exactly one row per answered call, at the cost the headers said', () => {
  assert.equal(answered.size, 12);
  const usage = JSON.parse(costgate('usage', '--json'));
  assert.equal(usage.records.length, answered.size, 'refused calls (401, 413) are not recorded');
  let total = 0n;
  for (const rec of usage.records) {
    const facts = answered.get(rec.call_id);
    assert.ok(facts, `recorded call ${rec.call_id} was not answered`);
    assert.equal(dec(rec.cost.total_usd), facts.cost);
    assert.equal(rec.usage.input_tokens, facts.input);
    assert.equal(rec.usage.output_tokens, facts.output);
    assert.equal(rec.status, 'success');
    total += facts.cost;
  }
  assert.equal(dec(usage.totals.total_cost_usd), total);
  const requestIds = usage.records.map((r) => r.request_id).filter((x) => x);
  assert.deepEqual(requestIds, ['h2-openai-1']);
});
