// A fake Amazon Bedrock for tests: one real HTTP/1.1 server on loopback that speaks Bedrock's
// wire formats — the runtime (Converse, ConverseStream in the AWS event-stream framing) and the
// control plane's application inference profiles and tags — and checks the SigV4 signature of
// every request independently of costgate's C++ code (fake_bedrock_sigv4.mjs, with
// @smithy/signature-v4). Signing service `bedrock` for both APIs, signing region = `region`.
//
//   POST /model/{modelId}/converse          Converse (modelId URL-encoded: a model id, or an
//   POST /model/{modelId}/converse-stream   application inference profile ARN created here)
//   /inference-profiles..., /tagResource, /untagResource, /listTagsForResource  (control plane;
//                                           see fake_bedrock_control.mjs)
//   GET  /__fake/requests   unsigned: {"connections": N, "requests": [record...]}
//   POST /__fake/reset      unsigned: forget the recorded requests
//   GET  /__fake/profiles   unsigned: the inference profiles, tags included
//
// A record: {seq, time, method, path (as sent), query, operation (the AWS operation name, null
// when no route matched), modelId (decoded from the path), model (what it resolves to: the
// foundation model ARN behind an application profile ARN), headers (lower-case names), body
// (parsed JSON, else text), signature: {ok, reason (fake_bedrock_sigv4.mjs REASONS), detail,
// accessKeyId, region, service, signedHeaders}, status (null while the answer is under way),
// error (the AWS error type answered), protocol ("HTTP/1.1" | "HTTP/2"), connection (ordinal of
// the TCP connection), and for streams frames (how many were written), fault, clientAborted}.
// With `log`, each finished record is also appended to that file as one JSON line.
//
// Answers are deterministic, so a test can predict them exactly:
// - the text is N words "w1 w2 ... wN", N = min(inferenceConfig.maxTokens, words), words = 8
//   unless the marker words=K says otherwise; stopReason "max_tokens" when maxTokens < words,
//   else "end_turn"; a stop sequence equal to one of the words ends the text before it
//   ("stop_sequence");
// - usage.inputTokens = the whitespace-separated words of the system blocks' and of every
//   message's text; outputTokens = N; totalTokens = input + output + cache read + cache write;
//   metrics.latencyMs = 100 + N;
// - streams: messageStart, one contentBlockDelta per word ("w1", " w2", ...), contentBlockStop,
//   messageStop, metadata {usage, metrics}; every payload has Bedrock's "p" padding member.
//
// Markers, whitespace-separated words in the text of the LAST user message:
//   cached=K / cache_write=K   usage.cacheReadInputTokens / cacheWriteInputTokens = K
//   words=K                    answer K words (before maxTokens)
//   fault=throttle             429 ThrottlingException      (also before a stream starts)
//   fault=validation           400 ValidationException
//   fault=500 / fault=503      500 InternalServerException / 503 ServiceUnavailableException
//   fault=access_denied        403 AccessDeniedException
//   fault=model_timeout        408 ModelTimeoutException
//   fault=midstream            streams: after=K deltas (default 2), a modelStreamErrorException
//                              event {message, originalMessage, originalStatusCode: 500}
//   fault=midstream_throttle   streams: after K deltas, a throttlingException event
//   fault=badcrc               streams: after K deltas, a frame whose message CRC is wrong
//   fault=cut                  streams: after K deltas, the socket is destroyed; Converse: the
//                              headers and half the body, then the socket is destroyed
//   fault=slow slow=MS         wait MS (default 1000) before the first byte of the answer
//   gap=MS                     streams: pause MS between frames
// Error answers are AWS's: the status, `x-amzn-ErrorType: <Type>:http://internal.amazon.com/
// coral/...` (clients keep what precedes the colon) and the body {"message": ...}.
//
// As a module:
//   const fake = await startFakeBedrock({accessKeyId, secretAccessKey, region: 'us-east-1'});
//   ... fake.url, fake.port, fake.requests(), fake.reset(), fake.profiles ...
//   await fake.close();
// As a command (prints one line {"port": N} once listening; runs until SIGTERM/SIGINT):
//   node tests/sdk/fake_bedrock.mjs --port 0 --access-key-id AKID --secret-access-key SECRET
//        [--region us-east-1] [--session-token T] [--account-id 123456789012] [--log FILE]

import { appendFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';

import { ProfileStore } from './fake_bedrock_control.mjs';
import {
  converseResponse, cutAfterFrames, HTTP_FAULTS, planConverse, RequestError, streamFrames,
} from './fake_bedrock_runtime.mjs';
import { DEFAULT_MAX_SKEW_MS, parseQuery, verifySigV4 } from './fake_bedrock_sigv4.mjs';

const BEDROCK_FAULT_NS = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const CORAL_FAULT_NS = 'http://internal.amazon.com/coral/com.amazon.coral.service/';
const SYSTEM_ARN_RE =
    /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]+:([0-9]{12})?:(foundation-model|inference-profile)\/.+$/;
const APP_PROFILE_ARN_RE =
    /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]+:[0-9]{12}:application-inference-profile\/[a-z0-9]+$/;

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function requestId(seq) {
  return `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
}

function parseBody(buf) {
  if (buf.length === 0) return null;
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Routes a signed request: → {operation, run: async (ctx) => void}, or null when nothing matches.
function route(method, segments) {
  const [first, second, third] = segments;
  if (first === 'model' && segments.length === 3 && method === 'POST') {
    if (third === 'converse') return { operation: 'Converse', modelSegment: second };
    if (third === 'converse-stream') return { operation: 'ConverseStream', modelSegment: second };
  }
  if (first === 'inference-profiles') {
    if (segments.length === 1 && method === 'POST') return { operation: 'CreateInferenceProfile' };
    if (segments.length === 1 && method === 'GET') return { operation: 'ListInferenceProfiles' };
    if (segments.length === 2 && method === 'GET') {
      return { operation: 'GetInferenceProfile', identifier: second };
    }
    if (segments.length === 2 && method === 'DELETE') {
      return { operation: 'DeleteInferenceProfile', identifier: second };
    }
  }
  if (segments.length === 1 && method === 'POST') {
    if (first === 'tagResource') return { operation: 'TagResource' };
    if (first === 'untagResource') return { operation: 'UntagResource' };
    if (first === 'listTagsForResource') return { operation: 'ListTagsForResource' };
  }
  return null;
}

const isH2 = (req) => req.httpVersionMajor === 2;
const connectionOf = (req) => (isH2(req) ? req.stream.session.fakeOrdinal : req.socket.fakeOrdinal);

// fault=cut: the TCP connection goes away under the answer (HTTP/2: without a GOAWAY frame, the
// whole session at once, as when a peer or a middlebox drops the connection).
function cutConnection(req, res) {
  if (isH2(req)) {
    req.stream.session.fakeSocket.destroy();
  } else {
    res.socket?.destroy();
  }
}

// Lower-case header name → its values as received (HTTP/2 pseudo-headers included: the AWS SDK
// signs :authority there, where HTTP/1.1 has host).
function headersOf(req) {
  const out = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    (out[name] ??= []).push(raw[i + 1]);
  }
  return out;
}

// A socket whose first bytes, already read to tell HTTP/1.1 from HTTP/2, are read again: the
// HTTP servers read sockets' handles directly, so unshift() would not give them back.
class Replayed extends Duplex {
  constructor(socket, head) {
    super();
    this.socket = socket;
    this.fakeOrdinal = socket.fakeOrdinal;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.push(head);
    socket.on('data', (chunk) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  _read() {
    this.socket.resume();
  }

  _write(chunk, encoding, callback) {
    this.socket.write(chunk, encoding, callback);
  }

  _final(callback) {
    this.socket.end(callback);
  }

  _destroy(err, callback) {
    this.socket.destroy();
    callback(err);
  }

  setTimeout(ms, callback) {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  setNoDelay(noDelay) {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable, delay) {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }
}

function decodeSegment(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// Starts the fake. Options: accessKeyId + secretAccessKey [+ sessionToken], or credentials:
// [{accessKeyId, secretAccessKey, sessionToken?}]; region ('us-east-1'; the signing region it
// accepts and the region of its ARNs); accountId ('123456789012'); port (0); host ('127.0.0.1');
// now (() => Date: the clock for the signature's date skew and for timestamps); maxSkewMs (5
// minutes, as AWS); log (a file path for JSON lines). Resolves once listening.
export async function startFakeBedrock(options = {}) {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const now = options.now ?? (() => new Date());
  const credentials = new Map();
  for (const c of options.credentials ??
       [{ accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey,
          sessionToken: options.sessionToken }]) {
    if (!c.accessKeyId || !c.secretAccessKey) {
      throw new Error('startFakeBedrock: an access key id and a secret access key are required');
    }
    credentials.set(c.accessKeyId,
                    { secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken });
  }
  const sigOpts = {
    credentials, region, service: 'bedrock', now,
    maxSkewMs: options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS,
  };
  const profiles = new ProfileStore({ region, accountId, now });
  let records = [];
  let seq = 0;
  let connections = 0;

  const finish = (record, status) => {
    record.status = status;
    if (options.log) appendFileSync(options.log, `${JSON.stringify(record)}\n`);
  };

  function sendJson(res, record, status, doc) {
    const body = Buffer.from(JSON.stringify(doc));
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': body.length,
      'x-amzn-RequestId': requestId(record.seq),
    });
    res.end(body);
    finish(record, status);
  }

  function sendError(res, record, err, namespace = BEDROCK_FAULT_NS) {
    const body = Buffer.from(JSON.stringify({ message: err.message, ...(err.extra ?? {}) }));
    res.writeHead(err.status, {
      'Content-Type': 'application/json',
      'Content-Length': body.length,
      'x-amzn-RequestId': requestId(record.seq),
      'x-amzn-ErrorType': `${err.type}:${namespace}`,
    });
    res.end(body);
    record.error = err.type;
    finish(record, err.status);
  }

  // The model a runtime call names: a model id, a foundation model or system-defined inference
  // profile ARN as is; an application inference profile ARN only when created here (→ its model).
  function resolveModel(record) {
    const id = record.modelId;
    if (!id.startsWith('arn:') || SYSTEM_ARN_RE.test(id)) return id;
    const p = APP_PROFILE_ARN_RE.test(id) ? profiles.find(id) : undefined;
    if (p) return p.models[0].modelArn;
    throw new RequestError(400, 'ValidationException', 'The provided model identifier is invalid.');
  }

  async function converse(req, res, record, stream) {
    record.model = resolveModel(record);
    if (record.body === null || typeof record.body !== 'object') {
      throw new RequestError(400, 'SerializationException', 'Request body must be a JSON object.');
    }
    const plan = planConverse(record.body);
    if (plan.fault in HTTP_FAULTS) {
      const [status, type, message] = HTTP_FAULTS[plan.fault];
      throw new RequestError(status, type, `${message} (injected fault)`);
    }
    if (plan.slowMs > 0) await sleep(plan.slowMs);
    if (!stream) {
      if (plan.fault !== 'cut') {
        sendJson(res, record, 200, converseResponse(plan));
        return;
      }
      const body = Buffer.from(JSON.stringify(converseResponse(plan)));
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': body.length,
        'x-amzn-RequestId': requestId(record.seq),
      });
      res.write(body.subarray(0, body.length >> 1), () => cutConnection(req, res));
      record.fault = 'cut';
      finish(record, 200);
      return;
    }
    let frames = streamFrames(plan);
    if (plan.fault === 'cut') frames = frames.slice(0, cutAfterFrames(plan));
    res.writeHead(200, {
      'Content-Type': 'application/vnd.amazon.eventstream',
      'x-amzn-RequestId': requestId(record.seq),
    });
    record.frames = 0;
    for (const [i, frame] of frames.entries()) {
      if (i > 0 && plan.gapMs > 0) await sleep(plan.gapMs);
      if (res.destroyed) break;
      await new Promise((resolve) => res.write(frame, resolve));
      record.frames += 1;
    }
    if (res.destroyed && plan.fault !== 'cut') record.clientAborted = true;
    if (plan.fault) record.fault = plan.fault;
    if (plan.fault === 'cut') {
      cutConnection(req, res);
    } else {
      res.end();
    }
    finish(record, 200);
  }

  async function control(res, record, r) {
    const body = record.body ?? {};
    if (['CreateInferenceProfile', 'TagResource', 'UntagResource', 'ListTagsForResource']
        .includes(r.operation) && (typeof body !== 'object' || Array.isArray(body))) {
      throw new RequestError(400, 'SerializationException', 'Request body must be a JSON object.');
    }
    switch (r.operation) {
      case 'CreateInferenceProfile':
        return sendJson(res, record, 201, profiles.create(body));
      case 'ListInferenceProfiles':
        return sendJson(res, record, 200, profiles.list(record.query));
      case 'GetInferenceProfile':
        return sendJson(res, record, 200, profiles.get(decodeSegment(r.identifier)));
      case 'DeleteInferenceProfile':
        return sendJson(res, record, 200, profiles.delete(decodeSegment(r.identifier)));
      case 'TagResource':
        return sendJson(res, record, 200, profiles.tag(body));
      case 'UntagResource':
        return sendJson(res, record, 200, profiles.untag(body));
      default:
        return sendJson(res, record, 200, profiles.listTags(body));
    }
  }

  async function handle(req, res, body) {
    const url = req.url;
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);

    if (rawPath.startsWith('/__fake/')) {
      const doc = rawPath === '/__fake/requests' && req.method === 'GET'
                      ? { connections, requests: records }
                  : rawPath === '/__fake/reset' && req.method === 'POST' ? (records = [], {})
                  : rawPath === '/__fake/profiles' && req.method === 'GET' ? profiles.dump()
                                                                             : null;
      const text = JSON.stringify(doc ?? { message: `no such fake endpoint ${rawPath}` });
      res.writeHead(doc ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(text);
      return;
    }

    seq += 1;
    const query = parseQuery(rawQuery);
    const record = {
      seq,
      time: now().toISOString(),
      method: req.method,
      path: rawPath,
      query,
      operation: null,
      modelId: null,
      headers: { ...req.headers },
      body: parseBody(body),
      signature: null,
      status: null,
      protocol: isH2(req) ? 'HTTP/2' : 'HTTP/1.1',
      connection: connectionOf(req),
    };
    records.push(record);
    const segments = rawPath.split('/').slice(1);
    const r = route(req.method, segments);
    if (r) {
      record.operation = r.operation;
      if (r.modelSegment !== undefined) record.modelId = decodeSegment(r.modelSegment);
    }

    const sig = await verifySigV4({
      method: req.method, rawPath, rawQuery, headersDistinct: headersOf(req), body,
    }, sigOpts);
    record.signature = sig.ok
        ? { ok: true, accessKeyId: sig.accessKeyId, region: sig.region, service: sig.service,
            signedHeaders: sig.signedHeaders }
        : { ok: false, reason: sig.reason, detail: sig.detail ?? null };
    if (!sig.ok) {
      sendError(res, record, sig, CORAL_FAULT_NS);
      return;
    }
    if (!r) {
      sendError(res, record,
                new RequestError(404, 'UnknownOperationException', 'Unknown operation.'),
                CORAL_FAULT_NS);
      return;
    }
    try {
      if (r.modelSegment !== undefined) {
        await converse(req, res, record, r.operation === 'ConverseStream');
      } else {
        await control(res, record, r);
      }
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      if (res.headersSent) {
        res.destroy();
        finish(record, res.statusCode);
      } else {
        sendError(res, record, err);
      }
    }
  }

  const onRequest = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err) => {
        process.stderr.write(`fake_bedrock: ${err.stack}\n`);
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ message: String(err) }));
        } else {
          res.destroy();
        }
      });
    });
  };
  // HTTP/1.1 and cleartext HTTP/2 (prior knowledge) on one port: @aws-sdk/client-bedrock-runtime
  // speaks HTTP/2 by default (its NodeHttp2Handler), costgate's upstream client HTTP/1.1. A
  // connection whose first bytes are the HTTP/2 preface goes to the HTTP/2 server.
  const h1 = http.createServer(onRequest);
  const h2 = http2.createServer(onRequest);
  let accepted = null;  // the TCP socket being handed to h2 (its 'session' event is synchronous)
  h2.on('session', (session) => {
    session.fakeOrdinal = accepted.fakeOrdinal;
    session.fakeSocket = accepted;
  });
  const sockets = new Set();
  const server = net.createServer((socket) => {
    connections += 1;
    socket.fakeOrdinal = connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const sniff = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && head.length < H2_PREFACE.length) return;
      socket.removeListener('data', sniff);
      socket.pause();
      accepted = socket;
      (isH2 ? h2 : h1).emit('connection', new Replayed(socket, head));
    };
    socket.on('data', sniff);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const host = options.host ?? '127.0.0.1';
  return {
    port,
    url: `http://${host}:${port}`,
    region,
    accountId,
    profiles,
    requests: () => records,
    connections: () => connections,
    reset: () => {
      records = [];
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'access-key-id': { type: 'string' },
      'secret-access-key': { type: 'string' },
      'session-token': { type: 'string' },
      region: { type: 'string', default: 'us-east-1' },
      'account-id': { type: 'string', default: '123456789012' },
      log: { type: 'string' },
    },
  });
  if (!values['access-key-id'] || !values['secret-access-key']) {
    process.stderr.write('usage: fake_bedrock.mjs --port 0 --access-key-id AKID ' +
                         '--secret-access-key SECRET [--region R] [--session-token T] ' +
                         '[--account-id N] [--log FILE]\n');
    process.exit(2);
  }
  const fake = await startFakeBedrock({
    port: Number(values.port),
    host: values.host,
    accessKeyId: values['access-key-id'],
    secretAccessKey: values['secret-access-key'],
    sessionToken: values['session-token'],
    region: values.region,
    accountId: values['account-id'],
    log: values.log,
  });
  process.stdout.write(`${JSON.stringify({ port: fake.port })}\n`);
  const stop = () => fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`fake_bedrock: ${err.stack}\n`);
    process.exit(1);
  });
}
