// The fake Bedrock's runtime API: Converse and ConverseStream answers, deterministic from the
// request (see fake_bedrock.mjs for the rules a test can rely on), and their wire encodings —
// the Converse JSON document and the ConverseStream event-stream frames, made with
// @smithy/eventstream-codec, the codec the AWS SDK for JavaScript decodes them with.

import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

export const DEFAULT_WORDS = 8;
export const DEFAULT_AFTER = 2;     // deltas sent before a mid-stream fault
export const DEFAULT_SLOW_MS = 1000;

// Top-level members of ConverseRequest (the modelId is in the path). Anything else is refused,
// which is stricter than AWS (it ignores unknown members) so a misspelt field fails a test.
const REQUEST_MEMBERS = new Set([
  'messages', 'system', 'inferenceConfig', 'toolConfig', 'guardrailConfig',
  'additionalModelRequestFields', 'promptVariables', 'additionalModelResponseFieldPaths',
  'requestMetadata', 'performanceConfig', 'serviceTier', 'outputConfig',
]);
const INFERENCE_MEMBERS = new Set(['maxTokens', 'temperature', 'topP', 'stopSequences']);

// Injected HTTP errors: marker fault=NAME → status, AWS error type, message.
export const HTTP_FAULTS = {
  throttle: [429, 'ThrottlingException', 'Too many requests, please wait before trying again.'],
  validation: [400, 'ValidationException',
               'Malformed input request, please reformat your input and try again.'],
  500: [500, 'InternalServerException',
        'The system encountered an unexpected error during processing. Try your request again.'],
  503: [503, 'ServiceUnavailableException', 'Bedrock is unable to process your request.'],
  access_denied: [403, 'AccessDeniedException',
                  "You don't have access to the model with the specified model ID."],
  model_timeout: [408, 'ModelTimeoutException',
                  'Model has timed out in processing the request. Try your request again.'],
};
const STREAM_FAULTS = new Set(['midstream', 'midstream_throttle', 'badcrc', 'cut', 'slow']);

export class RequestError {
  constructor(status, type, message) {
    this.status = status;
    this.type = type;
    this.message = message;
  }
}
const validation = (message) => new RequestError(400, 'ValidationException', message);

function textOf(blocks) {
  if (!Array.isArray(blocks)) return '';
  return blocks.filter((b) => b && typeof b.text === 'string').map((b) => b.text).join('\n');
}

const countWords = (text) => text.split(/\s+/).filter((w) => w !== '').length;

// Markers in the last user message's text: {cached, cache_write, words, after, slow, gap, fault}.
export function parseMarkers(text) {
  const out = {};
  for (const word of text.split(/\s+/)) {
    let m = /^(cached|cache_write|words|after|slow|gap)=([0-9]+)$/.exec(word);
    if (m) {
      out[m[1]] = Number(m[2]);
      continue;
    }
    m = /^fault=([a-z0-9_]+)$/.exec(word);
    if (m && (m[1] in HTTP_FAULTS || STREAM_FAULTS.has(m[1]))) out.fault = m[1];
  }
  return out;
}

function checkNumber(value, name, min, max, integer) {
  if (value === undefined) return;
  if (typeof value !== 'number' || (integer && !Number.isInteger(value)) || value < min ||
      value > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw validation(`The value at inferenceConfig.${name} must be ${kind} between ${min} and ` +
                     `${max}.`);
  }
}

// The parsed request body → the plan of the answer; throws RequestError for what Bedrock refuses.
export function planConverse(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError(400, 'SerializationException', 'Request body must be a JSON object.');
  }
  for (const key of Object.keys(body)) {
    if (!REQUEST_MEMBERS.has(key)) {
      throw validation(`Malformed input request: extraneous key [${key}] is not permitted.`);
    }
  }
  const { messages, system = [], inferenceConfig = {} } = body;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw validation('A conversation must start with a user message. Try again with a ' +
                     'conversation that starts with a user message.');
  }
  for (const [i, msg] of messages.entries()) {
    if (!msg || (msg.role !== 'user' && msg.role !== 'assistant')) {
      throw validation(`messages.${i}.role must be one of: user, assistant.`);
    }
    if (!Array.isArray(msg.content) || msg.content.length === 0) {
      throw validation(`The content field in the Message object at messages.${i} is empty. ` +
                       'Add a ContentBlock object to the content field and try again.');
    }
  }
  if (messages[0].role !== 'user') {
    throw validation('A conversation must start with a user message. Try again with a ' +
                     'conversation that starts with a user message.');
  }
  if (!Array.isArray(system)) throw validation('system must be a list of SystemContentBlock.');
  if (typeof inferenceConfig !== 'object' || inferenceConfig === null) {
    throw validation('inferenceConfig must be an object.');
  }
  for (const key of Object.keys(inferenceConfig)) {
    if (!INFERENCE_MEMBERS.has(key)) {
      throw validation(`Malformed input request: extraneous key [inferenceConfig.${key}] is not ` +
                       'permitted.');
    }
  }
  const { maxTokens, stopSequences = [] } = inferenceConfig;
  checkNumber(maxTokens, 'maxTokens', 1, 1000000, true);
  checkNumber(inferenceConfig.temperature, 'temperature', 0, 1, false);
  checkNumber(inferenceConfig.topP, 'topP', 0, 1, false);
  if (!Array.isArray(stopSequences) || stopSequences.some((s) => typeof s !== 'string')) {
    throw validation('inferenceConfig.stopSequences must be a list of strings.');
  }

  let inputWords = countWords(textOf(system));
  for (const msg of messages) inputWords += countWords(textOf(msg.content));
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const markers = parseMarkers(textOf(lastUser.content));

  const want = markers.words ?? DEFAULT_WORDS;
  const limit = maxTokens ?? Infinity;
  let words = Array.from({ length: Math.min(want, limit) }, (_, i) => `w${i + 1}`);
  let stopReason = limit < want ? 'max_tokens' : 'end_turn';
  const stopAt = words.findIndex((w) => stopSequences.includes(w));
  if (stopAt >= 0) {
    words = words.slice(0, stopAt);
    stopReason = 'stop_sequence';
  }
  const usage = { inputTokens: inputWords, outputTokens: words.length };
  usage.totalTokens =
      inputWords + words.length + (markers.cached ?? 0) + (markers.cache_write ?? 0);
  if (markers.cached !== undefined) usage.cacheReadInputTokens = markers.cached;
  if (markers.cache_write !== undefined) usage.cacheWriteInputTokens = markers.cache_write;
  return {
    pieces: words.map((w, i) => (i === 0 ? w : ` ${w}`)),
    text: words.join(' '),
    stopReason,
    usage,
    latencyMs: 100 + words.length,
    markers,
    fault: markers.fault ?? null,
    after: markers.after ?? DEFAULT_AFTER,
    slowMs: markers.fault === 'slow' ? (markers.slow ?? DEFAULT_SLOW_MS) : 0,
    gapMs: markers.gap ?? 0,
  };
}

// The Converse response document, members in the order Bedrock sends them.
export function converseResponse(plan) {
  return {
    metrics: { latencyMs: plan.latencyMs },
    output: { message: { content: [{ text: plan.text }], role: 'assistant' } },
    stopReason: plan.stopReason,
    usage: plan.usage,
  };
}

// Bedrock pads every event payload with a "p" member of varying length (so payload sizes do not
// reveal the text); here its length is a function of the event's position.
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const padding = (i) => PAD.slice(0, ((i * 17 + 5) % PAD.length) + 1);

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value) => ({ type: 'string', value });

// One event frame: {":event-type", ":content-type", ":message-type": "event"} + JSON payload.
export function eventFrame(eventType, payload) {
  return Buffer.from(codec.encode({
    headers: {
      ':event-type': str(eventType),
      ':content-type': str('application/json'),
      ':message-type': str('event'),
    },
    body: fromUtf8(JSON.stringify(payload)),
  }));
}

// One exception frame, as Bedrock ends a stream that fails after its 200.
export function exceptionFrame(exceptionType, payload) {
  return Buffer.from(codec.encode({
    headers: {
      ':exception-type': str(exceptionType),
      ':content-type': str('application/json'),
      ':message-type': str('exception'),
    },
    body: fromUtf8(JSON.stringify(payload)),
  }));
}

// The same frame with its message CRC (the last 4 bytes) off by one bit.
export function corruptCrc(frame) {
  const out = Buffer.from(frame);
  out[out.length - 1] ^= 0x01;
  return out;
}

// The frames of a ConverseStream answer, in order. A mid-stream fault replaces everything after
// min(after, deltas) deltas: midstream → a modelStreamErrorException event, midstream_throttle
// → a throttlingException event, badcrc → the next delta (or, with none left, contentBlockStop)
// with a corrupt message CRC. (cut is the server's: it closes the socket at that point.)
export function streamFrames(plan) {
  const frames = [];
  let n = 0;
  // Bedrock's payload members come in alphabetical order, "p" among them.
  const payloadOf = (payload) => {
    const all = { ...payload, p: padding(n++) };
    return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
  };
  const event = (type, payload) => eventFrame(type, payloadOf(payload));
  const faultAt = Math.min(plan.after, plan.pieces.length);
  frames.push(event('messageStart', { role: 'assistant' }));
  for (let i = 0; i <= plan.pieces.length; i++) {
    const next = i < plan.pieces.length
        ? ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: plan.pieces[i] } }]
        : ['contentBlockStop', { contentBlockIndex: 0 }];
    if (i === faultAt) {
      if (plan.fault === 'midstream') {
        frames.push(exceptionFrame('modelStreamErrorException', {
          message: 'The model stream failed (injected fault).',
          originalMessage: 'upstream model error (injected fault)',
          originalStatusCode: 500,
        }));
        return frames;
      }
      if (plan.fault === 'midstream_throttle') {
        frames.push(exceptionFrame('throttlingException', { message: HTTP_FAULTS.throttle[2] }));
        return frames;
      }
      if (plan.fault === 'badcrc') {
        frames.push(corruptCrc(event(...next)));
        return frames;
      }
    }
    frames.push(event(...next));
  }
  frames.push(event('messageStop', { stopReason: plan.stopReason }));
  frames.push(event('metadata', { metrics: { latencyMs: plan.latencyMs }, usage: plan.usage }));
  return frames;
}

// How many frames the server writes before closing the socket for fault=cut: messageStart and
// min(after, deltas) deltas.
export const cutAfterFrames = (plan) => 1 + Math.min(plan.after, plan.pieces.length);
