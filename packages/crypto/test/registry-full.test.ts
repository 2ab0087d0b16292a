// The table of JS decryptors is fixed-size (the C callback has no user data, so each name
// needs its own trampoline). Own test file = own process, so the table starts empty here.
import { LiteError, LiteNetwork, LiteConfig } from '@lite/core';
import { describe, expect, it } from 'vitest';

import { maxDecryptionMethods, registerDecryptionAndKey } from '../src/index.js';
import { PLAIN_MODEL, REFERENCE, infer } from './runtime-helpers.js';

describe('registerDecryptionAndKey: table full', () => {
  it('accepts maxDecryptionMethods() names, then fails clearly; the registered ones keep working', async () => {
    const n = maxDecryptionMethods();
    for (let i = 0; i < n; i++) {
      registerDecryptionAndKey(`slot_${i}`, (input, key) => input.map((b) => b ^ key[0]! ^ key[0]!), [i + 1]);
    }
    let caught: unknown;
    try {
      registerDecryptionAndKey('one_too_many', (i) => i, [1]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LiteError);
    expect((caught as LiteError).code).toBe('LITE_UNSUPPORTED');
    expect((caught as LiteError).message).toMatch(/at most 16 decryption methods/);

    for (const i of [0, n - 1]) {
      const cfg = new LiteConfig();
      cfg.bareModelCryptionName = `slot_${i}`;
      const net = new LiteNetwork(cfg);
      await net.loadAsync(PLAIN_MODEL);
      const out = await infer(net);
      net.dispose();
      let m = 0;
      for (let j = 0; j < out.length; j++) m = Math.max(m, Math.abs(out[j]! - REFERENCE[j]!));
      expect(m).toBe(0);
    }
  });
});
