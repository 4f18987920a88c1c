// The fake Bedrock's control plane: application inference profiles and their tags, in memory,
// with the REST paths, status codes and JSON shapes of the real API (botocore's bedrock
// 2023-04-20 model, as @aws-sdk/client-bedrock serializes it):
//
//   POST   /inference-profiles                         CreateInferenceProfile → 201
//   GET    /inference-profiles/{inferenceProfileIdentifier}  GetInferenceProfile (id or ARN)
//   GET    /inference-profiles?maxResults&nextToken&type      ListInferenceProfiles
//   DELETE /inference-profiles/{inferenceProfileIdentifier}  DeleteInferenceProfile → {}
//   POST   /tagResource        {resourceARN, tags: [{key, value}]}  → {}
//   POST   /untagResource      {resourceARN, tagKeys: [...]}        → {}
//   POST   /listTagsForResource {resourceARN}                       → {tags}
//
// Errors are RequestError(status, type, message) as Bedrock names them (ValidationException 400,
// ConflictException 400, ResourceNotFoundException 404, TooManyTagsException 400).

import { createHash } from 'node:crypto';

import { RequestError } from './fake_bedrock_runtime.mjs';

const NAME_RE = /^([0-9a-zA-Z:.][ _-]?)+$/;
const TAG_KEY_RE = /^[a-zA-Z0-9\s._:/=+@-]*$/;
const TAG_VALUE_RE = /^[a-zA-Z0-9\s._:/=+@-]*$/;
const MAX_TAGS = 200;
const FOUNDATION_MODEL_ARN_RE = /^arn:aws(-[^:]+)?:bedrock:([a-z0-9-]+)::foundation-model\/(.+)$/;
const SYSTEM_PROFILE_ARN_RE =
    /^arn:aws(-[^:]+)?:bedrock:([a-z0-9-]+):([0-9]{12}):inference-profile\/[a-z]+\.(.+)$/;

const validation = (message) => new RequestError(400, 'ValidationException', message);
const notFound = (message) => new RequestError(404, 'ResourceNotFoundException', message);
const constraint = (value, member, rule) =>
  validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy ` +
             `constraint: ${rule}`);

function checkTags(tags, member) {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw validation(`${member} must be a list of Tag.`);
  for (const [i, tag] of tags.entries()) {
    if (!tag || typeof tag.key !== 'string' || typeof tag.value !== 'string') {
      throw validation(`${member}.${i + 1} must have a string key and a string value.`);
    }
    if (tag.key.length < 1 || tag.key.length > 128 || !TAG_KEY_RE.test(tag.key)) {
      throw constraint(tag.key, `${member}.${i + 1}.member.key`,
                       'Member must satisfy regular expression pattern: ' +
                       '^[a-zA-Z0-9\\s._:/=+@-]*$ and length between 1 and 128');
    }
    if (tag.value.length > 256 || !TAG_VALUE_RE.test(tag.value)) {
      throw constraint(tag.value, `${member}.${i + 1}.member.value`,
                       'Member must satisfy regular expression pattern: ' +
                       '^[a-zA-Z0-9\\s._:/=+@-]*$ and length between 0 and 256');
    }
  }
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

// Tags applied in order: a later value for a key replaces the earlier one (TagResource's rule).
function mergeTags(current, added) {
  const out = current.map((t) => ({ ...t }));
  for (const tag of added) {
    const same = out.find((t) => t.key === tag.key);
    if (same) {
      same.value = tag.value;
    } else {
      out.push({ ...tag });
    }
  }
  return out;
}

// Application inference profiles of one account and region. Ids are deterministic: 12 lower-case
// base-36 characters from the SHA-256 of "<name>/<creation number>".
export class ProfileStore {
  constructor({ region, accountId, now }) {
    this.region = region;
    this.accountId = accountId;
    this.now = now;
    this.profiles = new Map();  // id → profile (creation order)
    this.tokens = new Map();    // clientRequestToken → {fingerprint, arn}
    this.created = 0;
  }

  arnOf(id) {
    return `arn:aws:bedrock:${this.region}:${this.accountId}:application-inference-profile/${id}`;
  }

  // An id or an ARN → the profile, or undefined.
  find(identifier) {
    if (this.profiles.has(identifier)) return this.profiles.get(identifier);
    for (const p of this.profiles.values()) {
      if (p.inferenceProfileArn === identifier) return p;
    }
    return undefined;
  }

  create(body) {
    const { inferenceProfileName: name, modelSource, description, clientRequestToken } = body;
    if (typeof name !== 'string' || name.length < 1 || name.length > 64 || !NAME_RE.test(name)) {
      throw constraint(name, 'inferenceProfileName',
                       'Member must satisfy regular expression pattern: ([0-9a-zA-Z:.][ _-]?)+');
    }
    const copyFrom = modelSource && modelSource.copyFrom;
    if (typeof copyFrom !== 'string') {
      throw validation('modelSource.copyFrom is required.');
    }
    let modelArn;
    let m = FOUNDATION_MODEL_ARN_RE.exec(copyFrom);
    if (m) {
      modelArn = copyFrom;
    } else if ((m = SYSTEM_PROFILE_ARN_RE.exec(copyFrom))) {
      modelArn = `arn:aws:bedrock:${m[2]}::foundation-model/${m[4]}`;
    } else {
      throw validation(`The provided model source ${copyFrom} is not a valid foundation model ` +
                       'or inference profile ARN.');
    }
    if (description !== undefined &&
        (typeof description !== 'string' || description.length < 1 || description.length > 200)) {
      throw constraint(description, 'description',
                       'Member must have length between 1 and 200');
    }
    const tags = checkTags(body.tags, 'tags');
    if (tags.length > MAX_TAGS) {
      throw new RequestError(400, 'TooManyTagsException',
                             `The number of tags exceeds the limit of ${MAX_TAGS}.`);
    }
    const fingerprint = JSON.stringify([name, copyFrom, description ?? null, tags]);
    if (clientRequestToken !== undefined) {
      const seen = this.tokens.get(clientRequestToken);
      if (seen && seen.fingerprint === fingerprint) {
        const again = this.find(seen.arn);
        return { inferenceProfileArn: seen.arn, status: again ? again.status : 'ACTIVE' };
      }
      if (seen) {
        throw new RequestError(400, 'ConflictException',
                               'The client request token was used before with different ' +
                               'parameters.');
      }
    }
    for (const p of this.profiles.values()) {
      if (p.inferenceProfileName === name) {
        throw new RequestError(400, 'ConflictException',
                               `An inference profile with the name ${name} already exists.`);
      }
    }
    this.created += 1;
    const digest = createHash('sha256').update(`${name}/${this.created}`).digest();
    const id = BigInt(`0x${digest.toString('hex')}`).toString(36).slice(0, 12).padStart(12, '0');
    const at = this.now().toISOString();
    const profile = {
      inferenceProfileName: name,
      inferenceProfileArn: this.arnOf(id),
      models: [{ modelArn }],
      inferenceProfileId: id,
      status: 'ACTIVE',
      type: 'APPLICATION',
      description,
      createdAt: at,
      updatedAt: at,
      tags,
    };
    this.profiles.set(id, profile);
    if (clientRequestToken !== undefined) {
      this.tokens.set(clientRequestToken, { fingerprint, arn: profile.inferenceProfileArn });
    }
    return { inferenceProfileArn: profile.inferenceProfileArn, status: profile.status };
  }

  summary(p) {
    const out = {
      inferenceProfileName: p.inferenceProfileName,
      inferenceProfileArn: p.inferenceProfileArn,
      models: p.models.map((x) => ({ ...x })),
      inferenceProfileId: p.inferenceProfileId,
      status: p.status,
      type: p.type,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    };
    if (p.description !== undefined) out.description = p.description;
    return out;
  }

  get(identifier) {
    const p = this.find(identifier);
    if (!p) throw notFound(`The inference profile ${identifier} does not exist.`);
    return this.summary(p);
  }

  // query: {maxResults, nextToken, type} as strings (the REST binding puts them in the query).
  list(query) {
    let start = 0;
    let max = 1000;
    if (query.maxResults !== undefined) {
      max = Number(query.maxResults);
      if (!Number.isInteger(max) || max < 1 || max > 1000) {
        throw constraint(query.maxResults, 'maxResults',
                         'Member must have value between 1 and 1000');
      }
    }
    if (query.nextToken !== undefined) {
      const m = /^cursor-([0-9]+)$/.exec(Buffer.from(query.nextToken, 'base64').toString());
      if (!m) throw validation('The nextToken is not valid.');
      start = Number(m[1]);
    }
    if (query.type !== undefined && query.type !== 'SYSTEM_DEFINED' &&
        query.type !== 'APPLICATION') {
      throw constraint(query.type, 'typeEquals',
                       'Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]');
    }
    // This fake holds application profiles only: SYSTEM_DEFINED lists nothing.
    const all = query.type === 'SYSTEM_DEFINED' ? [] : [...this.profiles.values()];
    const page = all.slice(start, start + max).map((p) => this.summary(p));
    const out = { inferenceProfileSummaries: page };
    if (start + max < all.length) {
      out.nextToken = Buffer.from(`cursor-${start + max}`).toString('base64');
    }
    return out;
  }

  delete(identifier) {
    const p = this.find(identifier);
    if (!p) throw notFound(`The inference profile ${identifier} does not exist.`);
    this.profiles.delete(p.inferenceProfileId);
    return {};
  }

  resource(arn) {
    if (typeof arn !== 'string' || arn.length < 20 || arn.length > 1011) {
      throw constraint(arn, 'resourceARN', 'Member must have length between 20 and 1011');
    }
    const p = [...this.profiles.values()].find((x) => x.inferenceProfileArn === arn);
    if (!p) {
      throw notFound('The specified resource ARN was not found. Check the ARN and try your ' +
                     'request again.');
    }
    return p;
  }

  tag(body) {
    const p = this.resource(body.resourceARN);
    const tags = checkTags(body.tags, 'tags');
    const merged = mergeTags(p.tags, tags);
    if (merged.length > MAX_TAGS) {
      const e = new RequestError(400, 'TooManyTagsException',
                                 `The number of tags exceeds the limit of ${MAX_TAGS}.`);
      e.extra = { resourceName: body.resourceARN };
      throw e;
    }
    p.tags = merged;
    p.updatedAt = this.now().toISOString();
    return {};
  }

  untag(body) {
    const p = this.resource(body.resourceARN);
    if (!Array.isArray(body.tagKeys) || body.tagKeys.some((k) => typeof k !== 'string')) {
      throw validation('tagKeys must be a list of strings.');
    }
    p.tags = p.tags.filter((t) => !body.tagKeys.includes(t.key));
    p.updatedAt = this.now().toISOString();
    return {};
  }

  listTags(body) {
    return { tags: this.resource(body.resourceARN).tags.map((t) => ({ ...t })) };
  }

  // Everything, tags included, for GET /__fake/profiles.
  dump() {
    return [...this.profiles.values()].map((p) => ({ ...this.summary(p), tags: p.tags }));
  }
}
