// Runs a harness script in a child Node.js process with a hard timeout, so an abort (signal,
// abnormal exit) or a hang is observed and reported instead of taking the test runner down.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Outcome of one child run. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  /** The last stdout line that parses as JSON (the harness's summary), if any. */
  summary: Record<string, unknown> | null;
}

/** Absolute path of `harness/<name>`. */
export function harness(name: string): string {
  return fileURLToPath(new URL(`../harness/${name}`, import.meta.url));
}

/** Runs `node [nodeArgs] harness/<script> [args]`, killing it after `timeoutMs`. */
export function runHarness(script: string, args: string[] = [], opts: { nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<ChildRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), harness(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let summary: Record<string, unknown> | null = null;
      for (const line of stdout.trim().split('\n').reverse()) {
        try {
          const v: unknown = JSON.parse(line);
          if (v && typeof v === 'object') {
            summary = v as Record<string, unknown>;
            break;
          }
        } catch {
          /* not the summary line */
        }
      }
      resolve({ code, signal, timedOut, stdout, stderr, ms: Date.now() - started, summary });
    });
  });
}

/** A compact description of a failed run for assertion messages. */
export function describeRun(run: ChildRun): string {
  const engineLines = run.stderr.split('\n').filter((l) => !/^(debug|info):/.test(l));
  return `exit=${run.code} signal=${run.signal} timedOut=${run.timedOut} after ${run.ms} ms\n${engineLines.slice(-15).join('\n')}`;
}
