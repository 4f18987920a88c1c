// SigV4 verification for the fake Bedrock, independent of costgate's C++ signer: the expected
// signature is recomputed with @smithy/signature-v4 (the AWS SDK for JavaScript's own signer)
// from the request exactly as received — method, the path as sent (the signer escapes it once
// more, as AWS does for every service but S3), the query, the headers named in SignedHeaders, the
// body — and the secret configured for the access key id.
//
// verifySigV4() answers {ok: true, accessKeyId, region, service, signedHeaders} or {ok: false,
// status, type, message, reason}: `type` and `message` are what AWS puts in x-amzn-ErrorType and
// the JSON body, `reason` a short machine-friendly cause recorded for tests (one of the REASONS).

import { createHash } from 'node:crypto';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4, getCanonicalHeaders, prepareRequest } from '@smithy/signature-v4';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;  // what AWS allows either way

export const REASONS = [
  'missing_authorization', 'malformed_authorization', 'unknown_access_key', 'bad_session_token',
  'missing_date', 'malformed_date', 'scope_date_mismatch', 'wrong_service', 'wrong_region',
  'wrong_terminator', 'expired', 'not_yet_current', 'host_not_signed', 'signed_header_missing',
  'content_sha256_mismatch', 'signature_mismatch',
];

const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your ' +
  'AWS Secret Access Key and signing method. Consult the service documentation for details.';

function fail(reason, type, message) {
  return { ok: false, status: 403, type, message, reason };
}
const incomplete = (reason, message) => fail(reason, 'IncompleteSignatureException', message);
const invalid = (reason, message) => fail(reason, 'InvalidSignatureException', message);

// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" → its parts, or null.
export function parseAuthorization(value) {
  const m = /^(\S+)\s+(.*)$/s.exec(value.trim());
  if (!m) return null;
  const out = { algorithm: m[1] };
  for (const part of m[2].split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

// The query string as received → {name: value | [values]}, percent-decoded ('+' stays '+', as
// SigV4 reads it), the form @smithy/signature-v4 re-encodes canonically.
export function parseQuery(raw) {
  const query = {};
  if (!raw) return query;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
    if (name in query) {
      query[name] = [].concat(query[name], value);
    } else {
      query[name] = value;
    }
  }
  return query;
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// "20240101T000000Z" → Date, or null unless in ISO 8601 basic format.
export function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const d = new Date(ms);
  return Number.isNaN(ms) || d.getUTCDate() !== +m[3] ? null : d;
}

function amzDate(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function sha256Hex(body) {
  return createHash('sha256').update(body).digest('hex');
}

// One header's value as SigV4 sees it: repeated headers joined with ','.
function headerValue(distinct, name) {
  const values = distinct[name];
  return values === undefined ? undefined : values.join(',');
}

// Verifies one request.
//   req: {method, rawPath, rawQuery, headersDistinct (lower-case names → [values]), body: Buffer}
//   opts: {credentials: Map(accessKeyId → {secretAccessKey, sessionToken?}), region (null: any),
//          service, now: () => Date, maxSkewMs}
export async function verifySigV4(req, opts) {
  const h = req.headersDistinct;
  const authorization = headerValue(h, 'authorization');
  if (authorization === undefined) {
    return fail('missing_authorization', 'MissingAuthenticationTokenException',
                'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);
  if (!auth || auth.algorithm !== ALGORITHM) {
    return incomplete('malformed_authorization',
                      `Unsupported AWS 'algorithm': '${auth ? auth.algorithm : ''}'`);
  }
  const amzDateText = headerValue(h, 'x-amz-date');
  const missing = [];
  if (!auth.Credential) missing.push("Authorization header requires 'Credential' parameter.");
  if (!auth.Signature) missing.push("Authorization header requires 'Signature' parameter.");
  if (!auth.SignedHeaders) {
    missing.push("Authorization header requires 'SignedHeaders' parameter.");
  }
  if (amzDateText === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a " +
                 "'Date' header.");
  }
  if (missing.length > 0) {
    const reason = missing.length === 1 && amzDateText === undefined ? 'missing_date'
                                                                     : 'malformed_authorization';
    return incomplete(reason, `${missing.join(' ')} Authorization=${authorization}`);
  }

  const scope = auth.Credential.split('/');
  if (scope.length !== 5) {
    return incomplete('malformed_authorization', 'Credential should be scoped to a valid region. ' +
                                                 `Credential=${auth.Credential}`);
  }
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  const secret = opts.credentials.get(accessKeyId);
  if (!secret) {
    return fail('unknown_access_key', 'UnrecognizedClientException',
                'The security token included in the request is invalid.');
  }
  const sessionToken = headerValue(h, 'x-amz-security-token');
  if ((secret.sessionToken || sessionToken) && secret.sessionToken !== sessionToken) {
    return fail('bad_session_token', 'UnrecognizedClientException',
                'The security token included in the request is invalid.');
  }

  const signingDate = parseAmzDate(amzDateText);
  if (!signingDate) {
    return incomplete('malformed_date',
                      `Date must be in ISO-8601 'basic format'. Got '${amzDateText}'. See ` +
                      'http://en.wikipedia.org/wiki/ISO_8601');
  }
  if (scopeDate !== amzDateText.slice(0, 8)) {
    return invalid('scope_date_mismatch',
                   'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of ' +
                   `date from HTTP: '${scopeDate}' != '${amzDateText.slice(0, 8)}', from ` +
                   `'${amzDateText}'.`);
  }
  if (terminator !== 'aws4_request') {
    return invalid('wrong_terminator',
                   `Credential should be scoped with a valid terminator: 'aws4_request', not ` +
                   `'${terminator}'.`);
  }
  if (service !== opts.service) {
    return invalid('wrong_service',
                   `Credential should be scoped to correct service: '${opts.service}'. `);
  }
  if (opts.region && region !== opts.region) {
    return invalid('wrong_region', `Credential should be scoped to a valid region. `);
  }

  const now = opts.now();
  const skew = opts.maxSkewMs;
  const minutes = Math.round(skew / 60000);
  const earliest = amzDate(new Date(now.getTime() - skew));
  const latest = amzDate(new Date(now.getTime() + skew));
  if (signingDate.getTime() < now.getTime() - skew) {
    return invalid('expired',
                   `Signature expired: ${amzDateText} is now earlier than ` +
                   `${earliest} (${amzDate(now)} - ${minutes} min.)`);
  }
  if (signingDate.getTime() > now.getTime() + skew) {
    return invalid('not_yet_current',
                   `Signature not yet current: ${amzDateText} is still later than ` +
                   `${latest} (${amzDate(now)} + ${minutes} min.)`);
  }

  const signedNames = auth.SignedHeaders.split(';');
  if (!signedNames.includes('host') && !signedNames.includes(':authority')) {
    return invalid('host_not_signed',
                   "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const headers = {};
  let absent = null;
  for (const name of signedNames) {
    const value = headerValue(h, name);
    if (value === undefined) {
      absent = absent ?? name;
    } else {
      headers[name] = value;
    }
  }

  const request = {
    method: req.method,
    protocol: 'http:',
    hostname: '',
    path: req.rawPath,
    query: parseQuery(req.rawQuery),
    headers,
    body: req.body,
  };
  const credentials = { accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken };
  const signer = new SignatureV4({
    credentials, region, service, sha256: Sha256, applyChecksum: false, uriEscapePath: true,
  });
  const signableHeaders = new Set(signedNames);
  const bodyHash = sha256Hex(req.body);
  const claimedHash = headers['x-amz-content-sha256'];
  const contentMismatch = claimedHash !== undefined && claimedHash !== 'UNSIGNED-PAYLOAD' &&
                          claimedHash !== bodyHash;

  const signed = await signer.sign(request, { signingDate, signableHeaders });
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  const expectedList = /SignedHeaders=([^,]*)/.exec(signed.headers.authorization)[1];
  if (!contentMismatch && absent === null && expected === auth.Signature &&
      expectedList === auth.SignedHeaders) {
    return { ok: true, accessKeyId, region, service, signedHeaders: signedNames };
  }

  // AWS's message shows the canonical request and string to sign it computed; so does this one
  // (with the body's real hash, so a body changed after signing shows up there).
  const prepared = prepareRequest(request);
  prepared.headers['x-amz-date'] = amzDateText;
  if (sessionToken) prepared.headers['x-amz-security-token'] = sessionToken;
  const canonicalHeaders = getCanonicalHeaders(prepared, undefined, signableHeaders);
  const canonical = signer.createCanonicalRequest(prepared, canonicalHeaders, bodyHash);
  const stringToSign = await signer.createStringToSign(
      amzDateText, `${scopeDate}/${region}/${service}/aws4_request`, canonical, ALGORITHM);
  const out = invalid(
      contentMismatch ? 'content_sha256_mismatch'
                      : absent !== null ? 'signed_header_missing' : 'signature_mismatch',
      `${SIGNATURE_MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n` +
      `'${canonical}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`);
  out.detail = contentMismatch ? `x-amz-content-sha256 ${claimedHash} != body ${bodyHash}`
               : absent !== null ? `signed header ${absent} is not in the request`
                                 : `expected signature ${expected}`;
  return out;
}
