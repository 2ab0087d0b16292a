// The engine's own batching ceiling for the dynamic batching section (run by
// tools/bench/batching_section.mjs in its own process):
//
//   node batch_ceiling.mjs CONFIG_JSON     CONFIG: { model, input, maxBatch, iters }
//
// One LiteNetwork in CPU inplace mode (as a pool member), the input relaid out to batch 1 and to
// batch maxBatch of the model's one-row shape: warm-up, then `iters` timed forward + wait at each
// size. What a full batch can gain at most is the time per row at batch 1 over the time per row
// at maxBatch: no pool, queue or JS work is involved. Prints one JSON object; times in ns.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoRoot = process.env.LITE_DEMO_ROOT ?? path.resolve(here, '..', '..', 'apps', 'demo');
const require = createRequire(path.join(demoRoot, 'package.json'));
const { LiteLayout, LiteNetwork } = await import(pathToFileURL(require.resolve('@lite/core')).href);

const cfg = JSON.parse(process.argv[2]);
const net = new LiteNetwork();
net.enableCpuInplaceMode();
net.load(cfg.model);
const input = net.getIoTensor(cfg.input);
const row = input.layout.shapes.slice(1);
const rowCount = row.reduce((a, b) => a * b, 1);
const timed = (batch) => {
  input.setDataByCopy(new Float32Array(batch * rowCount).fill(0.5), { layout: new LiteLayout([batch, ...row], 'float32') });
  for (let i = 0; i < 30; i++) {
    net.forward();
    net.wait();
  }
  const times = [];
  for (let i = 0; i < cfg.iters; i++) {
    const t = process.hrtime.bigint();
    net.forward();
    net.wait();
    times.push(Number(process.hrtime.bigint() - t));
  }
  return times;
};
const one = timed(1);
const full = timed(cfg.maxBatch);
net.dispose();
process.stdout.write(`${JSON.stringify({ max_batch: cfg.maxBatch, batch1_ns: one, full_ns: full })}\n`);
