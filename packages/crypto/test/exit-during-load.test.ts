// process.exit() while a loadAsync with a JavaScript decryptor is in flight. The decryptor runs on
// the JS thread before the load is queued, so the network's thread never waits for this thread
// (which is in the 'exit' event): the exit joins it at once. Before, the network's thread waited
// inside the load for the decryptor, which the exiting thread could never run, and the exit
// took the executor's whole bounded wait (10 s) before leaving that thread behind.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const model = fileURLToPath(new URL('../../../fixtures/mlp.mge', import.meta.url));
const script = `
import { readFileSync } from 'node:fs';
import { LiteConfig, LiteNetwork } from '@lite/core';
import { registerDecryptionAndKey } from '@lite/crypto';
registerDecryptionAndKey('exit_test_identity', (input) => input.slice(), [1]);
const config = new LiteConfig();
config.bareModelCryptionName = 'exit_test_identity';
const net = new LiteNetwork(config);
void net.loadAsync(readFileSync(${JSON.stringify(model)})).catch(() => undefined);
// Keep the JS thread busy while the network's thread runs the load, then exit.
const until = Date.now() + 300;
while (Date.now() < until) { /* busy */ }
process.stdout.write('exiting\\n');
process.exit(0);
`;

describe('process.exit during an async load with a JS decryptor', () => {
  it('exits with code 0 at once: the network thread is not waiting for the exiting JS thread', () => {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
    const ms = Date.now() - started;
    console.log(`[exit-during-load] exited with ${r.status} after ${ms} ms`);
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('exiting\n');
    expect(r.stderr).toBe('');
    // Well under the executor's 10 s bounded wait for a job that does not end.
    expect(ms).toBeLessThan(8000);
  }, 70_000);
});
