// Input validation of the HTTP server. The inference function is injected here on purpose:
// these tests are about rejecting bad requests with 4xx before anything reaches the engine.
// The real engine is exercised in server-engine.test.ts and browser.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inference } from '../src/engine.js';
import { PIXELS } from '../src/heldout.js';
import { inkToPng } from '../src/image.js';
import { startServer, type RunningServer } from '../src/server.js';

let srv: RunningServer;
let calls = 0;

beforeAll(async () => {
  srv = await startServer({
    maxBodyBytes: 64 * 1024,
    maxImageSide: 512,
    classify: async (input: Float32Array): Promise<Inference> => {
      calls++;
      expect(input.length).toBe(PIXELS);
      const prob = new Float32Array(10).fill(0.01);
      prob[4] = 0.91;
      return { prob, ms: 0.1 };
    },
  });
});
afterAll(async () => {
  await srv.close();
});

async function post(body: string | Uint8Array, type: string): Promise<Response> {
  const payload = typeof body === 'string' ? body : new Uint8Array(body);
  return fetch(`${srv.url}/api/classify`, { method: 'POST', headers: { 'content-type': type }, body: payload });
}

describe('server input validation', () => {
  it('serves the page and the script', async () => {
    const page = await fetch(`${srv.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<canvas id="pad"');
    const js = await fetch(`${srv.url}/app.js`);
    expect(js.status).toBe(200);
  });

  it('404 for unknown paths, 405 for wrong methods', async () => {
    expect((await fetch(`${srv.url}/nope`)).status).toBe(404);
    const get = await fetch(`${srv.url}/api/classify`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${srv.url}/`, { method: 'DELETE' })).status).toBe(405);
  });

  it('400 for an engine this server does not run (it runs only its default classify)', async () => {
    const pixels = JSON.stringify({ pixels: new Array<number>(PIXELS).fill(0) });
    const before = calls;
    for (const engine of ['mindspore', 'both', 'nope']) {
      const r = await fetch(`${srv.url}/api/classify?engine=${engine}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pixels });
      expect(r.status, engine).toBe(400);
      expect((await r.json()).error).toMatch(/engine/);
    }
    expect(calls).toBe(before);
  });

  it('415 for other content types', async () => {
    const r = await post('hello', 'text/plain');
    expect(r.status).toBe(415);
    expect((await r.json()).error).toMatch(/image\/png/);
  });

  it('413 for bodies over the limit', async () => {
    const r = await post(new Uint8Array(65 * 1024), 'image/png');
    expect(r.status).toBe(413);
  });

  it('400 for bad JSON, wrong length, out-of-range or non-numeric pixels', async () => {
    expect((await post('{not json', 'application/json')).status).toBe(400);
    expect((await post('[]', 'application/json')).status).toBe(400);
    expect((await post(JSON.stringify({ pixels: [1, 2, 3] }), 'application/json')).status).toBe(400);
    const big = new Array<number>(PIXELS).fill(0);
    big[10] = 1.5;
    expect((await post(JSON.stringify({ pixels: big }), 'application/json')).status).toBe(400);
    const neg = new Array<number>(PIXELS).fill(0);
    neg[0] = -0.1;
    expect((await post(JSON.stringify({ pixels: neg }), 'application/json')).status).toBe(400);
    const str = new Array<unknown>(PIXELS).fill(0);
    str[5] = '0.5';
    expect((await post(JSON.stringify({ pixels: str }), 'application/json')).status).toBe(400);
    expect((await post('', 'application/json')).status).toBe(400);
  });

  it('400 for broken or oversized PNGs, 422 for a blank drawing', async () => {
    expect((await post(Buffer.from('definitely not a png, just text.............'), 'image/png')).status).toBe(400);
    const png = Buffer.from(inkToPng(new Float32Array(16).fill(1), 4, 4));
    const truncated = png.subarray(0, png.length - 20);
    expect((await post(truncated, 'image/png')).status).toBe(400);
    const huge = Buffer.from(png);
    huge.writeUInt32BE(4096, 16);
    const r = await post(huge, 'image/png');
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/each side/);
    expect((await post(inkToPng(new Float32Array(100), 10, 10), 'image/png')).status).toBe(422);
  });

  it('still answers valid requests after all that (no crash) and reports top-3', async () => {
    const before = calls;
    const r = await post(JSON.stringify({ pixels: new Array<number>(PIXELS).fill(0.2) }), 'application/json');
    expect(r.status).toBe(200);
    const body = (await r.json()) as { top: { digit: number }[]; prob: number[]; input: number[] };
    expect(body.top.map((t) => t.digit)[0]).toBe(4);
    expect(body.top).toHaveLength(3);
    expect(body.prob).toHaveLength(10);
    expect(body.input).toHaveLength(PIXELS);
    expect(calls).toBe(before + 1);
  });
});
