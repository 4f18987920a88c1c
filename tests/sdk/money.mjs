// Exact money for the SDK tests: decimals as BigInt scaled by 10^30, and the cost models.json
// gives a call.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const SCALE = 30;

function scaled(text, plainOnly) {
  let s = String(text);
  let exp = 0;
  const e = s.search(/[eE]/);
  if (e >= 0 && !plainOnly) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  assert.match(s, /^[0-9]+(\.[0-9]+)?$/, `not a plain decimal: ${text}`);
  const [whole, frac = ''] = s.split('.');
  const shift = SCALE - frac.length + exp;
  assert.ok(shift >= 0, `too many decimals: ${text}`);
  return BigInt(whole + frac) * 10n ** BigInt(shift);
}

// An amount costgate wrote (header, JSON string): a plain decimal, no exponent, no sign.
export function dec(text) {
  return scaled(text, true);
}

// The cost models.json gives a call in `region` (USD per 1,000 tokens, the entry in effect now)
// as a function (model, inputTokens, outputTokens, cacheRead = 0, cacheWrite = 0); inputTokens
// are the plain (uncached) ones, and cache tokens without a price of their own cost the input
// price.
export function costCalculator(examplesDir, region) {
  const models = JSON.parse(readFileSync(path.join(examplesDir, 'models.json'), 'utf8'));
  const now = new Date().toISOString();
  // JSON numbers with up to 15 significant digits print back as written, perhaps with an
  // exponent (1e-7).
  const price = (value) => scaled(String(value), false);
  const prices = {};
  for (const [model, entry] of Object.entries(models[region].text)) {
    const inForce = (Array.isArray(entry) ? entry : [entry])
      .filter((x) => !x.effective_from || x.effective_from <= now)
      .sort((a, b) => (a.effective_from || '').localeCompare(b.effective_from || ''));
    const chosen = inForce[inForce.length - 1];
    prices[model] = { input: price(chosen.input_cost), output: price(chosen.output_cost),
                      cacheRead: price(chosen.cache_read_cost ?? chosen.input_cost),
                      cacheWrite: price(chosen.cache_write_cost ?? chosen.input_cost) };
  }
  return (model, inputTokens, outputTokens, cacheRead = 0, cacheWrite = 0) => {
    const p = prices[model];
    return (BigInt(inputTokens) * p.input + BigInt(outputTokens) * p.output +
            BigInt(cacheRead) * p.cacheRead + BigInt(cacheWrite) * p.cacheWrite) / 1000n;
  };
}
