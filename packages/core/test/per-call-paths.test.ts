// The per-call paths (layout, toTypedArray, getDataByShare, setDataByShare) make one native call
// each: the binding checks "busy", device and contiguity itself and writes numbers into a
// preallocated array. These tests pin the behaviour those single calls must keep.
import { describe, expect, it } from 'vitest';
import { fixture, manifest, readNpy, liteReference } from '@lite/testing';
import { LiteLayout, LiteNetwork, LiteTensor } from '../src/index.js';
import { expectCode } from './helpers.js';

const m = manifest().models.shufflenet!;
const input = readNpy(fixture(m.inputs[0]!.npy!)).data as Float32Array;
const lite = readNpy(liteReference(m.outputs[0]!.lite_npy!)).data as Float32Array;

describe('per-call paths', () => {
  it('a network tensor (and its slice) refuses every call with LITE_BUSY while an async call holds the network, and works after', async () => {
    const net = new LiteNetwork();
    net.load(fixture(m.file));
    const data = net.getIoTensor('data');
    const prob = net.getIoTensor('prob');
    data.setDataByCopy(input);
    const head = data.slice([0], [1]);
    const pending = net.forwardAsync();
    const calls: [string, () => unknown][] = [
      ['layout', () => prob.layout],
      ['toTypedArray', () => prob.toTypedArray()],
      ['getDataByShare', () => prob.getDataByShare()],
      ['setDataByCopy', () => data.setDataByCopy(input)],
      ['setDataByShare', () => data.setDataByShare(new Float32Array(input))],
      ['slice.layout', () => head.layout],
      ['nbytes', () => prob.nbytes],
    ];
    for (const [what, call] of calls) {
      const e = expectCode(call, 'LITE_BUSY');
      expect(e.message, what).toBe('the network owning this tensor has an asynchronous call queued or running; await it first');
    }
    await pending;
    // the refused calls changed nothing: the run used the input set before it
    const out = prob.toTypedArray() as Float32Array;
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(lite.length);
    expect(Math.max(...out.map((v, i) => Math.abs(v - (lite[i] as number))))).toBe(0);
    expect(head.layout.shapes).toEqual([1, 3, 224, 224]);
    net.dispose();
  });

  it('toTypedArray returns the array type of each dtype (float16 as raw halves) with the data', () => {
    const cases: [string, ArrayLike<number>, unknown][] = [
      ['int8', Int8Array.of(-3, 0, 5), Int8Array],
      ['uint8', Uint8Array.of(1, 200, 255), Uint8Array],
      ['int16', Int16Array.of(-300, 7, 30000), Int16Array],
      ['uint16', Uint16Array.of(1, 60000, 3), Uint16Array],
      ['int32', Int32Array.of(-70000, 1, 2 ** 30), Int32Array],
      ['float32', Float32Array.of(0.5, -1.25, 3e38), Float32Array],
      ['float16', Uint16Array.of(0x3c00, 0xc000, 0x7bff), Uint16Array],
    ];
    for (const [dtype, values, Ctor] of cases) {
      const t = new LiteTensor(new LiteLayout([3], dtype as 'int8'));
      t.setDataByCopy(values as Int8Array);
      const got = t.toTypedArray();
      expect(got, dtype).toBeInstanceOf(Ctor);
      expect(Array.from(got as ArrayLike<number>), dtype).toEqual(Array.from(values));
      t.dispose();
    }
  });

  it('toTypedArray above 64 MiB (memory allocated outside V8 first) is a correct copy', () => {
    const count = 20 * 1024 * 1024; // 80 MiB of float32
    const t = new LiteTensor(new LiteLayout([count], 'float32'));
    const src = new Float32Array(count);
    for (let i = 0; i < count; i += 4099) src[i] = i % 65521; // exact in float32
    src[count - 1] = -7;
    t.setDataByCopy(src);
    const got = t.toTypedArray() as Float32Array;
    expect(got.length).toBe(count);
    for (let i = 0; i < count; i += 4099) expect(got[i]).toBe(i % 65521);
    expect(got[count - 1]).toBe(-7);
    // a copy: writing it does not reach the tensor
    got[0] = 99;
    expect((t.toTypedArray() as Float32Array)[0]).toBe(0);
    t.dispose();
  });

  it('layout reads the current shape and dtype after every relayout', () => {
    const t = new LiteTensor(new LiteLayout([2, 3], 'int16'));
    expect(t.layout.shapes).toEqual([2, 3]);
    expect(t.layout.dtype).toBe('int16');
    t.layout = [1, 2, 3, 4, 5, 6];
    expect(t.layout.shapes).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.layout.dtype).toBe('int16');
    t.layout = new LiteLayout([7], 'float32');
    expect(t.layout.toString()).toBe('LiteLayout([7], float32)');
    const empty = new LiteTensor();
    expect(empty.layout.ndim).toBe(0);
  });

  it('getDataByShare of shared memory is a view into the caller buffer; re-sharing one buffer keeps working', () => {
    const t = new LiteTensor(new LiteLayout([4], 'float32'));
    const mem = Float32Array.of(1, 2, 3, 4);
    for (let i = 0; i < 3; i++) t.setDataByShare(mem);
    const view = t.getDataByShare() as Float32Array;
    expect(view.buffer).toBe(mem.buffer);
    view[2] = 42;
    expect(mem[2]).toBe(42);
    expect(Array.from(t.toTypedArray())).toEqual([1, 2, 42, 4]);
    // engine memory: one external buffer per block, the same one for two calls
    const own = new LiteTensor(new LiteLayout([4], 'int32'));
    own.setDataByCopy(Int32Array.of(5, 6, 7, 8));
    const a = own.getDataByShare();
    const b = own.getDataByShare();
    expect(a.buffer).toBe(b.buffer);
    expect(Array.from(a)).toEqual([5, 6, 7, 8]);
  });

  it('getDataByShare refuses a non-contiguous slice with the same one-line error', () => {
    const t = new LiteTensor(new LiteLayout([4, 4], 'float32'));
    t.fillZero();
    const s = t.slice([0, 0], [4, 2]);
    const e = expectCode(() => s.getDataByShare(), 'LITE_INVALID_ARGUMENT');
    expect(e.message).toBe('getDataByShare needs a contiguous tensor; use toTypedArray() for a copy of a slice');
  });
});

describe('pool threads yield to the JS thread', () => {
  it.runIf(process.platform === 'linux')('a pool member runs 5 nice levels below the JS thread; a lone network keeps its priority', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const niceOf = (stat: string): number => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const own = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
    const networkThreads = (): number[] =>
      readdirSync('/proc/self/task')
        .map((tid) => {
          try {
            return readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          } catch {
            return ''; // the thread ended meanwhile
          }
        })
        .filter((stat) => stat.includes('(lite-network)'))
        .map(niceOf);
    const lone = new LiteNetwork();
    lone.load(fixture(m.file));
    lone.getIoTensor('data').setDataByCopy(input);
    await lone.forwardAsync(); // its thread exists from its first async call
    expect(networkThreads().length).toBeGreaterThanOrEqual(1);
    expect(networkThreads().every((n) => n === own)).toBe(true);
    const { LiteNetworkPool } = await import('../src/index.js');
    const pool = await LiteNetworkPool.create(fixture(m.file), { size: 1 });
    for (let i = 0; i < 3; i++) for (const t of Object.values(await pool.predict({ data: input }))) t.dispose();
    const nices = networkThreads();
    expect(nices.filter((n) => n === Math.min(19, own + 5)).length).toBe(1);
    expect(nices.filter((n) => n === own).length).toBeGreaterThanOrEqual(1); // the lone network's
    expect(niceOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(own);
    await pool.dispose();
    lone.dispose();
  });

  it('setDataByShare in one native call shares every array kind the checking path accepts, and falls back to it otherwise', () => {
    // Shared: later writes to the caller's memory show in the tensor (the same memory).
    const shared: [string, string, (t: LiteTensor) => ArrayBufferView | ArrayBuffer, (mem: ArrayBufferView | ArrayBuffer) => void][] = [
      ['Float32Array on float32', 'float32', () => Float32Array.of(1, 2, 3, 4), (a) => ((a as Float32Array)[0] = 9)],
      ['ArrayBuffer on int32', 'int32', () => Int32Array.of(1, 2, 3, 4).buffer, (a) => (new Int32Array(a as ArrayBuffer)[0] = 9)],
      ['Uint16Array on float16 (raw halves)', 'float16', () => Uint16Array.of(0x3c00, 0x4000, 0x4200, 0x4400), (a) => ((a as Uint16Array)[0] = 0x4880)],
      ['Buffer at an 8-aligned offset on float32', 'float32', () => Buffer.from(new Uint8Array(new Float32Array([0, 0, 1, 2, 3, 4]).buffer)).subarray(8), (a) => new DataView((a as Buffer).buffer, (a as Buffer).byteOffset).setFloat32(0, 9, true)],
      ['Uint8Array at a 4-aligned offset on float32 (checking path)', 'float32', () => new Uint8Array(new Float32Array([0, 1, 2, 3, 4]).buffer, 4, 16), (a) => new DataView((a as Uint8Array).buffer, (a as Uint8Array).byteOffset).setFloat32(0, 9, true)],
    ];
    for (const [what, dtype, make, write] of shared) {
      const t = new LiteTensor(new LiteLayout([4], dtype as 'float32'));
      const mem = make(t);
      t.setDataByShare(mem as Float32Array);
      const before = Array.from(t.toTypedArray() as ArrayLike<number>);
      write(mem as ArrayBufferView);
      const after = Array.from(t.toTypedArray() as ArrayLike<number>);
      expect(after, what).not.toEqual(before);
      expect(after.slice(1), what).toEqual(before.slice(1));
    }
    // Refused (dtype or size mismatch): the tensor keeps its memory and contents.
    const t = new LiteTensor(new LiteLayout([4], 'float32'));
    const own = Float32Array.of(5, 6, 7, 8);
    t.setDataByShare(own);
    expectCode(() => t.setDataByShare(Int32Array.of(1, 2, 3, 4)), 'LITE_INVALID_ARGUMENT');
    expectCode(() => t.setDataByShare(new Uint8Array(new ArrayBuffer(20), 3, 16)), 'LITE_INVALID_ARGUMENT');
    own[3] = 80;
    expect(Array.from(t.toTypedArray() as Float32Array)).toEqual([5, 6, 7, 80]);
    // A Float32Array of another length relayouts the tensor (the checking path's rule).
    t.setDataByShare(Float32Array.of(1, 2));
    expect(t.layout.shapes).toEqual([2]);
  });
});
