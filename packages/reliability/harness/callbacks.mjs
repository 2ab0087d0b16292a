// Callbacks child: start/finish/async callbacks that throw, return junk or re-enter the API.
// Each scenario records how the triggering call ended: "ok", a LiteError code, or "foreign: ..."
// for anything that is not a LiteError. Prints one JSON line: { results: { name: outcome } }.
import { fileURLToPath } from 'node:url';
import { LiteConfig, LiteError, LiteLogLevel, LiteNetwork, LiteTensorPhase, setLogLevel } from '@lite/core';

setLogLevel(LiteLogLevel.ERROR);
const MLP = fileURLToPath(new URL('../../../fixtures/mlp.mge', import.meta.url));
const results = {};
const notes = {};
const outcome = (e) => (e === undefined ? 'ok' : e instanceof LiteError ? e.code : `foreign: ${String(e?.message ?? e).slice(0, 160)}`);
async function scenario(name, fn) {
  try {
    await fn();
    results[name] = 'ok';
  } catch (e) {
    results[name] = outcome(e);
    notes[name] = String(e?.message ?? e).split('\n')[0].slice(0, 200);
  }
}
function net() {
  const n = new LiteNetwork();
  n.load(MLP);
  n.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(64).fill(0.5));
  return n;
}
function fwd(n) {
  n.forward();
  n.wait();
}
const boom = () => {
  throw new Error('boom');
};

await scenario('start throws (sync forward)', () => {
  const n = net();
  n.setStartCallback(boom);
  fwd(n);
});
await scenario('finish throws (sync forward)', () => {
  const n = net();
  n.setFinishCallback(boom);
  fwd(n);
});
await scenario('start throws (forwardAsync)', async () => {
  const n = net();
  n.setStartCallback(boom);
  await n.forwardAsync();
});
await scenario('finish throws (forwardAsync)', async () => {
  const n = net();
  n.setFinishCallback(boom);
  await n.forwardAsync();
});
await scenario('throws a non-Error value', () => {
  const n = net();
  n.setStartCallback(() => {
    throw 42; // eslint-disable-line no-throw-literal
  });
  fwd(n);
});
// After a throwing callback the network still works once the callback behaves.
await scenario('usable after a throwing callback', async () => {
  const n = net();
  n.setFinishCallback(boom);
  try {
    fwd(n);
  } catch {
    /* expected */
  }
  n.setFinishCallback(() => undefined);
  fwd(n);
  await n.forwardAsync();
  const out = n.getIoTensor('logits', LiteTensorPhase.LITE_OUTPUT).toTypedArray();
  if (!out.every(Number.isFinite)) throw new Error('bad output');
});
await scenario('returns junk', async () => {
  const n = net();
  let calls = 0;
  const junk = [42, 'x', {}, null, Symbol('s'), Promise.resolve(7), { then: 5 }, () => 1];
  n.setStartCallback(() => junk[calls++ % junk.length]);
  n.setFinishCallback(() => junk[calls++ % junk.length]);
  for (let i = 0; i < 4; i++) fwd(n);
  for (let i = 0; i < 4; i++) await n.forwardAsync();
  notes.junkCalls = calls;
});
await scenario('re-enters forward from start (sync)', () => {
  const n = net();
  n.setStartCallback(() => n.forward());
  fwd(n);
});
await scenario('re-enters forward from finish (forwardAsync)', async () => {
  const n = net();
  n.setFinishCallback(() => n.forward());
  await n.forwardAsync();
});
// dispose() from a callback: the run already made finishes (the same rule as dispose() while an
// async call is pending), then the network is gone.
function expectDisposedAfter(n) {
  try {
    n.getAllInputName();
  } catch (e) {
    if (e?.code === 'LITE_DISPOSED') return;
    throw e;
  }
  throw new Error('the network is still usable after dispose() in its callback');
}
await scenario('disposes its network from finish (sync)', () => {
  const n = net();
  n.setFinishCallback(() => n.dispose());
  fwd(n);
  expectDisposedAfter(n);
});
await scenario('disposes its network from start (forwardAsync)', async () => {
  const n = net();
  n.setStartCallback(() => n.dispose());
  await n.forwardAsync();
  expectDisposedAfter(n);
});
await scenario('reads and disposes the tensors it gets, keeps the map', async () => {
  const n = net();
  let kept = null;
  n.setFinishCallback((ios) => {
    kept = ios;
    for (const t of ios.values()) {
      t.toTypedArray();
      t.dispose();
    }
  });
  fwd(n);
  await n.forwardAsync();
  for (const t of kept.values()) {
    try {
      t.toTypedArray();
    } catch (e) {
      if (!(e instanceof LiteError) || e.code !== 'LITE_DISPOSED') throw e;
    }
  }
});
await scenario('uses other API calls inside (getIoTensor, new network, load)', async () => {
  const n = net();
  n.setStartCallback(() => {
    n.getIoTensor('data', LiteTensorPhase.LITE_INPUT).toTypedArray();
    const m = new LiteNetwork();
    m.load(MLP);
    fwd(m);
    m.dispose();
  });
  fwd(n);
  await n.forwardAsync();
});
await scenario('asyncWithCallback throws', async () => {
  const n = new LiteNetwork(new LiteConfig());
  n.asyncWithCallback(boom);
  n.load(MLP);
  n.forward();
  await new Promise((res) => setTimeout(res, 200));
  n.wait();
});
await scenario('asyncWithCallback re-enters forward', async () => {
  const n = new LiteNetwork(new LiteConfig());
  let inner = 'not called';
  let calls = 0;
  n.asyncWithCallback(() => {
    // Re-enter once (every time would be an endless chain of forwards keeping the process alive).
    if (++calls > 1) return;
    try {
      n.forward();
      inner = 'ok';
    } catch (e) {
      inner = outcome(e);
    }
  });
  n.load(MLP);
  n.forward();
  await new Promise((res) => setTimeout(res, 200));
  n.wait();
  notes.asyncReentry = inner;
});
await scenario('asyncWithCallback disposes its network (x50, then gc)', async () => {
  // Nothing but the forward in flight keeps the loop alive here (exit 13 if that broke).
  // The engine calls the async callback from its worker thread; disposing the network from the JS
  // side of it must not free the callback's memory while the worker thread is still inside it.
  let disposed = 0;
  for (let i = 0; i < 50; i++) {
    const n = new LiteNetwork(new LiteConfig());
    const done = new Promise((res) => {
      n.asyncWithCallback(() => {
        n.dispose();
        disposed++;
        res();
      });
    });
    n.load(MLP);
    n.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(64).fill(0.5));
    n.forward();
    await done;
  }
  globalThis.gc?.();
  await new Promise((res) => setTimeout(res, 50));
  notes.asyncDisposed = disposed;
});
await scenario('garbage instead of a callback', () => {
  const n = net();
  n.setStartCallback(42);
});
process.stdout.write(`${JSON.stringify({ results, notes })}\n`);
