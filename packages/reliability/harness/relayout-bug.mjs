// Deterministic check of the relayout bug (see test/api-fuzz.test.ts): relayouts of a slice that
// the engine refuses must leave the slice's layout unchanged. Touches no memory after the failure
// (only reads nbytes), so it never corrupts the heap; prints one JSON line.
import { LiteLayout, LiteLogLevel, LiteTensor, setLogLevel } from '@lite/core';

setLogLevel(LiteLogLevel.ERROR);
const threw = [];
const fresh = () => {
  const p = new LiteTensor(new LiteLayout([4, 4], 'float32'));
  p.fillZero();
  return p.slice([0, 0], [2, 1]);
};
const attempt = (fn) => {
  try {
    fn();
    threw.push('none');
  } catch (e) {
    threw.push(e?.code ?? String(e));
  }
};
const before = fresh().nbytes;
const a = fresh();
attempt(() => {
  a.layout = new LiteLayout([64, 64], 'float32');
});
const b = fresh();
const big = new LiteTensor(new LiteLayout([64, 64], 'float32'));
big.fillZero();
attempt(() => b.copyFrom(big));
const c = fresh();
attempt(() => c.setDataByCopy(new Float32Array(4096), { layout: [4096] }));
process.stdout.write(`${JSON.stringify({ before, afterLayout: a.nbytes, afterCopyFrom: b.nbytes, afterSetData: c.nbytes, threw })}\n`);
