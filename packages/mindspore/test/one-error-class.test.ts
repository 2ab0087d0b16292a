// One LiteError for both engines (issue 22): the class comes from @lite/common, and @lite/core and
// @lite/mindspore re-export it, so an error thrown by either is `instanceof` the other's class,
// through `require` and `import` alike; the same mistake gets the same code on both. Checked on
// the built packages in a plain Node child (as an application loads them), and in-process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@lite/core';
import * as common from '@lite/common';
import { nodeJson } from '@lite/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LiteError, Model, ModelType } from '../src/index.js';
import { context } from './helpers.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'lite-one-error-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missing = join(dir, 'missing.model');
const text = join(dir, 'notes.txt');
writeFileSync(text, 'this is a text file, not a model\n'.repeat(20));

/** Runs an ES module script with plain Node in the @lite/mindspore folder; returns its JSON output. */
const run = (script: string, ...args: string[]): Record<string, unknown> => nodeJson(packageDir, script, ...args);

const PRELUDE = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const coreCjs = require('@lite/core');
const coreEsm = await import('@lite/core');
const msCjs = require('@lite/mindspore');
const msEsm = await import('@lite/mindspore');
const commonCjs = require('@lite/common');
const commonEsm = await import('@lite/common');
const classes = [coreCjs, coreEsm, msCjs, msEsm, commonCjs, commonEsm].map((m) => m.LiteError);
const [missing, text] = process.argv.slice(1);
const caught = (fn) => { try { fn(); return null; } catch (e) { return e; } };
const caughtAsync = async (p) => { try { await p; return null; } catch (e) { return e; } };
const ctx = () => { const c = new msCjs.Context(); c.cpu.threadNum = 1; return c; };
const describe = (e) => ({
  code: e?.code,
  oneLine: typeof e?.message === 'string' && !/[\\r\\n]/.test(e.message),
  instanceOfAll: classes.every((C) => e instanceof C),
});
`;

describe('one LiteError class across @lite/core and @lite/mindspore (built packages, plain Node)', () => {
  it('require and import of both engines and of @lite/common give the same class', () => {
    const out = run(`${PRELUDE}
      console.log(JSON.stringify({ same: classes.every((C) => C === classes[0]), name: classes[0].name }));`);
    expect(out).toEqual({ same: true, name: 'LiteError' });
  });

  it('the same mistake, the same code, and each engine’s error is instanceof the other’s class', async () => {
    const out = run(
      `${PRELUDE}
      const net = () => new coreCjs.LiteNetwork();
      const model = () => new msEsm.Model();
      console.log(JSON.stringify({
        coreMissing: describe(caught(() => net().load(missing))),
        coreMissingAsync: describe(await caughtAsync(net().loadAsync(missing))),
        coreText: describe(caught(() => net().load(text))),
        msMissing: describe(caught(() => model().buildFromFile(missing, msEsm.ModelType.MINDIR, ctx()))),
        msMissingAsync: describe(await caughtAsync(model().buildFromFileAsync(missing, msEsm.ModelType.MINDIR, ctx()))),
        msText: describe(caught(() => model().buildFromFile(text, msEsm.ModelType.MINDIR, ctx()))),
        msTextAsync: describe(await caughtAsync(model().buildFromFileAsync(text, msEsm.ModelType.MINDIR, ctx()))),
      }));`,
      missing,
      text,
    );
    const found = { code: 'LITE_FILE_NOT_FOUND', oneLine: true, instanceOfAll: true };
    const invalidModel = { code: 'LITE_INVALID_MODEL', oneLine: true, instanceOfAll: true };
    expect(out).toEqual({
      coreMissing: found,
      coreMissingAsync: found,
      coreText: invalidModel,
      msMissing: found,
      msMissingAsync: found,
      msText: invalidModel,
      msTextAsync: invalidModel,
    });
  });
});

describe('one LiteError class (in-process)', () => {
  it('@lite/mindspore, @lite/core and @lite/common export the same class', () => {
    expect(LiteError).toBe(common.LiteError);
    expect(core.LiteError).toBe(common.LiteError);
  });

  it('a @lite/mindspore error is instanceof @lite/core’s LiteError, and a @lite/core error instanceof @lite/mindspore’s', () => {
    let ms: unknown;
    try {
      new Model().buildFromFile(missing, ModelType.MINDIR, context());
    } catch (e) {
      ms = e;
    }
    expect(ms).toBeInstanceOf(core.LiteError);
    expect((ms as core.LiteError).code).toBe('LITE_FILE_NOT_FOUND');
    let mge: unknown;
    try {
      new core.LiteNetwork().load(text);
    } catch (e) {
      mge = e;
    }
    expect(mge).toBeInstanceOf(LiteError);
    expect((mge as LiteError).code).toBe('LITE_INVALID_MODEL');
  });
});
