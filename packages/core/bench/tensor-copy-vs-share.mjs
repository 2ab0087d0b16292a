// Cost of setDataByCopy vs setDataByShare for a 1x3x224x224 float32 input, in one run.
// Not a test. Build first (`pnpm run build` in crates/lite-napi and packages/core), then:
//   node packages/core/bench/tensor-copy-vs-share.mjs [iterations]
import { LiteLayout, LiteTensor } from '../dist/index.js';

const iterations = Number(process.argv[2] ?? 2000);
const layout = new LiteLayout([1, 3, 224, 224], 'float32');
const input = new Float32Array(3 * 224 * 224).map((_, i) => (i % 255) / 255);
const inputs = [input, input.slice(), input.slice()]; // sharing alternates between arrays

function bench(name, fn) {
  for (let i = 0; i < Math.min(200, iterations); i++) fn(i); // warm up (JIT, first allocation)
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  return { name, ns };
}

const copyT = new LiteTensor(layout);
const shareT = new LiteTensor(layout);
const rows = [
  bench('setDataByCopy(Float32Array)', () => copyT.setDataByCopy(input)),
  bench('setDataByShare(Float32Array)', (i) => shareT.setDataByShare(inputs[i % 3])),
  bench('getDataByShare()', () => copyT.getDataByShare()),
  bench('toTypedArray()', () => copyT.toTypedArray()),
];

// Sanity: both hold the input.
if (copyT.toTypedArray()[12345] !== input[12345] || shareT.getDataByShare()[12345] !== input[12345]) {
  throw new Error('bench sanity check failed');
}

const bytes = input.byteLength;
console.log(`1x3x224x224 float32 (${bytes} bytes), ${iterations} iterations each, node ${process.version}`);
console.log('| call | ns/call | GB/s |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.name} | ${Math.round(r.ns).toLocaleString('en-US')} | ${(bytes / r.ns).toFixed(2)} |`);
const copy = rows[0].ns;
const share = rows[1].ns;
console.log(`\nsetDataByShare is ${(copy / share).toFixed(1)}x cheaper than setDataByCopy for this input.`);
copyT.dispose();
shareT.dispose();
