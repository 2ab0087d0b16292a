// Reads a little-endian .npy file (versions 1-3): its dtype descriptor, shape and raw bytes.
// Shared by the packaging-test consumers (check-shufflenet.cjs, fixture-digest.cjs).
const { readFileSync } = require('node:fs');

function readNpy(path) {
  const file = readFileSync(path);
  const major = file[6];
  const headerLen = major === 1 ? file.readUInt16LE(8) : file.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = file.toString('latin1', start - headerLen, start);
  const descr = /'descr': '([^']+)'/.exec(header)?.[1] ?? '';
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').filter((s) => s.trim()).map(Number);
  return { descr, shape, bytes: file.subarray(start) };
}

module.exports = { readNpy };
