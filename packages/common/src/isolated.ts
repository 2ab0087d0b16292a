// The child-process half of `validateModel`, the same on both engines: spawn a Node.js child that
// loads the model with the engine package, read its one marked report line, and tell a clean
// failure from a crash or a hang. Each engine writes the child's script (how to load and run).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LiteError, isLiteErrorCode } from './errors.js';
import { invalid, show } from './messages.js';

/** Outcome of `validateModel` (both engines); never thrown, always returned. */
export type ValidateModelResult =
  | {
      /** The model loaded (and ran, unless that was turned off) in the child process. */
      ok: true;
      /** Input names of the model. */
      inputs: string[];
      /** Output names of the model. */
      outputs: string[];
    }
  | {
      ok: false;
      /**
       * Why it failed: the engine package's own `LiteError` from the child (e.g. `LITE_INVALID_MODEL`),
       * or a `LITE_ERROR` describing the crash / timeout of the child.
       */
      error: LiteError;
      /** The native runtime crashed on this model (signal or abnormal exit of the child). */
      crashed: boolean;
      /** The child ran longer than `timeout` and was killed. */
      timedOut: boolean;
      /** Signal that ended the child (e.g. `"SIGSEGV"`), if any. */
      signal: string | null;
      /** Exit code of the child, if it exited. */
      exitCode: number | null;
    };

/** The line prefix of the child's report. */
export const REPORT_MARK = '@@lite-validate@@';

/**
 * The child's report helper, to start a child script with: `say(o)` prints `o` as the one marked
 * line, and `fail(e)` reports an error with its code, message and engine text.
 */
export const CHILD_PRELUDE = `
const mark = ${JSON.stringify(REPORT_MARK)};
const say = (o) => process.stdout.write(mark + JSON.stringify(o) + '\\n');
const fail = (e) => say({ ok: false, code: typeof e?.code === 'string' ? e.code : 'LITE_ERROR', message: String(e?.message ?? e), engineMessage: typeof e?.engineMessage === 'string' ? e.engineMessage : undefined });
const readModel = async (source) => {
  if (source !== '-') return source;
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
};
`;

/**
 * The model argument of `validateModel`, checked: a non-empty path without NUL, or non-empty
 * bytes (`LITE_INVALID_ARGUMENT` otherwise, also for a detached buffer). Returns the bytes, or
 * null for a path.
 */
export function modelBytes(model: unknown): Uint8Array | null {
  if (typeof model === 'string') {
    if (model.length === 0 || model.includes('\0')) invalid('model path must be a non-empty string without NUL');
    return null;
  }
  if (!(model instanceof Uint8Array) && !(model instanceof ArrayBuffer)) {
    invalid(`validateModel expects a file path, a Uint8Array or an ArrayBuffer, got ${show(model)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = model instanceof ArrayBuffer ? new Uint8Array(model) : model;
  } catch {
    return invalid('the model data is detached (its ArrayBuffer was transferred away)');
  }
  if (bytes.byteLength === 0) {
    const detached = (bytes.buffer as { detached?: unknown }).detached === true;
    invalid(detached ? 'the model data is detached (its ArrayBuffer was transferred away)' : 'the model is empty (0 bytes)');
  }
  return bytes;
}

/** `options.timeout` of `validateModel`, checked (default 60 000 ms). */
export function timeoutOption(timeout: unknown): number {
  const t = timeout ?? 60_000;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) invalid(`timeout must be a positive number of milliseconds, got ${show(t)}`);
  return t;
}

/**
 * The built entry the child imports the engine package from: `index.cjs` beside `file` (the
 * caller's `__filename` in the build), or the package's built ESM entry when run from source.
 */
export function childEntry(file: string, packageName: string): string {
  if (/\.(c|m)?js$/.test(file)) return join(dirname(file), 'index.cjs');
  const built = join(dirname(file), '..', 'dist', 'index.js');
  if (!existsSync(built)) throw new LiteError('LITE_RUNTIME_NOT_FOUND', `validateModel needs the built ${packageName} (${built}); run its build first`);
  return built;
}

/** What {@link runIsolated} runs. */
export interface IsolatedRun {
  /** The child's ES module script (it starts with {@link CHILD_PRELUDE}); gets `args` as `process.argv.slice(1)`. */
  readonly script: string;
  /** Its arguments; a model given as bytes is passed as "-" and written to the child's stdin. */
  readonly args: readonly string[];
  /** The model bytes for stdin, or null. */
  readonly stdin: Uint8Array | null;
  /** Milliseconds before the child is killed. */
  readonly timeout: number;
  /** What the child does, for messages ("loading", "building"). */
  readonly doing: string;
}

interface ChildReport {
  ok: boolean;
  inputs?: string[];
  outputs?: string[];
  code?: string;
  message?: string;
  engineMessage?: string;
}

/** Runs a `validateModel` child and turns how it ended into a {@link ValidateModelResult}. */
export function runIsolated(run: IsolatedRun): Promise<ValidateModelResult> {
  return new Promise<ValidateModelResult>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', run.script, ...run.args], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-4000);
    });
    // A child that dies before reading all of stdin makes the pipe fail (EPIPE): that is reported
    // through the exit status below, not as an exception here.
    child.stdin.on('error', () => undefined);
    if (run.stdin) child.stdin.end(run.stdin);
    else child.stdin.end();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeout);
    const fail = (error: LiteError, crashed: boolean, signal: string | null, exitCode: number | null): void =>
      resolve({ ok: false, error, crashed, timedOut, signal, exitCode });
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(new LiteError('LITE_ERROR', `validateModel could not start a child process: ${e.message}`), false, null, null);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(REPORT_MARK));
      let report: ChildReport | null = null;
      if (line) {
        try {
          report = JSON.parse(line.slice(REPORT_MARK.length)) as ChildReport;
        } catch {
          report = null;
        }
      }
      if (timedOut) {
        fail(new LiteError('LITE_ERROR', `validateModel: ${run.doing} the model did not finish within ${run.timeout} ms (the child was killed)`), false, signal, code);
      } else if (report && code === 0) {
        if (report.ok) resolve({ ok: true, inputs: report.inputs ?? [], outputs: report.outputs ?? [] });
        else {
          const c = isLiteErrorCode(report.code) ? report.code : 'LITE_ERROR';
          fail(new LiteError(c, report.message ?? 'unknown error', { engineMessage: report.engineMessage }), false, null, code);
        }
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
        const tail = err.trim().split('\n').slice(-3).join(' | ');
        fail(
          new LiteError('LITE_ERROR', `the native runtime crashed (${how}) while ${run.doing} or running this model: the model is corrupt or malicious; do not load it`, {
            engineMessage: tail || undefined,
          }),
          true,
          signal,
          code,
        );
      }
    });
  });
}
