// The engine's own batching ceiling for the dynamic batching section (run by
// tools/bench/batching_section.mjs in its own process):
//
//   node batch_ceiling.mjs CONFIG_JSON     CONFIG: { model, input, maxBatch, iters }
//
// Two LiteNetworks in CPU inplace mode (as pool members), one with the input at batch 1, one at
// batch maxBatch of the model's one-row shape: warm-up, then `iters` timed forward + wait on each,
// taking turns in blocks. What a full batch can gain at most is the time per row at batch 1 over the time per row
// at maxBatch: no pool, queue or JS work is involved. Prints one JSON object; times in ns.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoRoot = process.env.LITE_DEMO_ROOT ?? path.resolve(here, '..', '..', 'apps', 'demo');
const require = createRequire(path.join(demoRoot, 'package.json'));
const { LiteLayout, LiteNetwork } = await import(pathToFileURL(require.resolve('@lite/core')).href);

const cfg = JSON.parse(process.argv[2]);
// Two networks, one per batch size, taking turns so that the machine's load drifts hit both sizes
// alike (a relayout between sizes would also make the engine re-plan).
const at = (batch) => {
  const net = new LiteNetwork();
  net.enableCpuInplaceMode();
  net.load(cfg.model);
  const input = net.getIoTensor(cfg.input);
  const row = input.layout.shapes.slice(1);
  const rowCount = row.reduce((a, b) => a * b, 1);
  input.setDataByCopy(new Float32Array(batch * rowCount).fill(0.5), { layout: new LiteLayout([batch, ...row], 'float32') });
  for (let i = 0; i < 30; i++) {
    net.forward();
    net.wait();
  }
  return net;
};
const one = at(1);
const full = at(cfg.maxBatch);
const timed = (net, into) => {
  const t = process.hrtime.bigint();
  net.forward();
  net.wait();
  into.push(Number(process.hrtime.bigint() - t));
};
// Blocks of runs, so each size runs warm as a pool member's back-to-back forwards do (run by
// run turns would start every batch-1 forward with the caches the batch forward left); the first
// runs of a block re-warm the caches and are not counted.
const BLOCK = 20;
const REWARM = 3;
const oneNs = [];
const fullNs = [];
while (oneNs.length < cfg.iters) {
  for (const [net, into] of [[one, oneNs], [full, fullNs]]) {
    const block = [];
    for (let i = 0; i < BLOCK; i++) timed(net, block);
    into.push(...block.slice(REWARM));
  }
}
one.dispose();
full.dispose();
process.stdout.write(`${JSON.stringify({ max_batch: cfg.maxBatch, batch1_ns: oneNs, full_ns: fullNs })}\n`);
