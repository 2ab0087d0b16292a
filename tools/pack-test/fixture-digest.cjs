// Runs every fixture model of fixtures/manifest.json (every case, sync API, default CPU config)
// through a given @lite/core and prints one JSON object: { "<model>[<case>]/<output>": sha256 of
// the output bytes, ... } plus, under "_runtime", the library that was loaded. Two runs with
// different runtime libraries (LITE_LIB_PATH) that print the same digests produced bit-identical
// outputs. Used by tools/release/slim-elf.test.mjs and tools/pack-test/run.sh.
//
//   node fixture-digest.cjs <@lite/core CJS entry or package name> <fixtures dir>
const { createHash } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join, resolve } = require('node:path');
const { readNpy } = require('./npy.cjs');

const [coreEntry, dir] = process.argv.slice(2);
if (!coreEntry || !dir) {
  console.error('usage: node fixture-digest.cjs <@lite/core entry> <fixtures dir>');
  process.exit(2);
}
// A file path (relative to the working directory) or a package name resolved from the working directory.
const coreId = existsSync(coreEntry) ? resolve(coreEntry) : require.resolve(coreEntry, { paths: [process.cwd()] });
const lite = require(coreId);

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const digests = {};
for (const [name, m] of Object.entries(manifest.models)) {
  const cases = m.cases ?? [{ tag: '', inputs: m.inputs, outputs: m.outputs }];
  for (const c of cases) {
    const config = new lite.LiteConfig();
    const cryption = m.encryption?.lite_config?.bare_model_cryption_name;
    if (cryption) config.bareModelCryptionName = cryption;
    const net = new lite.LiteNetwork(config);
    net.load(join(dir, m.file));
    for (const io of c.inputs) {
      const npy = readNpy(join(dir, io.npy));
      net.getIoTensor(io.name, lite.LiteTensorPhase.LITE_INPUT).setDataByCopy(npy.bytes, { layout: npy.shape });
    }
    net.forward();
    net.wait();
    for (const io of c.outputs) {
      const data = net.getIoTensor(io.name, lite.LiteTensorPhase.LITE_OUTPUT).toTypedArray();
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      digests[`${name}${c.tag ? `[${c.tag}]` : ''}/${io.name}`] = createHash('sha256').update(bytes).digest('hex');
    }
    net.dispose();
  }
}
// The binding returns the path of the runtime it already loaded (the first load wins).
digests._runtime = createRequire(coreId)('@lite/binding').loadRuntime();
console.log(JSON.stringify(digests));
