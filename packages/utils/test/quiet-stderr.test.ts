// Nothing on stderr the user did not ask for: each trigger runs in a fresh Node.js process (the
// runtime's banners and log lines go to the process's stderr, outside anything vitest captures)
// and its stderr must be empty, while its stdout proves the call did what it should.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '@lite/testing';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'lite-quiet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const truncated = join(dir, 'truncated.mge');
writeFileSync(truncated, readFileSync(fixture('mlp.mge')).subarray(0, 200));

/** Runs `body` (an async ES module body; `core` and `utils` are imported) and returns its output. */
function run(body: string): { stdout: string; stderr: string; status: number | null } {
  const script = `const core = await import('@lite/core'); const utils = await import('@lite/utils');
const outcome = (f) => { try { const v = f(); return { ok: true, value: v === undefined ? null : String(v) }; } catch (e) { return { ok: false, code: e.code }; } };
${body}`;
  // cwd = this package, so `@lite/utils` (itself) and `@lite/core` (its dependency) resolve.
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: pkgDir, encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const triggers: [string, string, unknown][] = [
  [
    'a default TensorBatchCollector (device LITE_CUDA)',
    `console.log(JSON.stringify(outcome(() => new utils.TensorBatchCollector([2, 2]))));`,
    { ok: false, code: 'LITE_UNSUPPORTED' },
  ],
  [
    'new LiteConfig(LITE_CUDA) and a network on it',
    `const cfg = new core.LiteConfig(core.LiteDeviceType.LITE_CUDA);
console.log(JSON.stringify(outcome(() => new core.LiteNetwork(cfg))));`,
    { ok: false, code: 'LITE_UNSUPPORTED' },
  ],
  [
    'getDeviceCount(LITE_CUDA)',
    `console.log(JSON.stringify(outcome(() => core.LiteGlobal.getDeviceCount(core.LiteDeviceType.LITE_CUDA))));`,
    { ok: true, value: '0' },
  ],
  [
    'a LITE_DEVICE_DEFAULT tensor (filled and read back)',
    `console.log(JSON.stringify(outcome(() => { const t = new core.LiteTensor([3], core.LiteDeviceType.LITE_DEVICE_DEFAULT); t.setDataByCopy([1, 2, 3]); return Array.from(t.toTypedArray()).join(','); })));`,
    { ok: true, value: '1,2,3' },
  ],
  [
    'a CUDA tensor',
    `console.log(JSON.stringify(outcome(() => new core.LiteTensor([3], core.LiteDeviceType.LITE_CUDA))));`,
    { ok: false, code: 'LITE_UNSUPPORTED' },
  ],
  [
    'a failed load (missing file)',
    `console.log(JSON.stringify(outcome(() => new core.LiteNetwork().load(${JSON.stringify(join(dir, 'missing.mge'))}))));`,
    { ok: false, code: 'LITE_FILE_NOT_FOUND' },
  ],
  [
    'a failed load (truncated file)',
    `console.log(JSON.stringify(outcome(() => new core.LiteNetwork().load(${JSON.stringify(truncated)}))));`,
    { ok: false, code: 'LITE_INVALID_MODEL' },
  ],
  [
    'a failed load (bytes that are not a model)',
    `console.log(JSON.stringify(outcome(() => new core.LiteNetwork().load(new Uint8Array(1000)))));`,
    { ok: false, code: 'LITE_INVALID_MODEL' },
  ],
  [
    'a failed loadAsync',
    `try { await new core.LiteNetwork().loadAsync(new Uint8Array(1000)); console.log('{}'); } catch (e) { console.log(JSON.stringify({ ok: false, code: e.code })); }`,
    { ok: false, code: 'LITE_INVALID_MODEL' },
  ],
  [
    'a child process spawned after the runtime loaded (the runtime has a fork handler)',
    `new core.LiteNetwork().load(${JSON.stringify(fixture('mlp.mge'))});
const { spawnSync } = await import('node:child_process');
console.log(JSON.stringify({ ok: true, value: String(spawnSync('true').status) }));`,
    { ok: true, value: '0' },
  ],
  [
    'validateModel of bytes that are not a model',
    `const r = await core.validateModel(new TextEncoder().encode('not a model'));
console.log(JSON.stringify({ ok: r.ok, code: r.ok ? undefined : r.error.code }));`,
    { ok: false, code: 'LITE_INVALID_MODEL' },
  ],
];

describe('stderr stays empty', () => {
  for (const [what, body, expected] of triggers) {
    it(what, () => {
      const r = run(body);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toEqual(expected);
    });
  }

  it('LiteLogLevel.DEBUG brings the engine exception echo back (the quiet default is a level, not a gag)', () => {
    const r = run(`core.setLogLevel(core.LiteLogLevel.DEBUG);
console.log(JSON.stringify(outcome(() => new core.LiteNetwork().load(new Uint8Array(1000)))));`);
    expect(JSON.parse(r.stdout.trim())).toEqual({ ok: false, code: 'LITE_INVALID_MODEL' });
    expect(r.stderr).toMatch(/LITE\[ERR\] .*Lite exception: Error: invalid model format/);
  });

  it('setLogHandler routes the engine core\'s lines (formatted) to JS instead of stderr; null: they are off again at ERROR', () => {
    // forceOutputUseUserSpecifiedMemory without output memory: the forward fails, and the core
    // logs an error about its computing sequence.
    const r = run(`const lines = [];
core.setLogHandler((level, line) => lines.push([level, line]));
const cfg = new core.LiteConfig(); cfg.options.forceOutputUseUserSpecifiedMemory = true;
const attempt = () => outcome(() => { const net = new core.LiteNetwork(cfg); net.load(${JSON.stringify(fixture('mlp.mge'))}); net.forward(); net.wait(); });
const first = attempt();
await new Promise((res) => setTimeout(res, 100));
core.setLogHandler(null);
const second = attempt();
console.log(JSON.stringify({ lines, first: first.code, second: second.code }));`);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as { lines: [number, string][]; first: string; second: string };
    expect(out.lines).toContainEqual([3, expect.stringMatching(/^error occurred in computing sequence/)]);
    expect([out.first, out.second]).toEqual(['LITE_ERROR', 'LITE_ERROR']);
  });

  it('log handlers are per environment: a worker\'s handler gets the lines while it lives and dies with the worker; the main thread\'s keeps working', () => {
    const worker = join(dir, 'log-worker.mjs');
    writeFileSync(
      worker,
      `import { parentPort, workerData } from 'node:worker_threads';
const core = await import(workerData.core);
const lines = [];
core.setLogHandler((level, line) => lines.push(line));
const cfg = new core.LiteConfig(); cfg.options.forceOutputUseUserSpecifiedMemory = true;
try { const net = new core.LiteNetwork(cfg); net.load(${JSON.stringify(fixture('mlp.mge'))}); net.forward(); net.wait(); } catch {}
await new Promise((res) => setTimeout(res, 100));
parentPort.postMessage(lines.filter((l) => /computing sequence/.test(l)).length);`,
    );
    const r = run(`const { Worker } = await import('node:worker_threads');
const { pathToFileURL } = await import('node:url');
const cfg = new core.LiteConfig(); cfg.options.forceOutputUseUserSpecifiedMemory = true;
const attempt = () => outcome(() => { const net = new core.LiteNetwork(cfg); net.load(${JSON.stringify(fixture('mlp.mge'))}); net.forward(); net.wait(); });
const main = [];
core.setLogHandler((level, line) => main.push(line));
const w = new Worker(new URL(${JSON.stringify(pathToFileURL(worker).href)}), { execArgv: [], workerData: { core: import.meta.resolve('@lite/core') } });
const inWorker = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
await w.terminate();
const mainBefore = main.length;
attempt();
await new Promise((res) => setTimeout(res, 100));
const mainAfter = main.slice(mainBefore).filter((l) => /computing sequence/.test(l)).length;
core.setLogHandler(null);
attempt();
console.log(JSON.stringify({ inWorker, mainSawWorkerLines: mainBefore > 0, mainAfter }));`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The engine's log is process-wide: the main thread's handler also saw the worker's lines.
    expect(JSON.parse(r.stdout.trim())).toEqual({ inWorker: 1, mainSawWorkerLines: true, mainAfter: 1 });
  });

  it('a host\'s child processes keep their stderr, and no engine banner is printed on fork', () => {
    // The runtime registers a fork handler that prints a CUDA banner on machines without a
    // driver; the binding turns it off with the runtime's own switch (no descriptor redirection).
    const r = run(`new core.LiteNetwork().load(${JSON.stringify(fixture('mlp.mge'))});
const { spawnSync } = await import('node:child_process');
for (let i = 0; i < 3; i++) spawnSync('sh', ['-c', 'echo child-stderr-' + i + ' >&2'], { stdio: 'inherit' });
console.log(JSON.stringify({ ok: true }));`);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('child-stderr-0\nchild-stderr-1\nchild-stderr-2\n');
  });

  it('LiteLogLevel.OFF: set, read back, and silent even at DEBUG-worthy failures', () => {
    const r = run(`core.setLogLevel(core.LiteLogLevel.OFF);
console.log(JSON.stringify({ level: core.getLogLevel(), ...outcome(() => new core.LiteNetwork().load(new Uint8Array(1000))) }));`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ level: 4, ok: false, code: 'LITE_INVALID_MODEL' });
  });
});
