// What the dashboard's browser tests stand on: a costgate set up on a copy of examples/ in a
// temporary directory, `costgate serve` on a free loopback port with the sim upstream, known
// traffic, and Debian's chromium driven by playwright-core.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServe } from '../sdk/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.join(here, '..', '..');
export const BIN = process.env.COSTGATE_BIN;
const EXAMPLES = process.env.COSTGATE_EXAMPLES || path.join(ROOT, 'examples');
export const CHROMIUM = process.env.COSTGATE_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOTS = process.env.COSTGATE_SCREENSHOTS ||
  path.join(ROOT, 'build', 'test-artifacts', 'screenshots');

if (!BIN || !existsSync(BIN)) {
  throw new Error(`COSTGATE_BIN=${BIN ?? ''} is not the costgate binary; set it, e.g. ` +
                  'COSTGATE_BIN=build/src/costgate');
}
if (!existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
  throw new Error('tests/browser/node_modules lacks playwright-core: run scripts/setup.sh ' +
                  '(it runs `npm ci` in tests/browser and installs Debian\'s chromium)');
}
if (!existsSync(CHROMIUM)) {
  throw new Error(`no chromium at ${CHROMIUM}: run scripts/setup.sh (Debian's chromium package)`);
}

export class Costgate {
  constructor() {
    this.work = mkdtempSync(path.join(tmpdir(), 'costgate-browser-test-'));
    this.config = path.join(this.work, 'config.json');
    copyFileSync(path.join(EXAMPLES, 'config.json'), this.config);
    copyFileSync(path.join(EXAMPLES, 'models.json'), path.join(this.work, 'models.json'));
  }

  run(...args) {
    return execFileSync(BIN, [...args, '--config', this.config], { cwd: this.work, encoding: 'utf8' });
  }

  json(...args) {
    return JSON.parse(this.run(...args, '--json'));
  }

  async setUpAndServe() {
    const out = this.json('setup', '--create-user-roles');
    this.keys = { admin: out.keys.find((k) => k.role === 'admin').key };
    for (const k of out.keys.filter((x) => x.role === 'tenant')) this.keys[k.tenant] = k.key;
    this.server = await startServe(BIN, this.config, { cwd: this.work });
    this.base = `http://127.0.0.1:${this.server.port}`;
  }

  async call(method, urlPath, key, body) {
    const headers = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + urlPath, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, text, json };
  }

  // One OpenAI-dialect call on `profile`; returns its x-costgate-* headers.
  async chat(profile, words) {
    const res = await fetch(`${this.base}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.keys.admin}`, 'content-type': 'application/json',
        'inference-profile-name': profile,
      },
      body: JSON.stringify({ max_tokens: 40, messages: [{ role: 'user', content: words }] }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`traffic call on ${profile} answered ${res.status}: ${text}`);
    return { cost: res.headers.get('x-costgate-cost-usd') };
  }

  // `count` profiles written straight into the store (as `profiles create` would, in one
  // transaction instead of `count` processes); a running serve sees them within 2 s.
  addProfiles(count) {
    const rows = [];
    for (let i = 0; i < count; i++) {
      const id = `bulk${String(i).padStart(8, '0')}`;
      const name = `bulk_tenant${String(i % 50).padStart(2, '0')}_app${String(i).padStart(4, '0')}`;
      rows.push(`INSERT INTO profiles VALUES ('${id}', '${name}', 'bulk', ` +
        `'anthropic.claude-3-haiku-20240307-v1:0', 'us-west-2', '', '', ` +
        `'arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/${id}', '', 0, 'cli');`);
      rows.push(`INSERT INTO profile_tags VALUES ('${id}', 0, 'TenantID', 'tenantid', ` +
        `'bulk${String(i % 50).padStart(2, '0')}');`);
    }
    const sql = `BEGIN;\n${rows.join('\n')}\nUPDATE meta SET value = value + 1 WHERE name = 'generation';\nCOMMIT;\n`;
    const file = path.join(this.work, 'bulk.sql');
    writeFileSync(file, sql);
    execFileSync('sqlite3', [path.join(this.work, 'costgate.db'), `.read ${file}`]);
  }
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}
