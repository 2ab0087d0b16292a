// Worker: load the model and run forwardAsync in this worker's own JS thread; post the output.
import { parentPort, workerData } from 'node:worker_threads';
import { LiteNetwork } from '@lite/core';

const net = new LiteNetwork();
await net.loadAsync(workerData.model);
let finishCalls = 0;
net.setFinishCallback(() => finishCalls++);
net.getIoTensor('data').setDataByCopy(new Float32Array(workerData.input));
const t0 = performance.now();
for (let i = 0; i < workerData.runs; i++) await net.forwardAsync();
const ms = performance.now() - t0;
net.forward();
net.wait();
const out = net.getIoTensor('prob').toTypedArray();
parentPort.postMessage({ out: Array.from(out), ms, finishCalls });
net.dispose();
