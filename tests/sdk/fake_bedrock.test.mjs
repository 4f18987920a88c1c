// Self-test of tests/sdk/fake_bedrock.mjs with the OFFICIAL AWS clients, so that costgate's tests
// against the fake test against Bedrock's real wire formats: @aws-sdk/client-bedrock-runtime
// (Converse, ConverseStream; HTTP/2, its default, and HTTP/1.1) and @aws-sdk/client-bedrock
// (the inference-profile control plane), each with only its endpoint and static credentials
// changed, plus raw requests signed with @smithy/signature-v4 for what an SDK never sends (a body
// changed after signing, a stale date, a wrong scope). No costgate binary needed.
//
//   node --test tests/sdk/fake_bedrock.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!existsSync(path.join(here, 'node_modules', '@aws-sdk', 'client-bedrock-runtime'))) {
  throw new Error(`${path.join(here, 'node_modules')} lacks the AWS SDK packages: run ` +
                  'scripts/setup.sh (it runs `npm ci` in tests/sdk)');
}
const runtime = await import('@aws-sdk/client-bedrock-runtime');
const control = await import('@aws-sdk/client-bedrock');
const { NodeHttpHandler } = await import('@smithy/node-http-handler');
const { SignatureV4 } = await import('@smithy/signature-v4');
const { Sha256 } = await import('@aws-crypto/sha256-js');
const { EventStreamCodec } = await import('@smithy/eventstream-codec');
const { fromUtf8, toUtf8 } = await import('@smithy/util-utf8');
const { startFakeBedrock } = await import('./fake_bedrock.mjs');
const { padding } = await import('./fake_bedrock_runtime.mjs');

const AKID = 'AKIAFAKEBEDROCK00001';
const SECRET = 'fAkEsEcReTfAkEsEcReTfAkEsEcReTfAkEsEcReT';
const REGION = 'us-east-1';
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const HAIKU_ARN = `arn:aws:bedrock:${REGION}::foundation-model/${HAIKU}`;
const CREDS = { accessKeyId: AKID, secretAccessKey: SECRET };
const TEMP_CREDS = {  // temporary credentials: their session token must come along
  accessKeyId: 'ASIAFAKEBEDROCK00002', secretAccessKey: 'tEmPsEcReTtEmPsEcReTtEmPsEcReTtEmPsEcReT',
  sessionToken: 'FwoGZXIvYXdzEFAKESESSIONTOKEN',
};

let fake;
before(async () => {
  fake = await startFakeBedrock({ credentials: [CREDS, TEMP_CREDS], region: REGION });
});
after(async () => {
  await fake.close();
});

function runtimeClient(extra = {}) {
  return new runtime.BedrockRuntimeClient({
    region: REGION, endpoint: fake.url, credentials: CREDS, maxAttempts: 1, ...extra,
  });
}
function controlClient() {
  return new control.BedrockClient({
    region: REGION, endpoint: fake.url, credentials: CREDS, maxAttempts: 1,
  });
}
const user = (text) => [{ role: 'user', content: [{ text }] }];
const last = () => fake.requests()[fake.requests().length - 1];

// Streams a ConverseStream call: → {events, error} (error: what iterating threw, if anything).
async function converseStream(client, input) {
  const out = await client.send(new runtime.ConverseStreamCommand(input));
  const events = [];
  try {
    for await (const e of out.stream) events.push(e);
  } catch (error) {
    return { events, error };
  }
  return { events, error: null };
}

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

// --- runtime through @aws-sdk/client-bedrock-runtime -------------------------------------------

test('Converse over HTTP/2 (the SDK default): exact text, stop reason, usage, metrics',
     async () => {
  const out = await runtimeClient().send(new runtime.ConverseCommand({
    modelId: HAIKU,
    system: [{ text: 'You are terse.' }],
    messages: [
      { role: 'user', content: [{ text: 'first question' }] },
      { role: 'assistant', content: [{ text: 'an answer here' }] },
      { role: 'user', content: [{ text: 'and now words=5 cached=7 cache_write=2' }] },
    ],
    inferenceConfig: { maxTokens: 100, temperature: 0.5, topP: 0.9 },
  }));
  assert.deepEqual(out.output, {
    message: { role: 'assistant', content: [{ text: 'w1 w2 w3 w4 w5' }] },
  });
  assert.equal(out.stopReason, 'end_turn');
  // 3 (system) + 2 + 3 + 5 words; total adds output and both cache counts.
  assert.deepEqual(out.usage, {
    inputTokens: 13, outputTokens: 5, totalTokens: 27, cacheReadInputTokens: 7,
    cacheWriteInputTokens: 2,
  });
  assert.deepEqual(out.metrics, { latencyMs: 105 });
  const rec = last();
  assert.equal(rec.operation, 'Converse');
  assert.equal(rec.path, '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
  assert.equal(rec.modelId, HAIKU);
  assert.equal(rec.protocol, 'HTTP/2');
  assert.equal(rec.status, 200);
  assert.equal(rec.signature.ok, true);
  assert.equal(rec.signature.accessKeyId, AKID);
  assert.ok(rec.signature.signedHeaders.includes(':authority'));
  assert.deepEqual(rec.body.inferenceConfig, { maxTokens: 100, temperature: 0.5, topP: 0.9 });
});

test('Converse over HTTP/1.1: maxTokens and stop sequences end the text', async () => {
  const client = runtimeClient({ requestHandler: new NodeHttpHandler() });
  const capped = await client.send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: user('hi'), inferenceConfig: { maxTokens: 3 },
  }));
  assert.equal(capped.output.message.content[0].text, 'w1 w2 w3');
  assert.equal(capped.stopReason, 'max_tokens');
  assert.deepEqual(capped.usage, { inputTokens: 1, outputTokens: 3, totalTokens: 4 });
  assert.equal(last().protocol, 'HTTP/1.1');
  assert.ok(last().signature.signedHeaders.includes('host'));
  const firstConnection = last().connection;

  const stopped = await client.send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: user('hi there'), inferenceConfig: { stopSequences: ['w4'] },
  }));
  assert.equal(stopped.output.message.content[0].text, 'w1 w2 w3');
  assert.equal(stopped.stopReason, 'stop_sequence');
  assert.deepEqual(stopped.usage, { inputTokens: 2, outputTokens: 3, totalTokens: 5 });
  assert.equal(last().connection, firstConnection);  // keep-alive: the same TCP connection
});

test('ConverseStream: the events Bedrock sends, in order, with exact usage', async () => {
  for (const requestHandler of [undefined, new NodeHttpHandler()]) {
    const { events, error } = await converseStream(runtimeClient({ requestHandler }), {
      modelId: HAIKU, messages: user('stream three words=3 cached=4'),
    });
    assert.equal(error, null);
    assert.deepEqual(events, [
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'w1' } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: ' w2' } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: ' w3' } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: {
        usage: { inputTokens: 4, outputTokens: 3, totalTokens: 11, cacheReadInputTokens: 4 },
        metrics: { latencyMs: 103 },
      } },
    ]);
    assert.equal(last().operation, 'ConverseStream');
    assert.equal(last().frames, 7);
  }
});

test('an application inference profile ARN as modelId reaches its model', async () => {
  const bedrock = controlClient();
  const created = await bedrock.send(new control.CreateInferenceProfileCommand({
    inferenceProfileName: 'runtime-arn-test', modelSource: { copyFrom: HAIKU_ARN },
  }));
  const arn = created.inferenceProfileArn;
  const out = await runtimeClient().send(new runtime.ConverseCommand({
    modelId: arn, messages: user('via the profile'),
  }));
  assert.equal(out.usage.inputTokens, 3);
  assert.equal(last().modelId, arn);
  assert.equal(last().path, `/model/${encodeURIComponent(arn)}/converse`);
  assert.equal(last().model, HAIKU_ARN);
  await bedrock.send(new control.DeleteInferenceProfileCommand({
    inferenceProfileIdentifier: arn,
  }));
  const gone = await rejects(runtimeClient().send(new runtime.ConverseCommand({
    modelId: arn, messages: user('deleted'),
  })));
  assert.equal(gone.name, 'ValidationException');
  assert.equal(gone.message, 'The provided model identifier is invalid.');
});

test('a wrong secret or an unknown key id is refused as AWS does', async () => {
  const wrong = await rejects(runtimeClient({
    credentials: { accessKeyId: AKID, secretAccessKey: `${SECRET.slice(1)}x` },
  }).send(new runtime.ConverseCommand({ modelId: HAIKU, messages: user('hi') })));
  assert.equal(wrong.name, 'InvalidSignatureException');
  assert.equal(wrong.$metadata.httpStatusCode, 403);
  // AWS's message, then the canonical request with the path escaped once more (%3A → %253A).
  const expected = 'The request signature we calculated does not match the signature you ' +
      'provided. Check your AWS Secret Access Key and signing method. Consult the service ' +
      'documentation for details.\n\nThe Canonical String for this request should have been\n' +
      "'POST\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n\n:authority:127.0.0.1:";
  assert.ok(wrong.message.startsWith(expected), wrong.message);
  assert.deepEqual(last().signature, {
    ok: false, reason: 'signature_mismatch', detail: last().signature.detail,
  });

  const unknown = await rejects(runtimeClient({
    credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: SECRET },
  }).send(new runtime.ConverseStreamCommand({ modelId: HAIKU, messages: user('hi') })));
  assert.equal(unknown.name, 'UnrecognizedClientException');
  assert.equal(unknown.$metadata.httpStatusCode, 403);
  assert.equal(unknown.message, 'The security token included in the request is invalid.');
  assert.equal(last().signature.reason, 'unknown_access_key');
});

test('HTTP faults surface as the SDK exceptions', async () => {
  const cases = [
    ['throttle', 'ThrottlingException', 429],
    ['validation', 'ValidationException', 400],
    ['500', 'InternalServerException', 500],
    ['503', 'ServiceUnavailableException', 503],
    ['access_denied', 'AccessDeniedException', 403],
    ['model_timeout', 'ModelTimeoutException', 408],
  ];
  for (const [fault, name, status] of cases) {
    for (const Command of [runtime.ConverseCommand, runtime.ConverseStreamCommand]) {
      const e = await rejects(runtimeClient().send(new Command({
        modelId: HAIKU, messages: user(`go fault=${fault}`),
      })));
      assert.equal(e.name, name, `fault=${fault}`);
      assert.equal(e.$metadata.httpStatusCode, status);
      assert.match(e.message, /\(injected fault\)$/);
      assert.equal(last().status, status);
    }
  }
  const throttled = await rejects(runtimeClient().send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: user('fault=throttle'),
  })));
  assert.equal(throttled.message,
               'Too many requests, please wait before trying again. (injected fault)');
});

test('a request Bedrock would refuse gets its ValidationException', async () => {
  const e = await rejects(runtimeClient().send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: [{ role: 'assistant', content: [{ text: 'I start' }] }],
  })));
  assert.equal(e.name, 'ValidationException');
  assert.match(e.message, /^A conversation must start with a user message/);
});

test('mid-stream faults: exception events, a corrupt CRC, a cut connection', async () => {
  const client = runtimeClient();
  const deltas = (events) => events.filter((e) => e.contentBlockDelta)
    .map((e) => e.contentBlockDelta.delta.text).join('');

  const model = await converseStream(client, {
    modelId: HAIKU, messages: user('x fault=midstream'),
  });
  assert.equal(deltas(model.events), 'w1 w2');
  assert.equal(model.error.name, 'ModelStreamErrorException');
  assert.equal(model.error.message, 'The model stream failed (injected fault).');
  assert.equal(model.error.originalStatusCode, 500);
  assert.equal(model.error.originalMessage, 'upstream model error (injected fault)');

  const throttled = await converseStream(client, {
    modelId: HAIKU, messages: user('x fault=midstream_throttle after=3'),
  });
  assert.equal(deltas(throttled.events), 'w1 w2 w3');
  assert.equal(throttled.error.name, 'ThrottlingException');

  const crc = await converseStream(client, {
    modelId: HAIKU, messages: user('x fault=badcrc after=1'),
  });
  assert.equal(deltas(crc.events), 'w1');
  assert.match(crc.error.message,
               /^The message checksum \(\d+\) did not match the expected value of \d+$/);

  // A cut connection: over HTTP/1.1 the SDK raises ECONNRESET ("aborted"); over HTTP/2 its event
  // stream just ends, so only the missing messageStop and metadata tell (costgate must check).
  const h1 = runtimeClient({ requestHandler: new NodeHttpHandler() });
  const cut = await converseStream(h1, { modelId: HAIKU, messages: user('x fault=cut after=4') });
  assert.equal(deltas(cut.events), 'w1 w2 w3 w4');
  assert.equal(cut.error?.code, 'ECONNRESET');
  assert.equal(last().frames, 5);
  const cutH2 = await converseStream(client, { modelId: HAIKU, messages: user('x fault=cut') });
  assert.equal(deltas(cutH2.events), 'w1 w2');
  assert.ok(!cutH2.events.some((e) => e.contentBlockStop || e.messageStop || e.metadata));

  const cutWhole = await rejects(h1.send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: user('fault=cut'),
  })));
  assert.equal(cutWhole.code, 'ECONNRESET');
});

test('fault=slow delays the first byte by slow=MS', async () => {
  const t0 = Date.now();
  const out = await runtimeClient().send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: user('fault=slow slow=400 words=1'),
  }));
  assert.ok(Date.now() - t0 >= 400, `answered after ${Date.now() - t0} ms`);
  assert.equal(out.output.message.content[0].text, 'w1');
});

// --- raw requests: the bytes on the wire ------------------------------------------------------

// Signs {method, path, body, headers} with @smithy/signature-v4 and sends it over HTTP/1.1;
// `sendBody` replaces the body after signing. → {status, headers, body: Buffer}.
async function signedRequest({ method = 'POST', path: p, body = '', headers = {}, sendBody,
                               signingDate = new Date(), region = REGION, service = 'bedrock',
                               applyChecksum = false, secret = SECRET, signableHeaders,
                               server = fake }) {
  const url = new URL(server.url);
  const [pathOnly, rawQuery = ''] = p.split('?');
  const query = Object.fromEntries(new URLSearchParams(rawQuery));
  const signer = new SignatureV4({
    credentials: { accessKeyId: AKID, secretAccessKey: secret }, region, service,
    sha256: Sha256, applyChecksum,
  });
  const signed = await signer.sign({
    method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: pathOnly,
    query, body, headers: { host: url.host, 'content-type': 'application/json', ...headers },
  }, { signingDate, signableHeaders });
  const payload = Buffer.from(sendBody ?? body);
  signed.headers['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: p,
                               headers: signed.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const CONVERSE_BODY = JSON.stringify({ messages: user('hello words=2') });

test('raw: a body changed after signing is refused (with and without x-amz-content-sha256)',
     async () => {
  const ok = await signedRequest({ path: '/model/m/converse', body: CONVERSE_BODY });
  assert.equal(ok.status, 200);
  const changed = CONVERSE_BODY.replace('words=2', 'words=9');
  for (const applyChecksum of [false, true]) {
    const r = await signedRequest({
      path: '/model/m/converse', body: CONVERSE_BODY, sendBody: changed, applyChecksum,
    });
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-amzn-errortype'],
                 'InvalidSignatureException:' +
                 'http://internal.amazon.com/coral/com.amazon.coral.service/');
    const hash = createHash('sha256').update(changed).digest('hex');
    // The canonical request AWS shows ends with the hash of the body it received.
    const message = JSON.parse(r.body).message;
    const tail = `\n${hash}'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n`;
    assert.ok(message.includes(tail), message);
    assert.equal(last().signature.reason,
                 applyChecksum ? 'content_sha256_mismatch' : 'signature_mismatch');
  }
});

test('raw: date skew, scope and missing authorization get AWS\'s 403s', async () => {
  const stale = new Date(Date.now() - 10 * 60 * 1000);
  let r = await signedRequest({
    path: '/model/m/converse', body: CONVERSE_BODY, signingDate: stale,
  });
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).message,
               new RegExp('^Signature expired: \\d{8}T\\d{6}Z is now earlier than ' +
                          '\\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 5 min\\.\\)$'));
  assert.equal(last().signature.reason, 'expired');

  r = await signedRequest({ path: '/model/m/converse', body: CONVERSE_BODY,
                            signingDate: new Date(Date.now() + 10 * 60 * 1000) });
  assert.match(JSON.parse(r.body).message, /^Signature not yet current: /);

  r = await signedRequest({
    path: '/model/m/converse', body: CONVERSE_BODY, service: 'bedrock-runtime',
  });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).message,
               "Credential should be scoped to correct service: 'bedrock'. ");

  r = await signedRequest({ path: '/model/m/converse', body: CONVERSE_BODY, region: 'eu-west-1' });
  assert.equal(r.status, 403);
  assert.equal(last().signature.reason, 'wrong_region');

  r = await new Promise((resolve) => {
    const url = new URL(`${fake.url}/model/m/converse`);
    http.request(url, { method: 'POST' }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks) }));
    }).end(CONVERSE_BODY);
  });
  assert.equal(r.status, 403);
  assert.match(r.headers['x-amzn-errortype'], /^MissingAuthenticationTokenException:/);
  assert.deepEqual(JSON.parse(r.body), { message: 'Missing Authentication Token' });
});

test('raw: the event-stream bytes (headers, "p" padding, alphabetical members)', async () => {
  const r = await signedRequest({ path: `/model/${encodeURIComponent(HAIKU)}/converse-stream`,
                                  body: CONVERSE_BODY });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/vnd.amazon.eventstream');
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frames = [];
  for (let at = 0; at < r.body.length;) {
    const len = r.body.readUInt32BE(at);
    const msg = codec.decode(new Uint8Array(r.body.subarray(at, at + len)));
    const headers = Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, v.value]));
    frames.push({ headers, payload: toUtf8(msg.body) });
    at += len;
  }
  const ev = (type) => ({ ':event-type': type, ':content-type': 'application/json',
                          ':message-type': 'event' });
  assert.deepEqual(frames, [
    { headers: ev('messageStart'), payload: `{"p":"${padding(0)}","role":"assistant"}` },
    { headers: ev('contentBlockDelta'),
      payload: `{"contentBlockIndex":0,"delta":{"text":"w1"},"p":"${padding(1)}"}` },
    { headers: ev('contentBlockDelta'),
      payload: `{"contentBlockIndex":0,"delta":{"text":" w2"},"p":"${padding(2)}"}` },
    { headers: ev('contentBlockStop'), payload: `{"contentBlockIndex":0,"p":"${padding(3)}"}` },
    { headers: ev('messageStop'), payload: `{"p":"${padding(4)}","stopReason":"end_turn"}` },
    { headers: ev('metadata'),
      payload: `{"metrics":{"latencyMs":102},"p":"${padding(5)}",` +
               '"usage":{"inputTokens":2,"outputTokens":2,"totalTokens":4}}' },
  ]);
});

test('raw: any header the client chose to sign is verified, user-agent included', async () => {
  const r = await signedRequest({
    path: '/model/m/converse', body: CONVERSE_BODY, headers: { 'user-agent': 'costgate/0.1' },
    signableHeaders: new Set(['user-agent']),
  });
  assert.equal(r.status, 200);
  assert.deepEqual(last().signature.signedHeaders,
                   ['content-type', 'host', 'user-agent', 'x-amz-date']);
});

test('temporary credentials need their session token', async () => {
  const out = await runtimeClient({ credentials: TEMP_CREDS }).send(new runtime.ConverseCommand({
    modelId: HAIKU, messages: user('temporary words=1'),
  }));
  assert.equal(out.output.message.content[0].text, 'w1');
  assert.ok(last().signature.signedHeaders.includes('x-amz-security-token'));
  const { sessionToken, ...withoutToken } = TEMP_CREDS;
  const e = await rejects(runtimeClient({ credentials: withoutToken }).send(
      new runtime.ConverseCommand({ modelId: HAIKU, messages: user('no token') })));
  assert.equal(e.name, 'UnrecognizedClientException');
  assert.equal(last().signature.reason, 'bad_session_token');
});

test('the fake clock (option now) decides date skew and timestamps', async () => {
  const clock = new Date('2024-03-01T12:00:00Z');
  const frozen = await startFakeBedrock({ ...CREDS, region: REGION, now: () => clock });
  try {
    const body = JSON.stringify({
      inferenceProfileName: 'frozen', modelSource: { copyFrom: HAIKU_ARN },
    });
    const stale = await signedRequest({
      server: frozen, path: '/inference-profiles', body,
      signingDate: new Date(clock.getTime() - 6 * 60 * 1000),
    });
    assert.equal(JSON.parse(stale.body).message,
                 'Signature expired: 20240301T115400Z is now earlier than 20240301T115500Z ' +
                 '(20240301T120000Z - 5 min.)');
    const created = await signedRequest({
      server: frozen, path: '/inference-profiles', body,
      signingDate: new Date(clock.getTime() + 4 * 60 * 1000),
    });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(JSON.parse(created.body)), ['inferenceProfileArn', 'status']);
    assert.equal(frozen.profiles.dump()[0].createdAt, '2024-03-01T12:00:00.000Z');
    assert.equal(frozen.requests()[1].time, '2024-03-01T12:00:00.000Z');
  } finally {
    await frozen.close();
  }
});

// --- control plane through @aws-sdk/client-bedrock ---------------------------------------------

test('control plane round trip: create, get, list, tag, untag, list tags, conflict, delete',
     async () => {
  const bedrock = controlClient();
  const tags = [{ key: 'tenant', value: 'acme' }, { key: 'app', value: 'codingbot' }];
  const input = {
    inferenceProfileName: 'acme-codingbot', description: 'acme coding bot',
    modelSource: { copyFrom: HAIKU_ARN }, tags, clientRequestToken: 'token-acme-1',
  };
  const created = await bedrock.send(new control.CreateInferenceProfileCommand(input));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.equal(created.status, 'ACTIVE');
  const ARN_RE =
      /^arn:aws:bedrock:us-east-1:123456789012:application-inference-profile\/[a-z0-9]{12}$/;
  assert.match(created.inferenceProfileArn, ARN_RE);
  const arn = created.inferenceProfileArn;
  const id = arn.split('/')[1];
  assert.deepEqual(last().body.tags, tags);

  // The same clientRequestToken and parameters: the same profile, not a second one.
  const again = await bedrock.send(new control.CreateInferenceProfileCommand(input));
  assert.equal(again.inferenceProfileArn, arn);
  const conflict = await rejects(bedrock.send(new control.CreateInferenceProfileCommand({
    ...input, clientRequestToken: undefined,
  })));
  assert.equal(conflict.name, 'ConflictException');
  assert.equal(conflict.$metadata.httpStatusCode, 400);

  for (const identifier of [id, arn]) {
    const got = await bedrock.send(new control.GetInferenceProfileCommand({
      inferenceProfileIdentifier: identifier,
    }));
    assert.equal(got.inferenceProfileName, 'acme-codingbot');
    assert.equal(got.inferenceProfileArn, arn);
    assert.equal(got.inferenceProfileId, id);
    assert.equal(got.description, 'acme coding bot');
    assert.deepEqual(got.models, [{ modelArn: HAIKU_ARN }]);
    assert.equal(got.type, 'APPLICATION');
    assert.equal(got.status, 'ACTIVE');
    assert.ok(got.createdAt instanceof Date && !Number.isNaN(got.createdAt.getTime()));
  }

  const second = await bedrock.send(new control.CreateInferenceProfileCommand({
    inferenceProfileName: 'acme-research', modelSource: { copyFrom: HAIKU_ARN },
  }));
  const page1 = await bedrock.send(new control.ListInferenceProfilesCommand({
    maxResults: 1, typeEquals: 'APPLICATION',
  }));
  assert.equal(page1.inferenceProfileSummaries.length, 1);
  assert.ok(page1.nextToken);
  const names = [];
  for await (const page of control.paginateListInferenceProfiles({ client: bedrock, pageSize: 1 },
                                                                 { typeEquals: 'APPLICATION' })) {
    names.push(...page.inferenceProfileSummaries.map((s) => s.inferenceProfileName));
  }
  assert.deepEqual(names, ['acme-codingbot', 'acme-research']);
  assert.equal(last().query.maxResults, '1');
  assert.equal(last().query.type, 'APPLICATION');

  await bedrock.send(new control.TagResourceCommand({
    resourceARN: arn, tags: [{ key: 'app', value: 'codingbot-v2' }, { key: 'team', value: 'ml' }],
  }));
  await bedrock.send(new control.UntagResourceCommand({ resourceARN: arn, tagKeys: ['tenant'] }));
  const listed = await bedrock.send(new control.ListTagsForResourceCommand({ resourceARN: arn }));
  assert.deepEqual(listed.tags,
                   [{ key: 'app', value: 'codingbot-v2' }, { key: 'team', value: 'ml' }]);

  for (const profileArn of [arn, second.inferenceProfileArn]) {
    const deleted = await bedrock.send(new control.DeleteInferenceProfileCommand({
      inferenceProfileIdentifier: profileArn,
    }));
    assert.equal(deleted.$metadata.httpStatusCode, 200);
  }
  const missing = await rejects(bedrock.send(new control.GetInferenceProfileCommand({
    inferenceProfileIdentifier: arn,
  })));
  assert.equal(missing.name, 'ResourceNotFoundException');
  assert.equal(missing.$metadata.httpStatusCode, 404);
  const untagMissing = await rejects(bedrock.send(new control.ListTagsForResourceCommand({
    resourceARN: arn,
  })));
  assert.equal(untagMissing.name, 'ResourceNotFoundException');
  const badName = await rejects(bedrock.send(new control.CreateInferenceProfileCommand({
    inferenceProfileName: 'no/slashes', modelSource: { copyFrom: HAIKU_ARN },
  })));
  assert.equal(badName.name, 'ValidationException');
  assert.ok(fake.requests().filter((r) => r.operation !== null).every((r) => r.signature.ok ||
                                                                            r.status === 403));
});

// --- the command line -------------------------------------------------------------------------

test('command line: prints {"port": N}, serves signed calls, logs JSON lines', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-bedrock-'));
  const log = path.join(dir, 'requests.jsonl');
  const proc = spawn(process.execPath, [path.join(here, 'fake_bedrock.mjs'), '--port', '0',
                                        '--access-key-id', AKID, '--secret-access-key', SECRET,
                                        '--region', 'us-west-2', '--log', log],
                     { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve, reject) => {
      let text = '';
      proc.stdout.on('data', (c) => {
        text += c;
        if (text.includes('\n')) resolve(text.split('\n')[0]);
      });
      proc.on('exit', (code) => reject(new Error(`fake_bedrock.mjs exited with ${code}`)));
    });
    const { port } = JSON.parse(line);
    assert.deepEqual(Object.keys(JSON.parse(line)), ['port']);
    const client = new runtime.BedrockRuntimeClient({
      region: 'us-west-2', endpoint: `http://127.0.0.1:${port}`, credentials: CREDS, maxAttempts: 1,
    });
    const out = await client.send(new runtime.ConverseCommand({
      modelId: HAIKU, messages: user('one two words=2'),
    }));
    assert.equal(out.output.message.content[0].text, 'w1 w2');
    const res = await fetch(`http://127.0.0.1:${port}/__fake/requests`);
    const { requests, connections } = await res.json();
    assert.equal(requests.length, 1);
    assert.equal(connections, 2);  // the SDK's HTTP/2 session, then this fetch
    assert.equal(requests[0].signature.region, 'us-west-2');
    const logged = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(logged.length, 1);
    assert.equal(logged[0].modelId, HAIKU);
    assert.equal(logged[0].status, 200);
    assert.deepEqual(logged[0].body, { messages: user('one two words=2') });
  } finally {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
