// The async paths of the packed @lite/core, run under Bun by tools/pack-test/run.sh (check.mjs and
// check.cjs cover the sync path): loadAsync + predict bit-identical to megenginelite, a
// LiteNetworkPool within float rounding of megengine's reference, and validateModel's child process.
// Usage: bun bun-async.mjs <dir with shufflenet.mge and its .npy files>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lite from '@lite/core';
import npy from './npy.cjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bun bun-async.mjs <fixture dir>');
const f32 = (name) => {
  const { descr, bytes } = npy.readNpy(join(dir, name));
  if (descr !== '<f4') throw new Error(`${name}: expected float32`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const input = f32('shufflenet_input.npy');
const runtime = typeof Bun === 'undefined' ? `Node ${process.version}` : `Bun ${Bun.version}`;

const net = new lite.LiteNetwork();
await net.loadAsync(readFileSync(join(dir, 'shufflenet.mge')));
const { prob } = await net.predict({ data: input });
const dAsync = maxAbsDiff(prob.toTypedArray(), f32('shufflenet_lite_output.npy'));
net.dispose();

const pool = await lite.LiteNetworkPool.create(join(dir, 'shufflenet.mge'), { size: 2 });
const results = await Promise.all([1, 2, 3].map(() => pool.predict({ data: input })));
const dPool = Math.max(...results.map((r) => maxAbsDiff(r.prob.toTypedArray(), f32('shufflenet_output.npy'))));
await pool.dispose();

const validated = await lite.validateModel(join(dir, 'shufflenet.mge'));
if (dAsync !== 0 || !(dPool < 1e-5) || validated.ok !== true) {
  console.error(`${runtime}: async max|d| ${dAsync} (want 0), pool max|d| ${dPool} (want < 1e-5), validateModel ${JSON.stringify(validated)}`);
  process.exit(1);
}
console.log(`${runtime}: loadAsync + predict bit-identical to megenginelite, LiteNetworkPool (3 requests) max|d| ${dPool.toExponential(2)} vs megengine, validateModel ok`);
