// Child of models.mjs: loads one model (path in argv[2]) with @lite/core, runs one forward with
// zero inputs, and prints one JSON line: {"result":"ok"} or {"result":"error","code":...}.
// A crash (signal / abnormal exit) is detected by the parent from the exit status.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const corePath = process.env.LITE_CORE_ENTRY ?? require.resolve('../../packages/core/dist/index.js');
const { LiteNetwork, LiteError, LiteTensorPhase, setLogLevel, LiteLogLevel } = await import(pathToFileURL(corePath).href);

const file = process.argv[2];
try {
  setLogLevel(LiteLogLevel.ERROR);
} catch {
  /* older runtimes: keep the default */
}
function report(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
try {
  const net = new LiteNetwork();
  net.load(file);
  for (const name of net.getAllInputName()) {
    const t = net.getIoTensor(name, LiteTensorPhase.LITE_INPUT);
    t.fillZero();
  }
  net.forward();
  net.wait();
  for (const name of net.getAllOutputName()) net.getIoTensor(name, LiteTensorPhase.LITE_OUTPUT).toTypedArray();
  net.dispose();
  report({ result: 'ok' });
} catch (e) {
  if (e instanceof LiteError) report({ result: 'error', code: e.code, message: String(e.message).slice(0, 300) });
  else report({ result: 'error', code: 'NON_LITE', message: String(e?.stack ?? e).slice(0, 300) });
}
