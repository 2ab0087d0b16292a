// MindIR fuzzing, bounded: structure-aware mutants of the MindSpore fixtures (dims, data types,
// varints, rewired node inputs, duplicated / dropped / spliced / reordered fields, corrupt length
// prefixes, raw damage), built in-process one after another in ONE runner child that is replaced
// after a crash. The long run is by hand: `node tools/fuzz/mindir.mjs --count 1000 --seed 1`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Context, LiteError, Model, ModelParallelRunner, ModelType } from '@lite/mindspore';
import { fuzzMindir, loadModels, makeMindirMutant, MUTATIONS, parseArgs, walkMindir } from '../../../tools/fuzz/mindir.mjs';

const CLEAN_CODES = ['LITE_INVALID_MODEL', 'LITE_ERROR', 'LITE_INVALID_ARGUMENT'];
/** Kinds that re-encode the enclosing length prefixes: their mutants stay well-formed protobuf. */
const FIXED_UP = ['dims', 'reshape', 'dtype', 'varint', 'rewire', 'dup', 'drop', 'splice', 'reorder'];

function context(): Context {
  const c = new Context();
  c.target = ['cpu'];
  c.cpu.threadNum = 1;
  c.parallel.workersNum = 1;
  return c;
}

/** The LiteError `fn` throws (or its promise rejects with). */
async function refusal(fn: () => unknown): Promise<LiteError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    return e as LiteError;
  }
  throw new Error('expected a LiteError, the build succeeded');
}

describe('MindIR fuzzing', () => {
  it('mutants are reproducible from the seed and reach the structure', () => {
    const models = loadModels(['lenet', 'two_io', 'shufflenet']);
    const originals = Object.fromEntries(Object.entries(models).map(([k, v]) => [k, Buffer.from(v)]));
    const a = makeMindirMutant(3, 17, models);
    const b = makeMindirMutant(3, 17, models);
    expect([b.model, b.kinds, b.details]).toEqual([a.model, a.kinds, a.details]);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(Buffer.compare(a.bytes, makeMindirMutant(4, 17, models).bytes)).not.toBe(0);

    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const m = makeMindirMutant(1, i, models);
      m.kinds.forEach((k) => seen.add(k));
      expect(m.kinds.length).toBe(m.details.length);
      // Size-changing structural mutations fix up every enclosing length: still protobuf all the way down.
      if (m.kinds.length === 1 && FIXED_UP.includes(m.kinds[0] as string)) {
        expect(walkMindir(m.bytes), `#${i} ${m.kinds[0]}: ${m.details[0]}`).not.toBeNull();
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(MUTATIONS).sort());
    // The fixtures' bytes are never mutated in place.
    for (const [k, v] of Object.entries(models)) expect(Buffer.compare(v, originals[k] as Buffer)).toBe(0);
  });

  it('500 mutants built in-process: no crash, no hang, only clean LiteErrors', async () => {
    // lenet + two_io: ~40 s on the 2-core CI machine (shufflenet builds take ~0.9 s each; it is in the long run).
    const opts = { ...parseArgs([]), count: 500, seed: 1, models: ['lenet', 'two_io'], timeout: 30_000 };
    const s = await fuzzMindir(opts);
    const c = s.counts;
    console.log(
      `[fuzz-mindir] seed 1, 500 mutants in ${s.seconds.toFixed(1)} s: ok ${c.ok}, LiteError ${c.error} ${JSON.stringify(s.errorCodes)}, crash ${c.crash}, hang ${c.hang}; stderr from ${s.stderrMutants} mutants`,
    );
    const crashes = s.crashes.map((k) => `${k.result} #${k.index} ${k.model} [${k.kinds.join('+')}] in ${k.phase} signal=${k.signal ?? '-'} exit=${k.exitCode ?? '-'}: ${k.details.join(' ; ')}`);
    for (const line of crashes) console.log(`[fuzz-mindir]   ${line}`);
    expect(c.ok + c.error + c.crash + c.hang).toBe(500);
    expect.soft(crashes).toEqual([]);
    expect.soft(s.exitsBetweenMutants).toEqual([]);
    expect(c.hang).toBe(0);
    // Every refusal is a LiteError with a build code, never a foreign exception.
    expect(Object.keys(s.errorCodes).filter((code) => !CLEAN_CODES.includes(code))).toEqual([]);
    // The structural check refuses some mutants itself, and the harness builds and runs others.
    expect(s.errorCodes.LITE_INVALID_MODEL ?? 0).toBeGreaterThan(0);
    expect(s.predict.ran).toBeGreaterThan(0);
    // Nothing on stderr: the structural check refuses what made the engine's protobuf CHECKs print.
    expect(s.stderrMutants).toBe(0);
    expect(s.stdoutMutants).toBe(0);
  }, 150_000);

  it('lenet with byte 2522 set to 12 (a dims field) is refused by every build path, naming the tensor', async () => {
    // Byte 2522 is the dims varint of parameter "U0.1:U2" (conv1's bias, 6 floats = 24 bytes of
    // raw_data). Set to 12, the engine trusted the dims and a later predict corrupted the heap (exit 134).
    const good = loadModels(['lenet']).lenet as Uint8Array;
    expect(good[2522]).toBe(6);
    const bad = Uint8Array.from(good);
    bad[2522] = 12;
    // (File paths prefix the message with the path.)
    const message = /not a valid MindIR model: tensor "U0\.1:U2" declares dims \[12\] \(float32, 48 bytes\) but stores 24 bytes \(parameter of graph "U0\.1", input 2 of node "U0\.1:U14:1"/;
    const dir = mkdtempSync(join(tmpdir(), 'lite-mindir-2522-'));
    try {
      const file = join(dir, 'lenet-2522.mindir');
      writeFileSync(file, bad);
      const refusals: [string, () => unknown][] = [
        ['buildFromBuffer', () => new Model().buildFromBuffer(bad, ModelType.MINDIR, context())],
        ['buildFromBufferAsync', () => new Model().buildFromBufferAsync(bad, ModelType.MINDIR, context())],
        ['buildFromFile', () => new Model().buildFromFile(file, ModelType.MINDIR, context())],
        ['buildFromFileAsync', () => new Model().buildFromFileAsync(file, ModelType.MINDIR, context())],
        ['ModelParallelRunner.buildFromFile', () => new ModelParallelRunner().buildFromFile(file, context())],
      ];
      for (const [how, fn] of refusals) {
        const e = await refusal(fn);
        expect(e.code, how).toBe('LITE_INVALID_MODEL');
        expect(e.message, how).toMatch(message);
      }
      // The unmutated bytes build (the refusal is about the mutation).
      const model = new Model();
      model.buildFromBuffer(good, ModelType.MINDIR, context());
      expect(model.getInputs().map((t) => t.shape)).toEqual([[-1, 1, 28, 28]]);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
