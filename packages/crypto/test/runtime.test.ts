// @lite/crypto against the real runtime: JS decryptors, the built-in decryptors with keys,
// packed models. Outputs are compared with megenginelite's own output for the plain model
// (manifest lite_npy) with tolerance 0: decryption must hand the runtime the exact model, and
// the same runtime with the same options is deterministic on CPU.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { LiteConfig, LiteError, LiteNetwork, LiteNetworkPool } from '@lite/core';
import { describe, expect, it } from 'vitest';

import {
  LiteCryptoError,
  defaultKey,
  encryptModel,
  maxDecryptionMethods,
  packModel,
  rc4Key,
  registerDecryptionAndKey,
  unpackModel,
  updateDecryptionKey,
  type LiteModelInfo,
} from '../src/index.js';
import { AES_FIXTURE, AES_REFERENCE, FIXTURES, INPUT, PLAIN_MODEL, REFERENCE, config, infer, loadAndRun, maxAbsDiff } from './runtime-helpers.js';

const AES_RIGHT = Uint8Array.from({ length: 32 }, (_, i) => i);
const AES_WRONG = new Array<number>(32).fill(0);

function expectLiteError(fn: () => unknown, code: string, re?: RegExp): LiteError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LiteError);
  const e = caught as LiteError;
  expect(e.code).toBe(code);
  if (re) expect(e.message).toMatch(re);
  return e;
}

async function expectLiteRejection(p: Promise<unknown>, code: string, re?: RegExp): Promise<LiteError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LiteError);
  expect((e as LiteError).code).toBe(code);
  if (re) expect((e as LiteError).message).toMatch(re);
  return e as LiteError;
}

describe('registerDecryptionAndKey: the documented XOR example', () => {
  // megenginelite docs: out[i] = in[i] ^ key[0] ^ key[0] (the identity), key [15], name just_for_test.
  let calls = 0;
  const seenKeys: number[][] = [];
  registerDecryptionAndKey(
    'just_for_test',
    (input, key) => {
      calls++;
      seenKeys.push([...key]);
      const out = new Uint8Array(input.length);
      for (let i = 0; i < input.length; i++) out[i] = input[i]! ^ key[0]! ^ key[0]!;
      return out;
    },
    [15],
  );

  it('load (JS thread) gives the reference output, calling the decryptor once', async () => {
    calls = 0;
    const out = await loadAndRun(PLAIN_MODEL, config('just_for_test'));
    expect(maxAbsDiff(out, REFERENCE)).toBe(0);
    expect(calls).toBe(1);
    expect(seenKeys.at(-1)).toEqual([15]);
  });

  it('loadAsync (decrypted on the JS thread, loaded on the network’s) gives the reference output, once per load', async () => {
    calls = 0;
    const out = await loadAndRun(PLAIN_MODEL, config('just_for_test'), 'async');
    expect(maxAbsDiff(out, REFERENCE)).toBe(0);
    expect(calls).toBe(1);
  });

  it('four concurrent loadAsync calls all complete (no deadlock) and the event loop keeps running', async () => {
    calls = 0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const outs = await Promise.all([0, 1, 2, 3].map(() => loadAndRun(PLAIN_MODEL, config('just_for_test'), 'async')));
      for (const o of outs) expect(maxAbsDiff(o, REFERENCE)).toBe(0);
    } finally {
      clearInterval(timer);
    }
    expect(calls).toBe(4);
    expect(ticks).toBeGreaterThan(0);
  });

  it('a path load goes through the decryptor too', async () => {
    calls = 0;
    const { FIXTURES } = await import('./runtime-helpers.js');
    const out = await loadAndRun(`${FIXTURES}shufflenet.mge`, config('just_for_test'));
    expect(maxAbsDiff(out, REFERENCE)).toBe(0);
    expect(calls).toBe(1);
  });

  it('updateDecryptionKey reaches a JS decryptor', async () => {
    updateDecryptionKey('just_for_test', [3, 4]);
    const out = await loadAndRun(PLAIN_MODEL, config('just_for_test'));
    expect(maxAbsDiff(out, REFERENCE)).toBe(0);
    expect(seenKeys.at(-1)).toEqual([3, 4]);
    updateDecryptionKey('just_for_test', [15]);
  });

  it('registering the same name twice is rejected', () => {
    expectLiteError(() => registerDecryptionAndKey('just_for_test', (i) => i, [1]), 'LITE_INVALID_ARGUMENT', /already registered/);
  });
});

describe('a real custom cipher: AES-256-GCM in JS', () => {
  // Layout chosen here: nonce (12) ‖ ciphertext ‖ tag (16); the key goes through the runtime.
  const key = randomBytes(32);
  function seal(plain: Uint8Array): Uint8Array {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  }
  registerDecryptionAndKey(
    'js_aes_gcm',
    (input, k) => {
      const d = createDecipheriv('aes-256-gcm', k, input.subarray(0, 12));
      d.setAuthTag(input.subarray(input.length - 16));
      return Buffer.concat([d.update(input.subarray(12, input.length - 16)), d.final()]);
    },
    key,
  );
  const sealed = seal(PLAIN_MODEL);

  it('sync load runs and matches the reference', async () => {
    expect(maxAbsDiff(await loadAndRun(sealed, config('js_aes_gcm')), REFERENCE)).toBe(0);
  });

  it('async load runs and matches the reference', async () => {
    expect(maxAbsDiff(await loadAndRun(sealed, config('js_aes_gcm'), 'async'), REFERENCE)).toBe(0);
  });

  it('a tampered model fails the GCM tag: the load fails with the decryptor’s reason, sync and async', async () => {
    const bad = new Uint8Array(sealed);
    bad[1000] = bad[1000]! ^ 1;
    const e = expectLiteError(() => new LiteNetwork(config('js_aes_gcm')).load(bad), 'LITE_DECRYPTION_FAILED', /model decryption failed: .*"js_aes_gcm" threw: Unsupported state or unable to authenticate data/);
    expect(e.message).not.toContain(key.toString('hex'));
    await expectLiteRejection(new LiteNetwork(config('js_aes_gcm')).loadAsync(bad), 'LITE_DECRYPTION_FAILED', /"js_aes_gcm" threw/);
  });
});

describe('decryptors that misbehave make the load fail cleanly', () => {
  const cases: [string, (input: Uint8Array, key: Uint8Array) => Uint8Array, RegExp][] = [
    ['bad_throws', () => { throw new Error('no license'); }, /"bad_throws" threw: no license/],
    ['bad_throws_string', () => { throw 'plain string'; }, /"bad_throws_string" threw: plain string/],
    ['bad_empty', () => new Uint8Array(0), /"bad_empty" returned an empty Uint8Array/],
    ['bad_undefined', (() => undefined) as unknown as (i: Uint8Array) => Uint8Array, /"bad_undefined" did not return a Uint8Array/],
    ['bad_array', ((i: Uint8Array) => Array.from(i)) as unknown as (i: Uint8Array) => Uint8Array, /"bad_array" did not return a Uint8Array/],
    ['bad_f32', ((i: Uint8Array) => new Float32Array(i.length)) as unknown as (i: Uint8Array) => Uint8Array, /"bad_f32" did not return a Uint8Array/],
  ];
  for (const [name, fn, re] of cases) {
    let calls = 0;
    registerDecryptionAndKey(name, (i, k) => { calls++; return fn(i, k); }, [7]);
    it(`${name}: LiteError sync and async, decryptor run once per load, the network is usable after`, async () => {
      calls = 0;
      expectLiteError(() => new LiteNetwork(config(name)).load(PLAIN_MODEL), 'LITE_DECRYPTION_FAILED', re);
      expect(calls).toBe(1);
      await expectLiteRejection(new LiteNetwork(config(name)).loadAsync(PLAIN_MODEL), 'LITE_DECRYPTION_FAILED', re);
      expect(calls).toBe(2);
      // nothing left behind: a plain load afterwards is unaffected and reports no stale failure
      expect(maxAbsDiff(await loadAndRun(PLAIN_MODEL, config()), REFERENCE)).toBe(0);
    });
  }

  it('a decryptor returning garbage: LITE_DECRYPTION_FAILED naming the method; the engine’s own text on engineMessage', () => {
    registerDecryptionAndKey('bad_garbage', (i) => i.map((b) => b ^ 0x5a), [1]);
    const e = expectLiteError(() => new LiteNetwork(config('bad_garbage')).load(PLAIN_MODEL), 'LITE_DECRYPTION_FAILED', /could not be decrypted with "bad_garbage"/);
    expect(e.engineMessage).toMatch(/invalid model format/);
  });
});

describe('loadAsync with a JS decryptor: the decryptor runs on the JS thread before the load is queued', () => {
  // A real XOR cipher (not the identity), so that a model loaded without its decryptor fails.
  const KEY = [0x3c, 0xa5, 0x19];
  const xor = (input: Uint8Array, key: Uint8Array): Uint8Array => input.map((b, i) => b ^ key[i % key.length]!);
  const ENCRYPTED = xor(PLAIN_MODEL, Uint8Array.from(KEY));
  const MLP = new Uint8Array(readFileSync(`${FIXTURES}mlp.mge`));
  let calls = 0;
  const seen: { input: Uint8Array; key: Uint8Array }[] = [];
  registerDecryptionAndKey(
    'nowait_xor',
    (input, key) => {
      calls++;
      seen.push({ input: new Uint8Array(input), key: new Uint8Array(key) });
      return xor(input, key);
    },
    KEY,
  );
  let failing = false;
  registerDecryptionAndKey(
    'nowait_flaky',
    (input, key) => {
      if (failing) throw new Error('the license server is down');
      return xor(input, key);
    },
    KEY,
  );

  const dir = mkdtempSync(join(tmpdir(), 'lite-js-decrypt-'));
  const ENCRYPTED_FILE = join(dir, 'shufflenet.xor.mge');
  writeFileSync(ENCRYPTED_FILE, ENCRYPTED);

  const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

  /** Whether the network is free (nothing queued or running on it): a synchronous call is then allowed. */
  function idle(net: LiteNetwork): boolean {
    try {
      void net.threadsNumber;
      return true;
    } catch (e) {
      if (e instanceof LiteError && e.code === 'LITE_BUSY') return false;
      throw e;
    }
  }

  it('the network’s thread never waits for the JS thread: with the JS thread blocked after loadAsync, both loads finish', async () => {
    // Before, each network's thread called the decryptor through the JS thread from inside the
    // engine's load (holding the engine's decryption lock) and waited there until this thread was
    // free: blocked here, neither load could ever finish.
    const nets = [new LiteNetwork(config('nowait_xor')), new LiteNetwork(config('nowait_xor'))];
    try {
      calls = 0;
      const loads = nets.map((n) => n.loadAsync(ENCRYPTED));
      const until = Date.now() + 20_000;
      while (!nets.every(idle) && Date.now() < until) {
        // busy: no timer, promise or call from another thread runs on this thread meanwhile
      }
      const finishedWhileBlocked = nets.every(idle);
      const callsWhileBlocked = calls;
      await Promise.all(loads);
      expect(finishedWhileBlocked).toBe(true);
      expect(callsWhileBlocked).toBe(2); // inside the loadAsync calls
      for (const n of nets) expect(maxAbsDiff(await infer(n), REFERENCE)).toBe(0);
    } finally {
      for (const n of nets) n.dispose();
    }
  }, 60_000);

  it('the decryptor gets the same arguments as from the engine (load), once per load, and the outputs are the same', async () => {
    for (const model of [ENCRYPTED, ENCRYPTED_FILE]) {
      calls = 0;
      seen.length = 0;
      const sync = await loadAndRun(model, config('nowait_xor'));
      const async = await loadAndRun(model, config('nowait_xor'), 'async');
      expect(calls).toBe(2);
      expect(sameBytes(seen[1]!.input, seen[0]!.input)).toBe(true);
      expect(sameBytes(seen[1]!.input, ENCRYPTED)).toBe(true);
      expect([...seen[1]!.key]).toEqual([...seen[0]!.key]);
      expect([...seen[1]!.key]).toEqual(KEY);
      expect(maxAbsDiff(async, sync)).toBe(0);
      expect(maxAbsDiff(async, REFERENCE)).toBe(0);
    }
    // A key changed with updateDecryptionKey reaches the decryptor before an async load too.
    updateDecryptionKey('nowait_xor', [7, 7]);
    try {
      seen.length = 0;
      await expectLiteRejection(new LiteNetwork(config('nowait_xor')).loadAsync(ENCRYPTED), 'LITE_DECRYPTION_FAILED', /could not be decrypted with "nowait_xor"/);
      expect([...seen[0]!.key]).toEqual([7, 7]);
      expect(maxAbsDiff(await loadAndRun(xor(PLAIN_MODEL, Uint8Array.from([7, 7])), config('nowait_xor'), 'async'), REFERENCE)).toBe(0);
    } finally {
      updateDecryptionKey('nowait_xor', KEY);
    }
  });

  it('a decryptor that throws: loadAsync rejects with LITE_DECRYPTION_FAILED as load does; the same network loads afterwards', async () => {
    for (const model of [ENCRYPTED, ENCRYPTED_FILE]) {
      const net = new LiteNetwork(config('nowait_flaky'));
      try {
        failing = true;
        const syncError = expectLiteError(() => net.load(model), 'LITE_DECRYPTION_FAILED', /^model decryption failed: the decryption function registered as "nowait_flaky" threw: the license server is down/);
        const asyncError = await expectLiteRejection(net.loadAsync(model), 'LITE_DECRYPTION_FAILED');
        expect(asyncError.message).toBe(syncError.message);
        expect(asyncError.message).not.toContain(KEY.join(','));
        expect(() => net.getAllInputName()).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
        failing = false;
        await net.loadAsync(model);
        expect(maxAbsDiff(await infer(net), REFERENCE)).toBe(0);
      } finally {
        failing = false;
        net.dispose();
      }
    }
  });

  it('dispose() during loadAsync (bytes, and a file still being read): the load settles, then the network is released', async () => {
    for (const model of [ENCRYPTED, ENCRYPTED_FILE]) {
      const net = new LiteNetwork(config('nowait_xor'));
      const load = net.loadAsync(model);
      net.dispose();
      await load; // a call made before dispose() finishes, as documented for every async call
      expect(() => net.getAllInputName()).toThrow(expect.objectContaining({ code: 'LITE_DISPOSED' }));
      await expectLiteRejection(net.loadAsync(model), 'LITE_DISPOSED');
    }
  });

  it('loads of files and bytes run in call order, and the network is busy while they are queued', async () => {
    const net = new LiteNetwork(config('nowait_xor'));
    try {
      calls = 0;
      const first = net.loadAsync(ENCRYPTED_FILE); // read and decrypted in the call, then queued
      expect(() => net.load(ENCRYPTED)).toThrow(expect.objectContaining({ code: 'LITE_BUSY' }));
      const second = net.loadAsync(xor(MLP, Uint8Array.from(KEY))); // decrypted in the call, queued after the first
      await Promise.all([first, second]);
      expect(calls).toBe(2);
      expect(net.outputNames).toEqual(['logits']); // the last load wins, as its call came last
    } finally {
      net.dispose();
    }
  });

  it('LiteNetwork.create and LiteNetworkPool.create load through it too', async () => {
    calls = 0;
    const net = await LiteNetwork.create(ENCRYPTED_FILE, { config: config('nowait_xor') });
    try {
      expect(maxAbsDiff(await infer(net), REFERENCE)).toBe(0);
    } finally {
      net.dispose();
    }
    const pool = await LiteNetworkPool.create(ENCRYPTED, { size: 2, config: config('nowait_xor') });
    try {
      const outs = await Promise.all([0, 1, 2].map(() => pool.predict<'prob'>({ data: INPUT })));
      for (const o of outs) expect(maxAbsDiff(o.prob.toTypedArray() as Float32Array, REFERENCE)).toBe(0);
    } finally {
      await pool.dispose();
    }
    expect(calls).toBe(2); // once per load: the pool's other network shares the weights
  });

  it('a packed model with JS-encrypted info and model: loadAsync decrypts both parts as the engine would, sync and async agree', async () => {
    const info: LiteModelInfo = {
      name: 'shufflenet',
      valid: true,
      version: '1.13.0',
      device: { type: 'CPU', number_threads: 2 },
      IO: { inputs: [{ name: 'data', is_host: true, dtype: 'float32', shape: { dim0: 1, dim1: 3, dim2: 224, dim3: 224 } }], outputs: [{ name: 'prob', is_host: true }] },
    };
    const infoBytes = new TextEncoder().encode(JSON.stringify(info));
    const both = packModel({
      model: ENCRYPTED,
      info: xor(infoBytes, Uint8Array.from(KEY)),
      name: 'shufflenet',
      modelCryption: { method: 'nowait_xor', preEncrypted: true },
      infoCryption: { method: 'nowait_xor', preEncrypted: true },
    });
    const jsInfoAesModel = packModel({
      model: PLAIN_MODEL,
      info: xor(infoBytes, Uint8Array.from(KEY)),
      name: 'shufflenet',
      modelCryption: { method: 'AES_default', key: AES_RIGHT },
      infoCryption: { method: 'nowait_xor', preEncrypted: true },
    });
    const file = join(dir, 'both.lite');
    writeFileSync(file, both);
    updateDecryptionKey('AES_default', AES_RIGHT);
    for (const packed of [both, file, jsInfoAesModel]) {
      for (const mode of ['sync', 'async'] as const) {
        calls = 0;
        seen.length = 0;
        const net = new LiteNetwork(new LiteConfig());
        try {
          if (mode === 'sync') net.load(packed);
          else await net.loadAsync(packed);
          expect(net.threadsNumber).toBe(2); // the decrypted info applied
          expect(maxAbsDiff(await infer(net), REFERENCE)).toBe(0);
        } finally {
          net.dispose();
        }
        // The engine's order: the info first, then the model.
        expect(seen.map((c) => c.input.length)).toEqual(packed === jsInfoAesModel ? [infoBytes.length] : [infoBytes.length, ENCRYPTED.length]);
      }
    }
  });

  it('a JS decryptor of another thread (a worker) is refused with LITE_UNSUPPORTED, never waited for', async () => {
    const crypto = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));
    const worker = new Worker(
      `const { registerDecryptionAndKey } = require(${JSON.stringify(crypto)});
       registerDecryptionAndKey('worker_xor', (input) => input.slice(), [1]);`,
      { eval: true },
    );
    await new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    const re = /"worker_xor" is a JavaScript function registered on another thread/;
    expectLiteError(() => new LiteNetwork(config('worker_xor')).load(PLAIN_MODEL), 'LITE_UNSUPPORTED', re);
    await expectLiteRejection(new LiteNetwork(config('worker_xor')).loadAsync(PLAIN_MODEL), 'LITE_UNSUPPORTED', re);
    const packed = packModel({ model: PLAIN_MODEL, modelCryption: { method: 'worker_xor', preEncrypted: true } });
    await expectLiteRejection(new LiteNetwork().loadAsync(packed), 'LITE_UNSUPPORTED', re);
    expectLiteError(() => registerDecryptionAndKey('worker_xor', (i) => i, [1]), 'LITE_INVALID_ARGUMENT', /already registered/);
  });

  it('cleans up', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('registerDecryptionAndKey / updateDecryptionKey: bad arguments never reach C', () => {
  it('rejects empty names, non-functions, empty or non-byte keys, and built-in names', () => {
    const id = (i: Uint8Array): Uint8Array => i;
    expectLiteError(() => registerDecryptionAndKey('', id, [1]), 'LITE_INVALID_ARGUMENT', /name/);
    expectLiteError(() => registerDecryptionAndKey('x\0y', id, [1]), 'LITE_INVALID_ARGUMENT', /NUL/);
    expectLiteError(() => registerDecryptionAndKey('k_empty', id, []), 'LITE_INVALID_ARGUMENT', /must not be empty/);
    expectLiteError(() => registerDecryptionAndKey('k_empty2', id, new Uint8Array(0)), 'LITE_INVALID_ARGUMENT', /must not be empty/);
    expectLiteError(() => registerDecryptionAndKey('k_bad', id, [1, 256]), 'LITE_INVALID_ARGUMENT', /element 1/);
    expectLiteError(() => registerDecryptionAndKey('k_bad2', id, 'secret' as unknown as number[]), 'LITE_INVALID_ARGUMENT', /Uint8Array or an array/);
    expectLiteError(() => registerDecryptionAndKey('k_fn', 42 as unknown as typeof id, [1]), 'LITE_INVALID_ARGUMENT', /function/);
    expectLiteError(() => registerDecryptionAndKey('AES_default', id, AES_RIGHT), 'LITE_INVALID_ARGUMENT', /built-in/);
  });

  it('checks built-in key lengths, and messages never show key bytes', () => {
    const e = expectLiteError(() => updateDecryptionKey('AES_default', new Array<number>(31).fill(0xab)), 'LITE_INVALID_ARGUMENT', /exactly 32 bytes.*got 31/);
    expect(e.message).not.toMatch(/171|ab,|0xab/);
    expectLiteError(() => updateDecryptionKey('AES_default', new Uint8Array(33)), 'LITE_INVALID_ARGUMENT', /got 33/);
    expectLiteError(() => updateDecryptionKey('RC4_default', new Uint8Array(15)), 'LITE_INVALID_ARGUMENT', /at least 16 bytes/);
    expectLiteError(() => updateDecryptionKey('SIMPLE_FAST_RC4_default', [1]), 'LITE_INVALID_ARGUMENT', /at least 16 bytes/);
    expectLiteError(() => updateDecryptionKey('RC4_default', []), 'LITE_INVALID_ARGUMENT', /must not be empty/);
    expectLiteError(() => updateDecryptionKey('', [1]), 'LITE_INVALID_ARGUMENT', /name/);
  });

  it('an unknown method name is an engine error', () => {
    expectLiteError(() => updateDecryptionKey('no_such_method', [1, 2, 3]), 'LITE_ERROR');
  });

  it('loading with an unknown method name fails cleanly', () => {
    expectLiteError(() => new LiteNetwork(config('no_such_method')).load(PLAIN_MODEL), 'LITE_INVALID_ARGUMENT', /"no_such_method" is not registered/);
  });

  it('reports the table size', () => {
    expect(maxDecryptionMethods()).toBe(16);
  });
});

describe('AES_default', () => {
  const ours = encryptModel(PLAIN_MODEL, { method: 'AES_default', key: AES_RIGHT });

  for (const [label, model, ref] of [
    ['the Python-made fixture', AES_FIXTURE, AES_REFERENCE],
    ['a model made by encryptModel', ours, REFERENCE],
  ] as const) {
    it(`${label}: the wrong key fails with a LiteError, the right key loads and matches`, async () => {
      updateDecryptionKey('AES_default', AES_WRONG);
      try {
        const e = expectLiteError(() => new LiteNetwork(config('AES_default')).load(model), 'LITE_DECRYPTION_FAILED', /could not be decrypted with "AES_default": the key or method is wrong/);
        expect(e.message.length).toBeLessThanOrEqual(200);
        await expectLiteRejection(new LiteNetwork(config('AES_default')).loadAsync(model), 'LITE_DECRYPTION_FAILED');
      } finally {
        updateDecryptionKey('AES_default', AES_RIGHT);
      }
      expect(maxAbsDiff(await loadAndRun(model, config('AES_default')), ref)).toBe(0);
      expect(maxAbsDiff(await loadAndRun(model, config('AES_default'), 'async'), ref)).toBe(0);
    });
  }

  it('a model under a non-default key loads after updateDecryptionKey', async () => {
    const key = randomBytes(32);
    const enc = encryptModel(PLAIN_MODEL, { method: 'AES_default', key });
    updateDecryptionKey('AES_default', key);
    try {
      expect(maxAbsDiff(await loadAndRun(enc, config('AES_default')), REFERENCE)).toBe(0);
    } finally {
      updateDecryptionKey('AES_default', AES_RIGHT);
    }
  });

  it('corrupted or truncated ciphertext fails with a LiteError', () => {
    const flipped = new Uint8Array(ours);
    flipped[20] = flipped[20]! ^ 1; // first CBC block of the model header
    expectLiteError(() => new LiteNetwork(config('AES_default')).load(flipped), 'LITE_DECRYPTION_FAILED');
    for (const n of [1000, 1003]) {
      expectLiteError(() => new LiteNetwork(config('AES_default')).load(ours.subarray(0, n)), 'LITE_DECRYPTION_FAILED');
    }
  });
});

describe('RC4_default / SIMPLE_FAST_RC4_default', () => {
  for (const method of ['RC4_default', 'SIMPLE_FAST_RC4_default'] as const) {
    it(`${method}: encryptModel with the default key → load → reference`, async () => {
      const enc = encryptModel(PLAIN_MODEL, { method });
      expect(maxAbsDiff(await loadAndRun(enc, config(method)), REFERENCE)).toBe(0);
      expect(maxAbsDiff(await loadAndRun(enc, config(method), 'async'), REFERENCE)).toBe(0);
    });

    it(`${method}: a custom key through updateDecryptionKey; the old key then fails`, async () => {
      const key = rc4Key(0x0123456789abcdefn, 0xfedcba9876543210n);
      const enc = encryptModel(PLAIN_MODEL, { method, key });
      const stale = encryptModel(PLAIN_MODEL, { method });
      updateDecryptionKey(method, key);
      try {
        expect(maxAbsDiff(await loadAndRun(enc, config(method)), REFERENCE)).toBe(0);
        expectLiteError(() => new LiteNetwork(config(method)).load(stale), 'LITE_DECRYPTION_FAILED');
      } finally {
        updateDecryptionKey(method, defaultKey(method));
      }
      expect(maxAbsDiff(await loadAndRun(stale, config(method)), REFERENCE)).toBe(0);
    });

    it(`${method}: corrupted and truncated ciphertext fail with a LiteError`, () => {
      const enc = encryptModel(PLAIN_MODEL, { method });
      const flipped = new Uint8Array(enc);
      flipped[5000] = flipped[5000]! ^ 1;
      expectLiteError(() => new LiteNetwork(config(method)).load(flipped), 'LITE_DECRYPTION_FAILED');
      expectLiteError(() => new LiteNetwork(config(method)).load(enc.subarray(0, 1001)), 'LITE_DECRYPTION_FAILED');
    });
  }
});

describe('packModel round trip through the runtime', () => {
  const info: LiteModelInfo = {
    name: 'shufflenet',
    valid: true,
    version: '1.13.0',
    device: { type: 'CPU', number_threads: 2 },
    IO: {
      inputs: [{ name: 'data', is_host: true, dtype: 'float32', shape: { dim0: 1, dim1: 3, dim2: 224, dim3: 224 } }],
      outputs: [{ name: 'prob', is_host: true }],
    },
  };

  async function check(packed: Uint8Array, disableInfo: boolean, mode: 'sync' | 'async' = 'sync'): Promise<number> {
    unpackModel(packed); // structure check before the runtime sees it
    const net = new LiteNetwork();
    try {
      if (disableInfo) net.extraConfigure({ disableConfigureByModelInfo: true });
      if (mode === 'sync') net.load(packed);
      else await net.loadAsync(packed);
      expect(maxAbsDiff(await infer(net), REFERENCE)).toBe(0);
      expect(net.getIoTensor('data').layout.shapes).toEqual([1, 3, 224, 224]);
      return net.threadsNumber;
    } finally {
      net.dispose();
    }
  }

  it('the info takes effect (threadsNumber 2), sync and async', async () => {
    const packed = packModel({ model: PLAIN_MODEL, info });
    expect(await check(packed, false)).toBe(2);
    expect(await check(packed, false, 'async')).toBe(2);
  });

  // An IO layout in the info that differs from the model's own (batch 2 instead of 1) is the
  // observable part of the info that disableConfigureByModelInfo switches off. Runtime 1.13
  // applies the `device` settings (number_threads, enable_inplace_model) in both cases.
  const batch2: LiteModelInfo = {
    ...info,
    IO: { inputs: [{ name: 'data', dtype: 'float32', shape: { dim0: 2, dim1: 3, dim2: 224, dim3: 224 } }] },
  };

  function loadedShapeAndThreads(packed: Uint8Array, disableInfo: boolean): [number[], number] {
    unpackModel(packed);
    const net = new LiteNetwork();
    try {
      if (disableInfo) net.extraConfigure({ disableConfigureByModelInfo: true });
      net.load(packed);
      return [net.getIoTensor('data').layout.shapes, net.threadsNumber];
    } finally {
      net.dispose();
    }
  }

  it('the info IO layout applies: the input tensor takes batch 2', () => {
    expect(loadedShapeAndThreads(packModel({ model: PLAIN_MODEL, info: batch2 }), false)).toEqual([[2, 3, 224, 224], 2]);
  });

  it('with disableConfigureByModelInfo the info IO layout does not apply (the model’s own batch 1)', async () => {
    const packed = packModel({ model: PLAIN_MODEL, info: batch2 });
    const [shape, threads] = loadedShapeAndThreads(packed, true);
    expect(shape).toEqual([1, 3, 224, 224]);
    expect(threads).toBe(2); // runtime 1.13: device settings of the info are applied regardless
    expect(maxAbsDiff(await (async () => {
      const net = new LiteNetwork();
      try {
        net.extraConfigure({ disableConfigureByModelInfo: true });
        net.load(packed);
        return await infer(net);
      } finally {
        net.dispose();
      }
    })(), REFERENCE)).toBe(0);
  });

  it('packed + RC4-encrypted info and model (default keys) load, and the info applies', async () => {
    const packed = packModel({ model: PLAIN_MODEL, info, modelCryption: 'RC4_default', infoCryption: 'RC4_default' });
    expect(unpackModel(packed).modelCryption).toBe('RC4_default');
    expect(await check(packed, false)).toBe(2);
  });

  it('packed with model AES_default + info SIMPLE_FAST_RC4_default loads', async () => {
    const packed = packModel({
      model: PLAIN_MODEL,
      info,
      modelCryption: { method: 'AES_default', key: AES_RIGHT },
      infoCryption: 'SIMPLE_FAST_RC4_default',
    });
    expect(await check(packed, false)).toBe(2);
  });

  it('packed with a JS decryptor for the model (preEncrypted) loads', async () => {
    registerDecryptionAndKey('pack_xor', (input, key) => input.map((b) => b ^ key[0]!), [0x5c]);
    const model = PLAIN_MODEL.map((b) => b ^ 0x5c);
    const packed = packModel({ model, info, modelCryption: { method: 'pack_xor', preEncrypted: true } });
    expect(await check(packed, false, 'async')).toBe(2);
  });

  it('truncated packed files are rejected by unpackModel before the runtime (which would crash on them)', () => {
    const packed = packModel({ model: PLAIN_MODEL, info });
    for (const n of [0, 8, 12, 13, 16, 20, 40, 100, 1000, packed.length - 1_000_000, packed.length - 2]) {
      let caught: unknown;
      try {
        unpackModel(packed.subarray(0, n));
      } catch (e) {
        caught = e;
      }
      expect(caught, `length ${n}`).toBeInstanceOf(LiteCryptoError);
    }
    // Cutting only the final alignment byte leaves a complete buffer: accepted, and it loads.
    unpackModel(packed.subarray(0, packed.length - 1));
  });

  it('LiteNetwork.load / loadAsync reject truncated packed models (bytes and files) before the runtime', async () => {
    // The 1.13 runtime follows the flatbuffer's offsets unchecked: these used to end the process
    // with SIGSEGV. @lite/core checks the structure of anything tagged "packed_model" first.
    const packed = packModel({ model: PLAIN_MODEL, info });
    const dir = mkdtempSync(join(tmpdir(), 'lite-packed-'));
    try {
      const lengths = [12, 13, 16, 20, 40, 100, 1000, packed.length - 1_000_000, packed.length - 2];
      for (const n of lengths) {
        const cut = packed.slice(0, n);
        const e = expectLiteError(() => new LiteNetwork().load(cut), 'LITE_INVALID_ARGUMENT', /packed model/);
        expect(e.message, `length ${n}`).toMatch(/truncated|malformed|lacks|no models|no header|no model data/);
        const file = join(dir, `cut-${n}.lite`);
        writeFileSync(file, cut);
        expectLiteError(() => new LiteNetwork().load(file), 'LITE_INVALID_ARGUMENT', /packed model/);
        await expectLiteRejection(new LiteNetwork().loadAsync(file), 'LITE_INVALID_ARGUMENT', /packed model/);
      }
      // The complete file still loads through a path.
      const whole = join(dir, 'whole.lite');
      writeFileSync(whole, packed);
      const net = new LiteNetwork();
      net.load(whole);
      expect(net.getAllInputName()).toEqual(['data']);
      net.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the input tensor is untouched by all this', () => {
  it('INPUT is the fixture input', () => {
    expect(INPUT.length).toBe(3 * 224 * 224);
  });
});
