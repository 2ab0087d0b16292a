// Run by tools/pack-test/run.sh in a project holding @lite/utils + @lite/core + @lite/binding but
// no platform package: the add-on must load, and using the engine must fail with one clear error
// that names the missing platform package.
const utils = require('@lite/utils');
const core = require('@lite/core');

if (Object.keys(utils).length === 0) throw new Error('@lite/utils exported nothing');
let error;
try {
  new core.LiteNetwork();
} catch (e) {
  error = e;
}
if (!error || error.code !== 'LITE_RUNTIME_NOT_FOUND' || !String(error.message).includes('@lite/binding-linux-x64-gnu')) {
  console.error('expected LITE_RUNTIME_NOT_FOUND naming @lite/binding-linux-x64-gnu, got:', error);
  process.exit(1);
}
console.log(`@lite/utils loads (${Object.keys(utils).length} exports); without the platform package: ${error.code}: ${error.message.slice(0, 140)}...`);
