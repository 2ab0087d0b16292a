// Child of mindir.mjs: a long-lived process that builds MindIR mutants in-process with
// @lite/mindspore. The parent sends { index, bytes } over the IPC channel (advanced serialization);
// for each, this process builds the bytes with Model.buildFromBuffer (ModelType.MINDIR, CPU, one
// thread), and if that succeeds runs one predict with zero inputs of the declared shapes (dynamic
// dims -> 1), then answers { index, result: 'ok' | 'error', code, phase, message, ms, rss } and
// waits for the next mutant. Before the predict it reports { index, progress: 'predict' } and waits
// until that message is written, so the parent knows which phase a crash (signal / abnormal exit)
// or a hang happened in.
//
// stdout and stderr are files of the parent's; nothing here writes to them, so whatever they
// receive comes from the engine (or from the runtime when it dies).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const entry = process.env.LITE_MINDSPORE_ENTRY ?? require.resolve('../../packages/mindspore/dist/index.js');

/** Inputs above this many elements are not allocated (reported as ok with predict 'skipped'). */
const MAX_INPUT_ELEMENTS = 1 << 26;

function send(msg) {
  return new Promise((resolve) => process.send(msg, resolve));
}

let ms;
try {
  ms = await import(pathToFileURL(entry).href);
} catch (e) {
  await send({ fatal: `cannot import @lite/mindspore from ${entry}: ${e?.message ?? e}` });
  process.exit(3);
}
const { Context, LiteError, Model, ModelType, Tensor } = ms;

const context = new Context();
context.target = ['cpu'];
context.cpu.threadNum = 1;

async function runOne(index, bytes) {
  let phase = 'build';
  const model = new Model();
  try {
    model.buildFromBuffer(bytes, ModelType.MINDIR, context);
    phase = 'inputs';
    const declared = model.getInputs();
    const shapes = declared.map((t) => t.shape.map((d) => (d < 0 ? 1 : d)));
    const elements = shapes.map((s) => s.reduce((a, d) => a * d, 1));
    if (elements.some((n) => n > MAX_INPUT_ELEMENTS)) return { result: 'ok', predict: 'skipped', inputs: shapes };
    const inputs = declared.map((t, i) => new Tensor(null, { shape: shapes[i], dtype: t.dtype }));
    phase = 'predict';
    await send({ index, progress: 'predict' });
    const outputs = model.predict(inputs);
    let values = 0;
    for (const o of outputs) values += o.getData().length;
    return { result: 'ok', predict: 'ran', outputs: outputs.length, values };
  } catch (e) {
    if (e instanceof LiteError) return { result: 'error', code: e.code, phase, message: String(e.message).slice(0, 400) };
    return { result: 'error', code: 'NON_LITE', phase, message: String(e?.stack ?? e).slice(0, 400) };
  } finally {
    try {
      model.dispose();
    } catch {
      /* reported by the outcome above */
    }
  }
}

process.on('message', async (msg) => {
  if (!msg || typeof msg.index !== 'number') return;
  const started = performance.now();
  const out = await runOne(msg.index, msg.bytes);
  // The callback fires once the message is written: the parent has it even if the next mutant kills us.
  await send({ index: msg.index, ...out, ms: Math.round(performance.now() - started), rss: process.memoryUsage.rss() });
});
process.on('disconnect', () => process.exit(0));
await send({ ready: true, pid: process.pid });
