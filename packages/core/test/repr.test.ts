// Python megenginelite's repr shows the fields of its config objects; String() and
// util.inspect (console.log) do the same here.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '@lite/testing';
import { LiteConfig, LiteDeviceType, LiteExtraConfig, LiteIO, LiteIOType, LiteLayout, LiteNetwork, LiteNetworkIO, LiteOptions } from '../src/index.js';
import { expectCode } from './helpers.js';

describe('String() and util.inspect show the fields', () => {
  it('LiteLayout', () => {
    const l = new LiteLayout([1, 3, 224, 224], 'float32');
    expect(String(l)).toBe('LiteLayout([1, 3, 224, 224], float32)');
    expect(inspect(l)).toBe('LiteLayout([1, 3, 224, 224], float32)');
  });

  it('LiteOptions: every option', () => {
    const o = new LiteOptions({ weightPreprocess: true, jitLevel: 2 });
    const s = String(o);
    expect(s).toMatch(/^LiteOptions\(weightPreprocess: true, fusePreprocess: false, .*jitLevel: 2, compNodeSeqRecordLevel: 0, graphOptLevel: 2, asyncExecLevel: 1\)$/);
    expect(s.match(/: /g)?.length).toBe(20);
    expect(inspect(o)).toBe(s);
  });

  it('LiteConfig: enums by name, strings quoted, nested options', () => {
    const c = new LiteConfig(LiteDeviceType.LITE_CPU);
    c.bareModelCryptionName = 'AES_default';
    const s = String(c);
    expect(s).toMatch(/^LiteConfig\(deviceType: LITE_CPU, deviceId: 0, backend: LITE_DEFAULT, hasCompression: false, bareModelCryptionName: "AES_default", autoOptimizeInference: false, discreteInputName: "", options: LiteOptions\(weightPreprocess: false, /);
    expect(inspect(c)).toBe(s);
  });

  it('LiteIO and LiteNetworkIO', () => {
    const io = new LiteIO('data', false, LiteIOType.LITE_IO_SHAPE, new LiteLayout([1, 4], 'int32'));
    expect(String(io)).toBe('LiteIO(name: "data", isHost: false, ioType: LITE_IO_SHAPE, configLayout: LiteLayout([1, 4], int32))');
    const nio = new LiteNetworkIO([io], ['prob']);
    expect(inspect(nio)).toBe(`LiteNetworkIO(inputs: [${String(io)}], outputs: [LiteIO(name: "prob", isHost: true, ioType: LITE_IO_VALUE, configLayout: LiteLayout([], float32))])`);
  });

  it('LiteExtraConfig', () => {
    expect(String(new LiteExtraConfig(true))).toBe('LiteExtraConfig(disableConfigureByModelInfo: true)');
    expect(inspect(new LiteExtraConfig())).toBe('LiteExtraConfig(disableConfigureByModelInfo: false)');
  });
});

describe('LiteExtraConfig for extraConfigure', () => {
  it('a LiteExtraConfig or a plain object is taken before load; bad values are refused', () => {
    const net = new LiteNetwork();
    net.extraConfigure(new LiteExtraConfig(true));
    net.extraConfigure({ disableConfigureByModelInfo: false });
    expectCode(() => net.extraConfigure({ disableConfigureByModelInfo: 'yes' as unknown as boolean }), 'LITE_INVALID_ARGUMENT');
    expectCode(() => net.extraConfigure(null as unknown as LiteExtraConfig), 'LITE_INVALID_ARGUMENT');
    expectCode(() => new LiteExtraConfig(1 as unknown as boolean), 'LITE_INVALID_ARGUMENT');
    net.load(fixture('mlp.mge'));
    expect(net.getAllInputName().length).toBeGreaterThan(0);
    expectCode(() => net.extraConfigure(new LiteExtraConfig(true)), 'LITE_INVALID_ARGUMENT');
  });
});
