// Child processes the SDK tests run: `costgate serve` and tests/fake_upstream.py, each on a free
// loopback port announced in its output, and their ends.

import { spawn } from 'node:child_process';

// Spawns `command args` and resolves with the process once a line of its stdout or stderr
// (`stream`) matches `listening` (a RegExp whose group 1 is the port); proc.port is that port and
// proc.log() what it has written there. Rejects if it ends or stays silent for `timeoutMs`.
function startListening(what, command, args, options, stream, listening, timeoutMs) {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, options);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${err}`)),
                             timeoutMs);
    const watch = (d) => {
      const m = listening.exec(stream === 'stdout' ? out : err);
      if (m && !proc.port) {
        proc.port = Number(m[1]);
        clearTimeout(timer);
        resolve(proc);
      }
    };
    proc.stdout?.on('data', (d) => { out += d; if (stream === 'stdout') watch(d); });
    proc.stderr.on('data', (d) => { err += d; if (stream === 'stderr') watch(d); });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code, signal) => {
      if (!proc.port) {
        clearTimeout(timer);
        reject(new Error(`${what} ended (${code ?? signal}) before listening:\n${err}`));
      }
    });
    proc.log = () => err;
  });
}

// `costgate serve --config CONFIG` on 127.0.0.1, two threads, any free port.
export function startServe(bin, config, { cwd, env = process.env } = {}) {
  return startListening('costgate serve', bin,
                        ['serve', '--config', config, '--listen', '127.0.0.1:0', '--threads', '2'],
                        { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] }, 'stderr',
                        /listening on http:\/\/127\.0\.0\.1:([0-9]+)/, 20000);
}

// tests/fake_upstream.py (python3 from PATH) with the given OpenAI and Anthropic keys.
export function startFakeUpstream(script, openaiKey, anthropicKey) {
  return startListening('fake upstream', 'python3',
                        [script, '--port', '0', '--key', openaiKey, '--anthropic-key',
                         anthropicKey],
                        { stdio: ['ignore', 'pipe', 'pipe'] }, 'stdout',
                        /fake upstream listening on 127\.0\.0\.1:([0-9]+)/, 10000);
}

export function died(proc) {
  return proc.exitCode !== null || proc.signalCode !== null;
}

export function describeExit(proc) {
  return proc.signalCode ? `was killed by ${proc.signalCode}` : `exited ${proc.exitCode}`;
}

// SIGTERM; resolves with the exit code, or the signal's name when a signal ended it.
export function stopServer(proc) {
  return new Promise((resolve) => {
    if (died(proc)) return resolve(proc.exitCode ?? proc.signalCode);
    proc.on('exit', (code, signal) => resolve(code ?? signal));
    proc.kill('SIGTERM');
  });
}
