// ESM consumer of the packed @lite/core, run inside a fresh npm project by tools/pack-test/run.sh.
// Usage: node check.mjs <dir with shufflenet.mge, shufflenet_input.npy, shufflenet_lite_output.npy, shufflenet_output.npy>
import * as lite from '@lite/core';
import shared from './check-shufflenet.cjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node check.mjs <fixture dir>');
shared.check(lite, dir, 'ESM');
