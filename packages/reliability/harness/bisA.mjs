// Callbacks child: start/finish/async callbacks that throw, return junk or re-enter the API.
// Each scenario records how the triggering call ended: "ok", a LiteError code, or "foreign: ..."
// for anything that is not a LiteError. Prints one JSON line: { results: { name: outcome } }.
import { fileURLToPath } from 'node:url';
import { LiteConfig, LiteError, LiteLogLevel, LiteNetwork, LiteTensorPhase, setLogLevel } from '@lite/core';

//setLogLevel(LiteLogLevel.ERROR);
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

await scenario('asyncWithCallback disposes its network (x50, then gc)', async () => {
  // The engine calls the async callback from its worker thread; disposing the network from the JS
  // side of it must not free the callback's memory while the worker thread is still inside it.
  let disposed = 0;
  for (let i = 0; i < 50; i++) {
    const n = new LiteNetwork(new LiteConfig());
    const done = new Promise((res) => {
      n.asyncWithCallback(() => {
        console.error('cb'); n.dispose();
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
console.error('END', JSON.stringify(results), JSON.stringify(notes));
