import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { main } from '../src/cli.js';
import { decryptModel, unpackModel } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lite-crypto-cli-'));
const p = (name: string): string => join(dir, name);
const model = Uint8Array.from({ length: 3000 }, (_, i) => (i * 5) & 255);
writeFileSync(p('m.mge'), model);
writeFileSync(p('info.json'), JSON.stringify({ name: 'net', valid: true, version: '1.0.0', device: { type: 'CPU', number_threads: 2 } }));
const keyHex = 'c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  return () => vi.restoreAllMocks();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lite-crypto CLI', () => {
  it('encrypt / decrypt with --key-hex, never printing the key', () => {
    expect(main(['encrypt', '--method', 'AES_default', '--key-hex', keyHex, '--in', p('m.mge'), '--out', p('m.aes')])).toBe(0);
    const enc = new Uint8Array(readFileSync(p('m.aes')));
    const dec = decryptModel(enc, { method: 'AES_default', key: Buffer.from(keyHex, 'hex') });
    expect(Buffer.from(dec).equals(Buffer.from(model))).toBe(true);
    expect(main(['decrypt', '--method', 'AES_default', '--key-hex', keyHex, '--in', p('m.aes'), '--out', p('m.dec')])).toBe(0);
    expect(Buffer.from(readFileSync(p('m.dec'))).equals(Buffer.from(model))).toBe(true);
    expect(out + err).not.toContain(keyHex.slice(0, 8));
  });

  it('RC4 with the default key and with a key file', () => {
    expect(main(['encrypt', '--method', 'RC4_default', '--in', p('m.mge'), '--out', p('m.rc4')])).toBe(0);
    const dec = decryptModel(new Uint8Array(readFileSync(p('m.rc4'))), { method: 'RC4_default' });
    expect(Buffer.from(dec.subarray(0, model.length)).equals(Buffer.from(model))).toBe(true);
    writeFileSync(p('k16'), Buffer.from(keyHex.slice(0, 32), 'hex'));
    expect(main(['encrypt', '--method', 'SIMPLE_FAST_RC4_default', '--key-file', p('k16'), '--in', p('m.mge'), '--out', p('m.sf')])).toBe(0);
    expect(() =>
      decryptModel(new Uint8Array(readFileSync(p('m.sf'))), { method: 'SIMPLE_FAST_RC4_default', key: readFileSync(p('k16')) }),
    ).not.toThrow();
  });

  it('pack and unpack', () => {
    expect(main(['pack', '--model', p('m.mge'), '--info', p('info.json'), '--out', p('m.lite')])).toBe(0);
    const parts = unpackModel(new Uint8Array(readFileSync(p('m.lite'))));
    expect(parts.name).toBe('net');
    expect(Buffer.from(parts.model).equals(Buffer.from(model))).toBe(true);
    expect(main(['pack', '--model', p('m.mge'), '--info', p('info.json'), '--model-cryption', 'RC4_default', '--info-cryption', 'RC4_default', '--out', p('m.rc4.lite')])).toBe(0);
    expect(unpackModel(new Uint8Array(readFileSync(p('m.rc4.lite')))).modelCryption).toBe('RC4_default');
    out = '';
    expect(main(['unpack', '--in', p('m.lite'), '--model-out', p('back.mge')])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ name: 'net', modelCryption: 'NONE', modelBytes: 3000 });
    expect(Buffer.from(readFileSync(p('back.mge'))).equals(Buffer.from(model))).toBe(true);
  });

  it('usage errors exit 2, crypto errors exit 1, keys stay out of messages', () => {
    expect(main([])).toBe(2);
    expect(main(['frobnicate'])).toBe(2);
    expect(main(['encrypt', '--method', 'ROT13', '--in', p('m.mge'), '--out', p('x')])).toBe(2);
    expect(main(['encrypt', '--method', 'AES_default', '--in', p('m.mge')])).toBe(2);
    expect(main(['encrypt', '--method', 'AES_default', '--key-hex', 'xyz', '--in', p('m.mge'), '--out', p('x')])).toBe(2);
    expect(main(['encrypt', '--bogus'])).toBe(2);
    err = '';
    expect(main(['encrypt', '--method', 'AES_default', '--key-hex', keyHex.slice(0, 40), '--in', p('m.mge'), '--out', p('x')])).toBe(1);
    expect(err).toMatch(/exactly 32 bytes/);
    expect(err).not.toContain(keyHex.slice(0, 8));
    expect(main(['encrypt', '--method', 'AES_default', '--in', p('missing.mge'), '--out', p('x')])).toBe(1);
    expect(err).toMatch(/ENOENT/);
    expect(main(['unpack', '--in', p('m.mge')])).toBe(1);
    expect(err).toMatch(/not a packed model/);
  });
});
