// process.exit() while loadAsync waits for a JavaScript decryptor: the decryptor can only run on
// the JS thread, which is in the 'exit' event, so the network's thread can never finish its job.
// The exit must still happen (the wait for the network's thread is bounded), not hang.
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
// Keep the JS thread busy until the network's thread is inside the load, waiting for the
// decryptor (which needs this thread), then exit.
const until = Date.now() + 300;
while (Date.now() < until) { /* busy */ }
process.stdout.write('exiting\\n');
process.exit(0);
`;

describe('process.exit during an async load that waits for a JS decryptor', () => {
  it('exits with code 0 within the bounded wait instead of hanging', () => {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
    const ms = Date.now() - started;
    console.log(`[exit-during-load] exited with ${r.status} after ${ms} ms`);
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('exiting\n');
    expect(r.stderr).toBe('');
  }, 70_000);
});
