// Engine options that can take the process down on some CPUs are tried in a child process first.
//
// With `options.enableNchw88` or `enableGlobalLayoutTransform()`, MegEngine 1.13 runs its
// convolutions with its MKL-DNN (oneDNN 1.x) kernels: the only NCHW88 convolution algorithm it has,
// and no algorithm policy, variable or cache setting keeps them out. On x86 CPUs with AVX-512 that
// are not Intel's (AMD EPYC Zen 4, for one), their JIT setup asks Xbyak for the core topology, which
// Xbyak only knows on Intel CPUs ("bad err=45 in Xbyak::Error"), and Xbyak then calls exit(1): the
// process ends, or — in the default mode, where the exit runs on the engine's worker thread and the
// exit handlers wait for that same thread — hangs forever. No in-process API can catch that.
//
// So before such options reach the engine, a child process runs them on a small convolution
// network (assets/cpu-probe.mge) with a timeout, and the verdict is cached per CPU, runtime version
// and option set in the user's cache folder. A "no" is LITE_UNSUPPORTED naming the option.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { LiteError } from './errors.js';
import { cacheRoot } from './runtime/fetch.js';

/** The settings that can select the MKL-DNN kernels. */
export interface ProbeSet {
  /** `options.enableNchw88`. */
  nchw88: boolean;
  /** `enableGlobalLayoutTransform()`. */
  layoutTransform: boolean;
}

/** A cached or fresh verdict. */
export interface ProbeVerdict {
  ok: boolean;
  /** Why not (the child's exit, signal or timeout, and the engine's last stderr line). */
  reason?: string;
  /** The CPU it was measured on. */
  cpu: string;
}

/** Internal knobs, for tests: another cache folder, timeout or probe model. */
export interface ProbeInternals {
  cacheDir?: string;
  timeoutMs?: number;
  /** Extra LiteOptions for the child (e.g. one that fails everywhere, to test the "no" path). */
  extraOptions?: Record<string, number | boolean>;
}

const RUNTIME_VERSION = '1.13.0';
const PROBE_TIMEOUT_MS = 30_000;
/** Set in the child's environment (never in ours): the child must not probe again. */
const CHILD_ENV = 'LITE_CPU_PROBE_CHILD';
const MARK = '@@lite-cpu-probe@@';

const CHILD = `
const [entry, model, setJson] = process.argv.slice(1);
const set = JSON.parse(setJson);
const core = await import(entry);
const run = (opts, layoutTransform) => {
  const cfg = new core.LiteConfig();
  Object.assign(cfg.options, opts);
  const net = new core.LiteNetwork(cfg);
  net.enableCpuInplaceMode(); // a failing kernel then exits at once instead of hanging
  if (layoutTransform) net.enableGlobalLayoutTransform();
  net.load(model);
  net.getIoTensor('data').setDataByCopy(Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.sin(i)));
  net.forward();
  net.wait();
  return Array.from(net.getIoTensor('out').toTypedArray());
};
const plain = run({}, false);
const probed = run({ enableNchw88: set.nchw88, ...set.extra }, set.layoutTransform);
const diff = Math.max(...plain.map((v, i) => Math.abs(v - probed[i])));
process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify({ diff }) + '\\n');
`;

let identity: { label: string; key: string } | null = null;

/** The CPU's identity: vendor, model, family/model/stepping and feature flags (Linux), else Node's view. Read once. */
export function cpuIdentity(): { label: string; key: string } {
  identity ??= readCpuIdentity();
  return identity;
}

function readCpuIdentity(): { label: string; key: string } {
  let first = '';
  try {
    first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
  } catch {
    first = '';
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim() ?? '';
  const label = field('model name') || cpus()[0]?.model || 'unknown CPU';
  const fields = ['vendor_id', 'cpu family', 'model', 'stepping', 'flags', 'Features', 'CPU implementer', 'CPU part'].map(field);
  const text = [arch(), label, ...fields].join('|');
  return { label, key: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

function setName(set: ProbeSet, extra?: Record<string, number | boolean>): string {
  const parts = [set.nchw88 ? 'nchw88' : '', set.layoutTransform ? 'layout-transform' : '', extra ? `extra-${createHash('sha256').update(JSON.stringify(extra)).digest('hex').slice(0, 8)}` : ''];
  return parts.filter(Boolean).join('+');
}

/** The folder of the cached verdicts, or null without a cache folder. */
function verdictDir(): string | null {
  const root = cacheRoot();
  return root === null ? null : join(root, 'cpu-probe');
}

function verdictPath(set: ProbeSet, internals: ProbeInternals): string | null {
  const root = internals.cacheDir ?? verdictDir();
  if (root === null) return null;
  return join(root, `megengine-${RUNTIME_VERSION}-${cpuIdentity().key}-${setName(set, internals.extraOptions)}.json`);
}

function readVerdict(path: string | null): ProbeVerdict | null {
  if (path === null || !existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as ProbeVerdict;
    return typeof v.ok === 'boolean' ? v : null;
  } catch {
    return null;
  }
}

function writeVerdict(path: string | null, v: ProbeVerdict): void {
  if (path === null) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(v));
    renameSync(tmp, path);
  } catch {
    // An unwritable cache only costs another probe next time.
  }
}

function childArgs(entry: string, set: ProbeSet, internals: ProbeInternals): string[] {
  const model = join(dirname(__filename), '..', 'assets', 'cpu-probe.mge');
  return ['--input-type=module', '-e', CHILD, entry, model, JSON.stringify({ ...set, extra: internals.extraOptions ?? {} })];
}

function judge(status: number | null, signal: string | null, stdout: string, stderr: string, timedOut: boolean, timeoutMs: number): ProbeVerdict {
  const cpu = cpuIdentity().label;
  // The line that says why: the last error line (an uncaught LiteError, the engine's Xbyak
  // message), not Node's version banner or a stack frame.
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^Node\.js v\d/.test(l) && !l.startsWith('at ') && !/^\^+$/.test(l));
  const last = [...lines].reverse().find((l) => /Error\b|err=/.test(l)) ?? lines.pop() ?? '';
  if (timedOut) return { ok: false, cpu, reason: `the probe did not finish within ${timeoutMs / 1000} s${last ? ` (${last})` : ''}` };
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (status === 0 && line) {
    const { diff } = JSON.parse(line.slice(MARK.length)) as { diff: number };
    // The probe's outputs are O(1): NCHW88 kernels differ from the default ones by float rounding (2.7e-7 measured).
    if (Number.isFinite(diff) && diff < 1e-4) return { ok: true, cpu };
    return { ok: false, cpu, reason: `the probe ran but its outputs differ from the default layout's by ${diff}` };
  }
  const how = signal ? `signal ${signal}` : `exit code ${String(status)}`;
  return { ok: false, cpu, reason: `the probe ended with ${how}${last ? `: ${last.slice(0, 200)}` : ''}` };
}

function entryFile(): string {
  const here = __filename;
  if (/\.(c|m)?js$/.test(here)) return join(dirname(here), 'index.js');
  return join(dirname(here), '..', 'dist', 'index.js');
}

/** Whether these settings need a probe (and this process is not a probe itself). */
export function needsProbe(set: ProbeSet): boolean {
  return (set.nchw88 || set.layoutTransform) && process.env[CHILD_ENV] !== '1';
}

/** The verdict for `set` on this CPU: cached, or probed now in a child process (blocking). */
export function probeSync(set: ProbeSet, internals: ProbeInternals = {}): ProbeVerdict {
  const path = verdictPath(set, internals);
  const cached = readVerdict(path);
  if (cached) return cached;
  const timeoutMs = internals.timeoutMs ?? PROBE_TIMEOUT_MS;
  const r = spawnSync(process.execPath, childArgs(entryFile(), set, internals), {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, [CHILD_ENV]: '1' },
    windowsHide: true,
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  const v = judge(r.status, r.signal, r.stdout ?? '', r.stderr ?? '', timedOut, timeoutMs);
  writeVerdict(path, v);
  return v;
}

/** {@link probeSync} without blocking the event loop. */
export function probe(set: ProbeSet, internals: ProbeInternals = {}): Promise<ProbeVerdict> {
  const path = verdictPath(set, internals);
  const cached = readVerdict(path);
  if (cached) return Promise.resolve(cached);
  const timeoutMs = internals.timeoutMs ?? PROBE_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, childArgs(entryFile(), set, internals), { env: { ...process.env, [CHILD_ENV]: '1' }, windowsHide: true });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, cpu: cpuIdentity().label, reason: `the probe could not start: ${e.message}` });
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const v = judge(status, signal, out, err, timedOut, timeoutMs);
      writeVerdict(path, v);
      resolve(v);
    });
  });
}

/** The LITE_UNSUPPORTED error for a "no". */
export function unsupportedError(set: ProbeSet, v: ProbeVerdict): LiteError {
  const what = [set.nchw88 ? 'options.enableNchw88' : '', set.layoutTransform ? 'enableGlobalLayoutTransform()' : ''].filter(Boolean).join(' with ');
  const instead = `use the default layout instead (leave ${set.nchw88 ? 'enableNchw88 off' : 'the global layout transform off'})`;
  const wrong = v.reason?.startsWith('the probe ran but') === true;
  const why = wrong
    ? `on this CPU (${v.cpu}) it gives other results than the default layout (${v.reason})`
    : `the engine's MKL-DNN convolution kernels, which it selects for this layout, fail on this CPU (${v.cpu}) and would end the process (${v.reason ?? 'the probe failed'})`;
  return new LiteError('LITE_UNSUPPORTED', `${what} cannot be used here: ${why}; ${instead}. The verdict is cached in ${verdictFolder()}; delete it to probe again.`);
}

function verdictFolder(): string {
  return verdictDir() ?? 'memory only (no cache folder)';
}
