// Ownership child: one scenario per process (argv[2]) about who may touch a network when —
// callbacks versus engine threads, JS memory lent to the engine, lifetimes. Prints one JSON line.
//   deadlock        asyncWithCallback + setFinishCallback + forward + wait on mlp (default config)
//   transfer        setDataByShare, then the buffer is transferred (structuredClone / postMessage)
//                   and the transferred copy collected, then forward (shufflenet)
//   gc-callbacks    20 dropped networks whose start callback closes over the network
//   reload          60 reloads of shufflenet from bytes: RSS growth per reload
//   async-keepalive asyncWithCallback + forward (+ wait with argv[3] = "wait") and nothing
//                   else: the callback must still run
//   reload-other    mlp, then two_io into the same network (by path and by bytes)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { LiteLogLevel, LiteNetwork, LiteTensorPhase, setLogLevel } from '@lite/core';

setLogLevel(LiteLogLevel.ERROR);
const fixture = (name) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));
const MLP = fixture('mlp.mge');
const SHUFFLENET = fixture('shufflenet.mge');
const print = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
const gc = globalThis.gc ?? (() => {});
const tick = () => new Promise((r) => setImmediate(r));

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const scenarios = {
  deadlock() {
    const net = new LiteNetwork();
    let asyncCalls = 0;
    let finishCalls = 0;
    let outputs = 0;
    net.asyncWithCallback(() => asyncCalls++);
    net.setFinishCallback((ios) => {
      finishCalls++;
      for (const t of ios.values()) outputs += t.toFloat32Array().length;
    });
    net.load(MLP);
    net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(64).fill(0.5));
    net.forward();
    net.wait();
    print({ returned: true, asyncCalls, finishCalls, outputs });
  },

  async transfer() {
    const input = new Float32Array(3 * 224 * 224);
    for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.001);
    // The reference: the same values copied in.
    const ref = new LiteNetwork();
    ref.load(SHUFFLENET);
    ref.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(input);
    ref.forward();
    ref.wait();
    const expected = ref.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toFloat32Array();
    const results = {};
    for (const how of ['structuredClone', 'postMessage']) {
      const net = new LiteNetwork();
      net.load(SHUFFLENET);
      const shared = input.slice();
      net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByShare(shared);
      if (how === 'structuredClone') {
        structuredClone(shared.buffer, { transfer: [shared.buffer] });
      } else {
        const { port1, port2 } = new MessageChannel();
        const got = new Promise((r) => port2.once('message', r));
        port1.postMessage(shared, [shared.buffer]);
        await got;
        port1.close();
        port2.close();
      }
      const detached = shared.byteLength === 0;
      // Let the transferred copy go and reuse its memory.
      for (let i = 0; i < 5; i++) {
        gc();
        await tick();
      }
      const junk = [];
      for (let i = 0; i < 20; i++) junk.push(new Float32Array(input.length).fill(-1e30));
      let error = null;
      let diff = null;
      try {
        net.forward();
        net.wait();
        diff = maxAbsDiff(net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toFloat32Array(), expected);
      } catch (e) {
        error = e.code ?? String(e);
      }
      results[how] = { detached, diff, error, junk: junk.length };
    }
    print({ results });
  },

  async 'gc-callbacks'() {
    let collected = 0;
    const registry = new FinalizationRegistry(() => collected++);
    (() => {
      for (let i = 0; i < 20; i++) {
        const net = new LiteNetwork();
        net.load(MLP);
        net.setStartCallback(() => net.getAllInputName());
        net.setFinishCallback(() => net.getAllOutputName());
        registry.register(net, i);
      }
    })();
    for (let i = 0; i < 20 && collected < 20; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    print({ created: 20, collected });
  },

  reload() {
    const bytes = readFileSync(SHUFFLENET);
    const net = new LiteNetwork();
    const rssMiB = () => process.memoryUsage.rss() / 2 ** 20;
    for (let i = 0; i < 10; i++) net.load(bytes);
    gc();
    const before = rssMiB();
    const reloads = 60;
    for (let i = 0; i < reloads; i++) net.load(bytes);
    gc();
    const after = rssMiB();
    const modelMiB = bytes.length / 2 ** 20;
    print({ reloads, modelMiB, growthMiB: after - before, modelSizesPerReload: (after - before) / reloads / modelMiB });
  },

  async 'reload-other'() {
    // A network reloaded with another model must run that model: compared with a fresh network.
    const TWO_IO = fixture('two_io.mge');
    const feeds = { a: Float32Array.from({ length: 24 }, (_, i) => i / 7), b: Float32Array.from({ length: 12 }, (_, i) => 1 - i / 5) };
    const fresh = new LiteNetwork();
    fresh.load(TWO_IO);
    const want = await fresh.predict(feeds);
    const out = {};
    for (const mode of ['path', 'bytes']) {
      const net = new LiteNetwork();
      net.threadsNumber = 2;
      const load = (file) => (mode === 'path' ? net.load(file) : net.load(readFileSync(file)));
      load(MLP);
      const first = net.getAllInputName();
      load(TWO_IO);
      const got = await net.predict(feeds);
      const same = Object.keys(want).every((k) => maxAbsDiff(got[k].toFloat32Array(), want[k].toFloat32Array()) === 0);
      out[mode] = { first, second: net.getAllInputName(), outputs: net.getAllOutputName(), threads: net.threadsNumber, sameAsFresh: same };
    }
    print(out);
  },

  'async-keepalive'() {
    const net = new LiteNetwork();
    net.asyncWithCallback(() => print({ asyncCallbackRan: true }));
    net.load(MLP);
    net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(64).fill(0.5));
    net.forward();
    if (process.argv[3] === 'wait') net.wait();
    // nothing else keeps the process alive
  },
};

const name = process.argv[2];
const run = scenarios[name];
if (!run) {
  console.error(`unknown scenario ${name}; one of: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await run();
