// ESM consumer of the packed @lite/mindspore, run inside a fresh npm project by tools/pack-test/run.sh.
// Usage: node check-mindspore.mjs <fixture dir (fixtures/mindspore)>
import * as ms from '@lite/mindspore';
import shared from './check-mindspore.cjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node check-mindspore.mjs <fixture dir>');
shared.check(ms, dir, 'ESM');
