import { LiteTensor, LiteLayout } from '@lite/core';
const t0 = new LiteTensor(new LiteLayout([5, 5, 2], 'int8'));
t0.fillZero();
t0.layout = new LiteLayout([3], 'int32');
t0.layout = new LiteLayout([4, 1, 2], 'int16');
const t16 = t0.slice([0, 0, 0], [3, 1, 2], [2, 2, 1]);
console.log(t16.layout.shapes, t16.nbytes, t16.isContinue);
for (let i = 0; i < 3; i++) t16.fillZero();
console.log('ok');
