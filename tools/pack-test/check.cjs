// CJS consumer of the packed @lite/core, run inside a fresh npm project by tools/pack-test/run.sh.
// Usage: node check.cjs <dir with shufflenet.mge, shufflenet_input.npy, shufflenet_lite_output.npy, shufflenet_output.npy>
const lite = require('@lite/core');
const { check } = require('./check-shufflenet.cjs');

const dir = process.argv[2];
if (!dir) throw new Error('usage: node check.cjs <fixture dir>');
check(lite, dir, 'CJS');
