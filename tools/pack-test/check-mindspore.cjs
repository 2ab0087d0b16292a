// Runs every MindSpore fixture (fixtures/mindspore/manifest.json: lenet at batch 1, 2, 4 and
// two_io) through an installed @lite/mindspore and compares every output byte with the
// mindspore_lite Python reference (same runtime, same inputs, thread_num 1: tolerance 0).
// Run directly it is the CJS consumer (`node check-mindspore.cjs <fixture dir>`); check-mindspore.mjs
// is the ESM one. Both run inside a fresh npm project by tools/pack-test/run.sh.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { readNpy } = require('./npy.cjs');

function check(ms, dir, label) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  let compared = 0;
  for (const [name, model] of Object.entries(manifest.models)) {
    for (const run of model.runs) {
      const context = new ms.Context();
      context.target = ['cpu'];
      context.cpu.threadNum = 1;
      const m = new ms.Model();
      m.buildFromFile(join(dir, model.file), ms.ModelType.MINDIR, context);
      const inputs = run.inputs.map((io) => {
        const npy = readNpy(join(dir, io.npy));
        if (npy.descr !== '<f4') throw new Error(`${io.npy}: expected float32, got ${npy.descr}`);
        const data = new Float32Array(npy.bytes.buffer.slice(npy.bytes.byteOffset, npy.bytes.byteOffset + npy.bytes.byteLength));
        return new ms.Tensor(data, { shape: io.shape });
      });
      const outputs = m.predict(inputs);
      const names = outputs.map((o) => o.name).join(',');
      if (names !== run.outputs.map((o) => o.name).join(',')) throw new Error(`${label} ${name}: outputs ${names}`);
      run.outputs.forEach((ref, i) => {
        const got = outputs[i].getData();
        const want = readNpy(join(dir, ref.npy)).bytes;
        if (!Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(want)) {
          throw new Error(`${label} ${name} batch ${run.batch}: ${ref.npy} differs from the mindspore_lite reference`);
        }
        compared++;
      });
      m.dispose();
    }
  }
  console.log(`${label}: ${compared} MindSpore fixture outputs bit-identical to the mindspore_lite references`);
}

module.exports = { check };

if (require.main === module) {
  if (!process.argv[2]) throw new Error('usage: node check-mindspore.cjs <fixture dir>');
  check(require('@lite/mindspore'), process.argv[2], 'CJS');
}
