// Shared by the ESM and CJS consumers (check.mjs / check.cjs): loads shufflenet.mge through the
// packed @lite/core they imported their own way and compares the output with the references.
const { join } = require('node:path');
const { readNpy } = require('./npy.cjs');

function readNpyF32(path) {
  const { descr, bytes } = readNpy(path);
  if (descr !== '<f4') throw new Error(`${path}: expected float32`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function check(lite, dir, label) {
  const net = new lite.LiteNetwork();
  net.load(join(dir, 'shufflenet.mge'));
  net.getIoTensor('data', lite.LiteTensorPhase.LITE_INPUT).setDataByCopy(readNpyF32(join(dir, 'shufflenet_input.npy')));
  net.forward();
  net.wait();
  const out = net.getIoTensor('prob', lite.LiteTensorPhase.LITE_OUTPUT).toTypedArray();
  const dLite = maxAbsDiff(out, readNpyF32(join(dir, 'shufflenet_lite_output.npy')));
  const dRef = maxAbsDiff(out, readNpyF32(join(dir, 'shufflenet_output.npy')));
  net.dispose();
  // Same runtime and options as Python megenginelite: bit-identical. megengine's imperative
  // reference differs by float32 rounding only (1e-5 on softmax probabilities).
  if (dLite !== 0 || !(dRef < 1e-5)) {
    console.error(`${label}: shufflenet mismatch: max|d| vs megenginelite ${dLite}, vs megengine ${dRef}`);
    process.exit(1);
  }
  console.log(`${label} ok: runtime ${lite.version()}, max|d| vs megenginelite ${dLite}, vs megengine ${dRef.toExponential(2)}`);
}

module.exports = { check };
