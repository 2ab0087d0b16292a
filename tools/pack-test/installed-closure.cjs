// A package installed in the project of the current folder and what it pulled in: itself, its
// dependencies and optional dependencies as installed (followed from each package's own folder,
// so nested copies count), not its peers. Prints JSON: { name, version, packages: [name@version],
// bytes } where bytes is the apparent size of the packages' folders (as `du -sb` counts).
//
//   node installed-closure.cjs <name>
const { readdirSync, lstatSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

function folderBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue; // nested packages are counted as packages of their own
    const p = join(dir, entry);
    const st = lstatSync(p);
    total += st.isDirectory() ? folderBytes(p) + st.size : st.size;
  }
  return total;
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node installed-closure.cjs <package name>');
  process.exit(2);
}
const seen = new Map(); // package folder -> manifest
const todo = [[root, process.cwd()]];
while (todo.length) {
  const [name, from] = todo.pop();
  let file;
  try {
    file = require.resolve(`${name}/package.json`, { paths: [from] });
  } catch {
    continue; // an optional dependency for another platform: not installed
  }
  const dir = dirname(file);
  if (seen.has(dir)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  seen.set(dir, pkg);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) todo.push([dep, dir]);
}
if (seen.size === 0) {
  console.error(`${root} is not installed in ${process.cwd()}`);
  process.exit(1);
}
const first = [...seen.values()][0];
let bytes = 0;
for (const dir of seen.keys()) bytes += folderBytes(dir) + lstatSync(dir).size;
console.log(JSON.stringify({ name: first.name, version: first.version, packages: [...seen.values()].map((p) => `${p.name}@${p.version}`).sort(), bytes }));
