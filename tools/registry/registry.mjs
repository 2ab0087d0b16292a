// The local npm registry of the release path: verdaccio 6.8 (runs on Node 20 with node-fetch 2,
// see the overrides in pnpm-workspace.yaml), bound to 127.0.0.1, no uplinks (it serves only what
// was published into it, so `@lite/*` can never come from anywhere else), storage in a folder of
// the caller's choice. Started only by the project's scripts: `pnpm run registry` (serve.mjs) and
// the packaging test.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runServer } from 'verdaccio';

/** The port `pnpm run registry` listens on unless LITE_REGISTRY_PORT or --port says otherwise. */
export const DEFAULT_PORT = 4873;

/** The registry URL of a port on 127.0.0.1 (with the trailing slash npm writes in its config). */
export function registryUrl(port = DEFAULT_PORT) {
  return `http://127.0.0.1:${port}/`;
}

/**
 * Starts verdaccio on 127.0.0.1:<port> with its storage in `storage` (created if needed).
 * Resolves once it accepts connections; `close()` stops it and resolves when it has stopped.
 * @param {{ port?: number, storage: string }} options
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startRegistry({ port = DEFAULT_PORT, storage }) {
  mkdirSync(join(storage, 'packages'), { recursive: true });
  const config = {
    self_path: join(storage, 'config.yaml'), // verdaccio resolves relative paths from here; no file is read
    storage: join(storage, 'packages'),
    auth: { htpasswd: { file: join(storage, 'htpasswd'), max_users: 100 } },
    uplinks: {},
    packages: {
      '@lite/*': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
      '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
    },
    // A runtime package is ~100 MB gzipped, sent base64 inside the publish document.
    max_body_size: '1000mb',
    web: { enable: false },
    log: { type: 'stdout', format: 'pretty', level: 'error' },
    server: { keepAliveTimeout: 60 },
  };
  const server = await runServer(config);
  await new Promise((resolve, reject) => {
    server.once('error', (err) => {
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} on 127.0.0.1 is in use (is a registry already running? LITE_REGISTRY_PORT picks another port)`) : e);
    });
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  const actual = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    url: registryUrl(actual),
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/**
 * Creates a user in the registry (verdaccio's htpasswd) and returns its token, the credential
 * `npm publish` sends (`//127.0.0.1:<port>/:_authToken=<token>` in an npmrc).
 * @param {string} url
 * @param {string} name
 */
export async function createUser(url, name = 'lite-release') {
  const password = `local-${process.pid}-${Date.now()}`;
  const res = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password, type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = /** @type {{ token?: string, error?: string }} */ (await res.json().catch(() => ({})));
  if (!res.ok || !body.token) throw new Error(`the registry at ${url} refused to create user ${name}: HTTP ${res.status} ${body.error ?? ''}`.trim());
  return body.token;
}

/**
 * Waits until a registry answers at `url` (verdaccio's /-/ping), for at most `timeoutMs`.
 * @param {string} url
 */
export async function waitForRegistry(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(new URL('-/ping', url));
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`no registry answers at ${url}: start one with \`pnpm run registry\``);
    await new Promise((r) => setTimeout(r, 250));
  }
}
