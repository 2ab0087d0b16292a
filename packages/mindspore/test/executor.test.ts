// One owner per model (issue 21): a Model's and a runner's async calls wait in a native queue and
// run on their own threads, never on libuv's; the queue alone decides "busy"; a runner builds off
// the event loop; exiting while calls run is clean.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LiteError, Model, ModelParallelRunner, ModelType, Tensor } from '../src/index.js';
import { context, expectReference, failure, lenet, path, runFor, runInputs } from './helpers.js';

async function rejectionOf(p: Promise<unknown>): Promise<LiteError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    return e as LiteError;
  }
  throw new Error('expected a rejection');
}

describe('Model: the native queue owns the model', () => {
  it('queued predicts hold no libuv thread: a file read finishes while 24 of them wait', async () => {
    const m = new Model();
    m.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
    // Batch 256 takes milliseconds per call, so the 24 take far longer than a small file read.
    const big = (): Tensor[] => [new Tensor(new Float32Array(256 * 784), { shape: [256, 1, 28, 28] })];
    let predictsDone = 0;
    const predicts = Array.from({ length: 24 }, () => m.predictAsync(big()).then(() => predictsDone++));
    // libuv has 4 threads by default; with each predict parked on one (the old AsyncTask design)
    // this read would queue behind them.
    await readFile(path(lenet.file));
    expect(predictsDone).toBeLessThan(24);
    await Promise.all(predicts);
    const run = runFor(lenet, 4);
    expectReference(await m.predictAsync(runInputs(run)), run);
    m.dispose();
  });

  it('is busy exactly while a call is queued or running, and free the moment its promise settles', async () => {
    const m = new Model();
    const build = m.buildFromFileAsync(path(lenet.file), ModelType.MINDIR, context());
    expect(failure(() => m.getInputs()).code).toBe('LITE_INVALID_ARGUMENT');
    // While the build runs, predictAsync is LITE_BUSY (the model's inputs are not known yet).
    expect((await rejectionOf(m.predictAsync(runInputs(runFor(lenet, 1))))).code).toBe('LITE_BUSY');
    await build;
    const run = runFor(lenet, 4);
    // Inputs made first; twenty batch-256 calls then take far longer than the microseconds
    // between queueing them and the check below.
    const inputs = Array.from({ length: 20 }, () => [new Tensor(new Float32Array(256 * 784), { shape: [256, 1, 28, 28] })]);
    const queuedCalls = inputs.map((x) => m.predictAsync(x));
    expect(failure(() => m.getOutputs()).code).toBe('LITE_BUSY');
    for (const out of await Promise.all(queuedCalls)) expect(out[0]?.shape).toEqual([256, 10]);
    // No turn of the event loop in between: the queue no longer counts the settled call.
    expectReference(m.predict(runInputs(run)), run);
    m.dispose();
  });

  it('a second build queued behind the first fails with "already built"; the first resolves', async () => {
    const m = new Model();
    const first = m.buildFromFileAsync(path(lenet.file), ModelType.MINDIR, context());
    const second = m.buildFromFileAsync(path(lenet.file), ModelType.MINDIR, context());
    await first;
    const e = await rejectionOf(second);
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/already built/);
    expectReference(m.predict(runInputs(runFor(lenet, 1))), runFor(lenet, 1));
    m.dispose();
  });
});

describe('ModelParallelRunner: native queue and async build', () => {
  it('buildFromFileAsync keeps the event loop turning; predict meanwhile is LITE_BUSY; results equal the references', async () => {
    const c = context();
    c.parallel.workersNum = 2;
    const runner = new ModelParallelRunner();
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = performance.now();
    const build = runner.buildFromFileAsync(path(lenet.file), c);
    expect((await rejectionOf(runner.predict(runInputs(runFor(lenet, 1))))).code).toBe('LITE_BUSY');
    await build;
    const buildMs = performance.now() - started;
    clearInterval(timer);
    // The sync build blocked the loop for its whole length (953 ms measured in the issue); here
    // the timer kept firing: a gap is at most a few timer periods, far below the build time.
    expect(ticks).toBeGreaterThan(0);
    expect(maxGap).toBeLessThan(Math.max(100, buildMs / 2));
    const runs = [1, 2, 4].map((b) => runFor(lenet, b));
    const outs = await Promise.all(runs.map((r) => runner.predict(runInputs(r))));
    outs.forEach((o, i) => expectReference(o, runs[i] as (typeof runs)[number]));
    expect(failure(() => runner.buildFromFile(path(lenet.file), c)).message).toMatch(/already built/);
    runner.dispose();
  });

  it('a failed async build leaves the runner unbuilt and buildable again', async () => {
    const runner = new ModelParallelRunner();
    const e = await rejectionOf(runner.buildFromFileAsync(path('missing.mindir'), context()));
    expect(e.code).toBe('LITE_FILE_NOT_FOUND');
    expect(failure(() => runner.getInputs()).message).toMatch(/not built yet/);
    await runner.buildFromFileAsync(path(lenet.file), context());
    const run = runFor(lenet, 1);
    expectReference(await runner.predict(runInputs(run)), run);
    runner.dispose();
  });
});

describe('process exit', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const prelude = `
import { Context, Model, ModelParallelRunner, ModelType, Tensor } from ${JSON.stringify(dist)};
const lenet = ${JSON.stringify(path(lenet.file))};
const x = () => [new Tensor(new Float32Array(784 * 32), { shape: [32, 1, 28, 28] })];
const m = new Model();
m.buildFromFile(lenet, ModelType.MINDIR);
`;
  const exitsCleanly = (script: string, runs: number): void => {
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', prelude + script], { encoding: 'utf8', timeout: 60_000 });
      expect({ run: i, status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ run: i, status: 0, signal: null, stderr: '' });
    }
  };

  // process.exit() runs no finalizer: a model left alive kept its engine threads running while
  // the exit handlers unloaded the engine's plugin (SIGSEGV in 2 of 6 sync-only runs, 4 of 6
  // with queued calls, before the exit hook freed the engine objects).
  it('process.exit() with a model used only synchronously exits cleanly', () => {
    exitsCleanly('m.predict(x()); process.exit(0);', 6);
  });

  it('process.exit() while a model\'s and a runner\'s async calls run exits cleanly (their threads are joined, then the engine objects freed)', () => {
    exitsCleanly(
      `const c = new Context(); c.parallel.workersNum = 2;
const r = new ModelParallelRunner();
r.buildFromFile(lenet, c);
for (let i = 0; i < 20; i++) { m.predictAsync(x()).catch(() => {}); r.predict(x()).catch(() => {}); }
setTimeout(() => process.exit(0), 5);`,
      6,
    );
  });
});
