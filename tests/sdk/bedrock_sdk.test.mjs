// The official @aws-sdk/client-bedrock-runtime against a real `costgate serve`, unchanged but for
// its endpoint and credentials: Converse and ConverseStream signed with SigV4 by the SDK itself.
//
// Sets up a copy of examples/ in a temporary directory (`costgate setup --create-user-roles`,
// which issues an AWS credential beside each API key), starts `costgate serve --listen
// 127.0.0.1:0` (the sim upstream) and calls it with modelId = a profile ARN, a profile id, and a
// plain model id with the profile named by an inference-profile-name header (added by a
// middleware). Checks content, usage, the x-costgate-* headers (read by a deserialize-step
// middleware), exact costs computed here from models.json with BigInt fixed point, AWS's error
// classes for a wrong secret, a body changed after signing, another tenant's profile and a
// revoked credential and a signature 20 minutes old, and `costgate usage --json` against what
// the SDK was told. Then faults through tests/fake_upstream.py (a profile on its Anthropic API):
// 429 and 529 before the stream, and a connection cut mid-stream, which the SDK raises as a
// ModelStreamErrorException event.
//
//   COSTGATE_BIN=build/src/costgate node --test tests/sdk/bedrock_sdk.test.mjs

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
import { startServe, startFakeUpstream, died } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!existsSync(path.join(here, 'node_modules', '@aws-sdk', 'client-bedrock-runtime'))) {
  throw new Error(`${path.join(here, 'node_modules')} lacks @aws-sdk/client-bedrock-runtime: ` +
                  'run scripts/setup.sh (it runs `npm ci` in tests/sdk)');
}
const {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand,
} = await import('@aws-sdk/client-bedrock-runtime');
// The client's own HTTP/1.1 handler (a dependency of the client, installed with it).
const { NodeHttpHandler } = await import('@smithy/node-http-handler');

const BIN = process.env.COSTGATE_BIN;
const EXAMPLES = process.env.COSTGATE_EXAMPLES || path.join(here, '..', '..', 'examples');
if (!BIN || !existsSync(BIN)) {
  throw new Error(`COSTGATE_BIN=${BIN ?? ''} is not the costgate binary; set it, e.g. ` +
                  'COSTGATE_BIN=build/src/costgate');
}
const PRICE_REGION = 'us-west-2'; // the profiles' region (config.json's aws_region)
const SIGNING_REGION = 'eu-central-1'; // any region is accepted: the SDK signs with its own
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET = 'anthropic.claude-3-5-sonnet-20241022-v2:0';
const NOVA_MICRO_US = 'us.amazon.nova-micro-v1:0';
const CALL_ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PLAIN_DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;
const ACCESS_KEY_RE = /^AKCG[A-Z0-9]{16}$/;
const SECRET_RE = /^[A-Za-z0-9]{40}$/;

// --- exact money ----------------------------------------------------------------------------

const expectedCost = costCalculator(EXAMPLES, PRICE_REGION);

// --- costgate --------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), 'costgate-bedrock-sdk-test-'));
const config = path.join(work, 'config.json');
let server;
let port;
const creds = {}; // tenant or 'admin' -> { accessKeyId, secretAccessKey }
const profiles = {}; // name -> profile (id, arn, model_id, ...)
const answered = new Map(); // call id -> { cost, input, output, profile, model }
let fake; // tests/fake_upstream.py, for faults mid-stream

// customer1_research goes to the fake's Anthropic API (its key through this variable); the other
// profiles stay on the sim.
const VIA_FAKE = 'customer1_research';
const ANTHROPIC_KEY = `sk-ant-fake-${randomUUID()}`;
const ANTHROPIC_ENV = 'COSTGATE_BEDROCK_TEST_ANTHROPIC_KEY';
const childEnv = { ...process.env, [ANTHROPIC_ENV]: ANTHROPIC_KEY };

function costgate(...args) {
  return execFileSync(BIN, [...args, '--config', config],
                      { cwd: work, encoding: 'utf8', env: childEnv });
}

function writeConfig(fakePort) {
  const cfg = JSON.parse(readFileSync(path.join(EXAMPLES, 'config.json'), 'utf8'));
  cfg.upstreams = {
    anthropic: { base_url: `http://127.0.0.1:${fakePort}`, api_key_env: ANTHROPIC_ENV,
                 models: { [SONNET]: 'claude-3-5-sonnet-20241022' } },
  };
  cfg.profiles.push({
    name: VIA_FAKE, description: 'Research assistant for customer 1 (anthropic upstream)',
    model_id: SONNET, provider: 'anthropic',
    tags: [{ key: 'ApplicationID', value: 'research' }, { key: 'TenantID', value: 'customer1' }],
  });
  writeFileSync(config, JSON.stringify(cfg, null, 4) + '\n');
}

function startFake() {
  return startFakeUpstream(path.join(here, '..', 'fake_upstream.py'), `sk-unused-${randomUUID()}`,
                           ANTHROPIC_KEY);
}

function startServer() {
  return startServe(BIN, config, { cwd: work, env: childEnv });
}

before(async () => {
  fake = await startFake();
  writeConfig(fake.port);
  copyFileSync(path.join(EXAMPLES, 'models.json'), path.join(work, 'models.json'));
  const out = JSON.parse(costgate('setup', '--create-user-roles', '--json'));
  for (const k of out.keys) {
    assert.match(k.aws_access_key_id, ACCESS_KEY_RE);
    assert.match(k.aws_secret_access_key, SECRET_RE);
    creds[k.role === 'admin' ? 'admin' : k.tenant] =
      { accessKeyId: k.aws_access_key_id, secretAccessKey: k.aws_secret_access_key };
  }
  for (const p of JSON.parse(costgate('profiles', 'list', '--json')).profiles) {
    profiles[p.name] = p;
  }
  server = await startServer();
  port = server.port;
});

afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (server && died(server)) {
    assert.fail(`costgate serve ended; its log:\n${server.log().slice(-4000)}`);
  }
});

after(async () => {
  try {
    if (server && !died(server)) {
      const code = await new Promise((resolve) => {
        server.on('exit', (c, s) => resolve(c ?? s));
        server.kill('SIGTERM');
      });
      assert.equal(code, 0, `costgate serve exited ${code} after SIGTERM:\n${server.log()}`);
    }
  } finally {
    if (fake && !died(fake)) fake.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
});

// A client as an application would make one, pointed at costgate: only the endpoint and the
// credentials are set, so it speaks its default HTTP/2 (NodeHttp2Handler, cleartext with prior
// knowledge to an http:// endpoint). `http1` picks its HTTP/1.1 handler instead, as a client
// behind an HTTP/1.1-only proxy would. `seen.headers` gets the last response's headers;
// `headers` are added to every request (before signing, so they are signed).
function bedrock(credentials, { headers = {}, seen = {}, http1 = false } = {}) {
  const client = new BedrockRuntimeClient({
    region: SIGNING_REGION, endpoint: `http://127.0.0.1:${port}`, credentials, maxAttempts: 1,
    ...(http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
  client.middlewareStack.add((next) => async (args) => {
    Object.assign(args.request.headers, headers);
    return next(args);
  }, { step: 'build', name: 'addProfileHeaders' });
  client.middlewareStack.add((next) => async (args) => {
    const result = await next(args);
    seen.headers = result.response.headers;
    seen.status = result.response.statusCode;
    return result;
  }, { step: 'deserialize', name: 'captureResponseHeaders' });
  return client;
}

const messages = [{ role: 'user', content: [{ text: 'What does a cost gateway do?' }] }];
const system = [{ text: 'You are a terse assistant.' }];

// Checks the x-costgate headers of an answer against its usage; returns its facts.
function costHeaders(headers, profile, model, usage) {
  assert.equal(headers['x-costgate-profile'], profile);
  const callId = headers['x-costgate-call-id'];
  assert.match(callId, CALL_ID_RE);
  assert.match(headers['x-costgate-cost-usd'], PLAIN_DECIMAL_RE);
  const input = Number(headers['x-costgate-input-tokens']);
  const output = Number(headers['x-costgate-output-tokens']);
  assert.equal(input, usage.inputTokens);
  assert.equal(output, usage.outputTokens);
  assert.equal(usage.totalTokens, input + output);
  const cost = dec(headers['x-costgate-cost-usd']);
  assert.equal(cost, expectedCost(model, input, output));
  return { callId, input, output, cost, profile, model };
}

function remember(facts) {
  assert.ok(!answered.has(facts.callId), `call id ${facts.callId} seen twice`);
  answered.set(facts.callId, facts);
}

async function converse(client, seen, modelId, profile, model) {
  const out = await client.send(new ConverseCommand({
    modelId, messages, system, inferenceConfig: { maxTokens: 30, temperature: 0.2 },
  }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.equal(out.output.message.role, 'assistant');
  const text = out.output.message.content[0].text;
  assert.ok(text.length > 0);
  assert.ok(['end_turn', 'max_tokens'].includes(out.stopReason), out.stopReason);
  assert.ok(Number.isInteger(out.metrics.latencyMs) && out.metrics.latencyMs >= 0);
  assert.equal(text.split(' ').length, out.usage.outputTokens); // the sim: one token a word
  const facts = costHeaders(seen.headers, profile, model, out.usage);
  remember(facts);
  return out;
}

async function converseStream(client, seen, modelId, profile, model) {
  const out = await client.send(new ConverseStreamCommand({
    modelId, messages, inferenceConfig: { maxTokens: 25 },
  }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.equal(seen.headers['content-type'], 'application/vnd.amazon.eventstream');
  assert.equal(seen.headers['x-costgate-profile'], profile);
  const callId = seen.headers['x-costgate-call-id'];
  assert.match(callId, CALL_ID_RE);
  const kinds = [];
  let text = '';
  let stopReason;
  let metadata;
  for await (const event of out.stream) {
    const [kind] = Object.keys(event);
    kinds.push(kind);
    if (kind === 'messageStart') assert.equal(event.messageStart.role, 'assistant');
    if (kind === 'contentBlockDelta') {
      assert.equal(event.contentBlockDelta.contentBlockIndex, 0);
      text += event.contentBlockDelta.delta.text;
    }
    if (kind === 'contentBlockStop') assert.equal(event.contentBlockStop.contentBlockIndex, 0);
    if (kind === 'messageStop') stopReason = event.messageStop.stopReason;
    if (kind === 'metadata') metadata = event.metadata;
  }
  assert.equal(kinds[0], 'messageStart');
  assert.ok(kinds.filter((k) => k === 'contentBlockDelta').length >= 1, kinds.join());
  assert.deepEqual(kinds.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
  assert.ok(['end_turn', 'max_tokens'].includes(stopReason), stopReason);
  assert.ok(metadata && metadata.usage && metadata.metrics, JSON.stringify(metadata));
  const { usage } = metadata;
  assert.equal(text.trim().split(' ').length, usage.outputTokens);
  assert.equal(usage.totalTokens, usage.inputTokens + usage.outputTokens);
  assert.ok(Number.isInteger(metadata.metrics.latencyMs));
  const facts = { callId, input: usage.inputTokens, output: usage.outputTokens,
                  cost: expectedCost(model, usage.inputTokens, usage.outputTokens),
                  profile, model };
  remember(facts);
  return facts;
}

// --- the calls ---------------------------------------------------------------------------------

test('setup lists an AWS credential beside each API key', () => {
  assert.deepEqual(Object.keys(creds).sort(), ['admin', 'customer1', 'customer2']);
  const listed = JSON.parse(costgate('keys', 'list', '--json')).keys;
  const aws = listed.filter((k) => k.kind === 'aws').map((k) => k.id).sort();
  assert.deepEqual(aws, Object.values(creds).map((c) => c.accessKeyId).sort());
  assert.ok(!JSON.stringify(listed).includes(creds.customer1.secretAccessKey));
});

test('Converse with a profile ARN as the model id', async () => {
  const seen = {};
  const p = profiles.customer1_websearch;
  assert.match(p.arn, /^arn:aws:bedrock:us-west-2:[0-9]{12}:application-inference-profile\//);
  const client = bedrock(creds.customer1, { seen });
  // Unchanged apart from endpoint and credentials: the SDK's own HTTP/2 handler.
  assert.equal(client.config.requestHandler.constructor.name, 'NodeHttp2Handler');
  await converse(client, seen, p.arn, p.name, HAIKU);
});

test('Converse and ConverseStream over HTTP/1.1 (the SDK\'s NodeHttpHandler)', async () => {
  const seen = {};
  const p = profiles.customer1_websearch;
  const client = bedrock(creds.customer1, { seen, http1: true });
  assert.equal(client.config.requestHandler.constructor.name, 'NodeHttpHandler');
  await converse(client, seen, p.arn, p.name, HAIKU);
  await converseStream(client, seen, p.id, p.name, HAIKU);
});

test('Converse with a profile id as the model id, admin credential', async () => {
  const seen = {};
  const p = profiles.customer2_websearch;
  await converse(bedrock(creds.admin, { seen }), seen, p.id, p.name, NOVA_MICRO_US);
});

test('Converse with a plain model id and an inference-profile-name header', async () => {
  const seen = {};
  const client = bedrock(creds.customer1,
                         { seen, headers: { 'inference-profile-name': 'customer1_codingbot' } });
  await converse(client, seen, SONNET, 'customer1_codingbot', SONNET);
});

test('ConverseStream with a profile ARN as the model id', async () => {
  const seen = {};
  const p = profiles.customer2_codingbot;
  await converseStream(bedrock(creds.customer2, { seen }), seen, p.arn, p.name, p.model_id);
});

test('ConverseStream with a profile id as the model id', async () => {
  const seen = {};
  const p = profiles.customer1_codingbot;
  await converseStream(bedrock(creds.customer1, { seen }), seen, p.id, p.name, SONNET);
});

test('ConverseStream with a plain model id and an inference-profile-name header', async () => {
  const seen = {};
  const client = bedrock(creds.customer1,
                         { seen, headers: { 'inference-profile-name': 'customer1_websearch' } });
  await converseStream(client, seen, HAIKU, 'customer1_websearch', HAIKU);
});

// --- refusals ----------------------------------------------------------------------------------

async function refused(promise, name, status) {
  const err = await promise.then(() => null, (e) => e);
  assert.ok(err, `expected ${name}, but the call succeeded`);
  assert.equal(err.name, name, `${err.name}: ${err.message}`);
  assert.equal(err.$metadata.httpStatusCode, status);
  return err;
}

test('a wrong secret is InvalidSignatureException', async () => {
  const client = bedrock({ accessKeyId: creds.customer1.accessKeyId,
                           secretAccessKey: 'x'.repeat(40) });
  const err = await refused(client.send(new ConverseCommand({
    modelId: profiles.customer1_websearch.id, messages })), 'InvalidSignatureException', 403);
  assert.ok(err.message.startsWith('The request signature we calculated does not match the ' +
                                   'signature you provided.'), err.message);
});

test('a body changed after signing is InvalidSignatureException', async () => {
  const client = bedrock(creds.customer1);
  let tampered = false;
  client.middlewareStack.addRelativeTo((next) => async (args) => {
    // Same length, so content-length still holds: only the signature can tell.
    const body = typeof args.request.body === 'string'
      ? args.request.body : new TextDecoder().decode(args.request.body);
    const changed = body.replace('cost gateway', 'COST GATEWAY');
    tampered = changed !== body && changed.length === body.length;
    args.request.body = changed;
    return next(args);
  }, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamper' });
  const err = await refused(client.send(new ConverseCommand({
    modelId: profiles.customer1_websearch.id, messages })), 'InvalidSignatureException', 403);
  assert.ok(tampered, 'the middleware did not change the signed body');
  assert.ok(err.message.startsWith('The request signature we calculated does not match'),
            err.message);
});

test('an unknown access key id is UnrecognizedClientException', async () => {
  const client = bedrock({ accessKeyId: 'AKCG0000000000000000',
                           secretAccessKey: creds.customer1.secretAccessKey });
  const err = await refused(client.send(new ConverseCommand({
    modelId: profiles.customer1_websearch.id, messages })), 'UnrecognizedClientException', 403);
  assert.equal(err.message, 'The security token included in the request is invalid.');
});

test('a signature 20 minutes old is InvalidSignatureException "Signature expired"', async () => {
  const client = new BedrockRuntimeClient({
    region: SIGNING_REGION, endpoint: `http://127.0.0.1:${port}`, credentials: creds.customer1,
    maxAttempts: 1,
    systemClockOffset: -20 * 60 * 1000, // the signer's clock is 20 minutes behind
  });
  const err = await refused(client.send(new ConverseCommand({
    modelId: profiles.customer1_websearch.id, messages })), 'InvalidSignatureException', 403);
  assert.match(err.message, /^Signature expired: [0-9]{8}T[0-9]{6}Z is now earlier than /);
});

test("a tenant credential cannot reach another tenant's profile", async () => {
  const client = bedrock(creds.customer1);
  await refused(client.send(new ConverseCommand({
    modelId: profiles.customer2_websearch.arn, messages })), 'AccessDeniedException', 403);
  await refused(client.send(new ConverseStreamCommand({
    modelId: profiles.customer2_websearch.id, messages })), 'AccessDeniedException', 403);
});

test("a plain model id that is not the profile's model is ValidationException", async () => {
  const client = bedrock(creds.customer1,
                         { headers: { 'inference-profile-name': 'customer1_websearch' } });
  const err = await refused(client.send(new ConverseCommand({ modelId: SONNET, messages })),
                            'ValidationException', 400);
  assert.equal(err.message, `model "${SONNET}" differs from profile "customer1_websearch"'s ` +
                            `model "${HAIKU}"; omit it or send the profile's model`);
});

test('a malformed request is ValidationException naming the field', async () => {
  const client = bedrock(creds.customer1);
  const err = await refused(client.send(new ConverseCommand({
    modelId: profiles.customer1_websearch.id,
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    inferenceConfig: { temperature: 3 } })), 'ValidationException', 400);
  assert.equal(err.message, 'inferenceConfig.temperature: must be a number between 0 and 1');
});

test('a revoked credential is UnrecognizedClientException within seconds', async () => {
  const made = JSON.parse(costgate('keys', 'create', '--aws', '--tenant', 'customer2', '--json'));
  assert.match(made.access_key_id, ACCESS_KEY_RE);
  assert.match(made.secret_access_key, SECRET_RE);
  assert.equal(made.id, made.access_key_id);
  assert.equal(made.role, 'tenant');
  const client = bedrock({ accessKeyId: made.access_key_id,
                           secretAccessKey: made.secret_access_key });
  const p = profiles.customer2_websearch;
  // A new credential reaches the server within the snapshot's reload interval too.
  let ok = null;
  for (let i = 0; i < 40 && !ok; i++) {
    const seen = {};
    const c = bedrock({ accessKeyId: made.access_key_id, secretAccessKey: made.secret_access_key },
                      { seen });
    ok = await converse(c, seen, p.id, p.name, NOVA_MICRO_US).catch((e) => {
      if (e.name !== 'UnrecognizedClientException') throw e;
      return null;
    });
    if (!ok) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(ok, 'the new credential was not accepted within 4 s');

  costgate('keys', 'revoke', made.access_key_id);
  const start = Date.now();
  let err = null;
  while (!err && Date.now() - start < 5000) {
    err = await client.send(new ConverseCommand({ modelId: p.id, messages }))
      .then((out) => {
        remember(costHeadersOf(out, p));
        return null;
      }, (e) => e);
    if (!err) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(err, 'the revoked credential still worked after 5 s');
  assert.equal(err.name, 'UnrecognizedClientException');
  assert.equal(err.$metadata.httpStatusCode, 403);
});

// Facts of an answer accepted while a revocation was on its way (it is in the ledger too).
function costHeadersOf(out, p) {
  return { callId: `unseen-${answered.size}`, input: out.usage.inputTokens,
           output: out.usage.outputTokens,
           cost: expectedCost(p.model_id, out.usage.inputTokens, out.usage.outputTokens),
           profile: p.name, model: p.model_id, unseenId: true };
}

// --- the ledger --------------------------------------------------------------------------------

test('the ledger holds every answered call with its tokens and exact cost', () => {
  const usage = JSON.parse(costgate('usage', '--json'));
  assert.equal(usage.records.length, answered.size, 'refused calls must not be recorded');
  assert.equal(usage.totals.failures, 0);
  const unseen = [...answered.values()].filter((f) => f.unseenId);
  let total = 0n;
  for (const rec of usage.records) {
    let facts = answered.get(rec.call_id);
    if (!facts) facts = unseen.shift(); // accepted just before the revocation landed
    assert.ok(facts, `recorded call ${rec.call_id} was not answered to the SDK`);
    assert.equal(rec.dialect, 'bedrock');
    assert.equal(rec.status, 'success');
    assert.equal(rec.profile_name, facts.profile);
    assert.equal(rec.model_id, facts.model);
    assert.equal(rec.region, PRICE_REGION);
    assert.equal(rec.usage.input_tokens, facts.input);
    assert.equal(rec.usage.output_tokens, facts.output);
    assert.equal(dec(rec.cost.total_usd), facts.cost);
    assert.match(rec.key_id, ACCESS_KEY_RE);
    total += facts.cost;
  }
  assert.equal(dec(usage.totals.total_cost_usd), total);
});

// --- faults, after the ledger check above (a failed upstream call is recorded too) -------------

test('a fault before the stream is the SDK error of its status', async () => {
  const client = bedrock(creds.customer1);
  const ask = (text) => [{ role: 'user', content: [{ text }] }];
  const p = profiles[VIA_FAKE];
  await refused(client.send(new ConverseStreamCommand({
    modelId: p.id, messages: ask('hello fault=status_429') })), 'ThrottlingException', 429);
  await refused(client.send(new ConverseCommand({
    modelId: p.id, messages: ask('hello fault=status_529') })), 'ServiceUnavailableException',
  529); // the upstream's own status, named as Bedrock names an overload
});

test('an upstream cut mid-stream is a modelStreamErrorException event', async () => {
  const seen = {};
  const client = bedrock(creds.customer1, { seen });
  const out = await client.send(new ConverseStreamCommand({
    modelId: profiles[VIA_FAKE].arn,
    messages: [{ role: 'user', content: [{ text: 'hello words=20 fault=cut_after:2' }] }] }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  const kinds = [];
  let text = '';
  const err = await (async () => {
    for await (const event of out.stream) {
      const [kind] = Object.keys(event);
      kinds.push(kind);
      if (kind === 'contentBlockDelta') text += event.contentBlockDelta.delta.text;
    }
  })().then(() => null, (e) => e);
  assert.ok(err, `the stream ended without an error: ${kinds.join()}`);
  assert.equal(err.name, 'ModelStreamErrorException', `${err.name}: ${err.message}`);
  assert.ok(err.message.length > 0);
  assert.deepEqual(kinds, ['messageStart', 'contentBlockDelta', 'contentBlockDelta']);
  assert.equal(text.trim().split(/\s+/).length, 2, text);
});
