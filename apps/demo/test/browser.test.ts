// The web page in a real browser (Debian's chromium, driven by playwright-core), served by the real
// server on the real engines, as `lite-demo serve` runs them (MegEngine Lite on a LiteNetworkPool,
// MindSpore Lite on a ModelParallelRunner): draw a digit with mouse strokes, pick the engine,
// classify, check the predicted class in each engine's panel.
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitPool } from '../src/engine.js';
import { MsDigitRunner } from '../src/engine-mindspore.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startServer, type RunningServer } from '../src/server.js';
import { tempDir } from './helpers.js';

const CHROMIUM = process.env['LITE_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(PACKAGE_ROOT, 'test-artifacts');
const skip = process.env['LITE_SKIP_BROWSER'] === '1';

let pool: DigitPool;
let runner: MsDigitRunner;
let srv: RunningServer;
let ctx: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  if (skip) return;
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: run tools/setup-extra.sh (apt-get install chromium), set LITE_CHROMIUM, or LITE_SKIP_BROWSER=1`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  pool = await DigitPool.create({ size: 1 });
  runner = MsDigitRunner.create({ size: 1 });
  srv = await startServer({
    classify: (x) => pool.classify(x),
    engines: { megengine: (x) => pool.classify(x), mindspore: (x) => runner.classify(x) },
    info: {
      threads: 1,
      engines: {
        megengine: { runtime: 'MegEngine Lite (test)', model: 'mnist.mge', serving: 'LiteNetworkPool of 1' },
        mindspore: { runtime: 'MindSpore Lite (test)', model: 'mnist.mindir', serving: 'ModelParallelRunner of 1' },
      },
    },
  });
  profile = tempDir('lite-demo-chromium-');
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 900, height: 640 },
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${srv.url}/`);
}, 90_000);

afterAll(async () => {
  await ctx?.close();
  await srv?.close();
  await pool?.dispose();
  await runner?.dispose();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** Draws polylines (in canvas pixels, 280x280) with the mouse. */
async function draw(strokes: [number, number][][]): Promise<void> {
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('canvas not visible');
  const sx = box.width / 280;
  const sy = box.height / 280;
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    if (!first) continue;
    await page.mouse.move(box.x + first[0] * sx, box.y + first[1] * sy);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x * sx, box.y + y * sy, { steps: 12 });
    await page.mouse.up();
  }
}

type Engine = 'megengine' | 'mindspore' | 'both';
const panel = (engine: 'megengine' | 'mindspore'): string => `#panel-${engine}`;

/** Draws on a cleared pad with the engine picked, classifies, returns each panel's digit. */
async function classifyDrawing(name: string, engine: Engine, strokes: [number, number][][]): Promise<{ megengine: string; mindspore: string }> {
  await page.check(`input[name="engine"][value="${engine}"]`);
  await page.click('#clear');
  await expect.poll(() => page.textContent(`${panel('megengine')} .prediction`), { timeout: 10_000 }).toBe('');
  await draw(strokes);
  await page.click('#classify');
  await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('done');
  await page.screenshot({ path: path.join(ARTIFACTS, `browser-${name}-${engine}.png`) });
  return {
    megengine: (await page.textContent(`${panel('megengine')} .prediction`)) ?? '',
    mindspore: (await page.textContent(`${panel('mindspore')} .prediction`)) ?? '',
  };
}

const ONE: [number, number][][] = [
  [
    [135, 45],
    [140, 140],
    [143, 240],
  ],
];
const SEVEN: [number, number][][] = [
  [
    [70, 55],
    [210, 55],
    [175, 130],
    [130, 245],
  ],
];

describe.skipIf(skip)('the drawing page in chromium', () => {
  it('shows the page with the engine choice and both engines in the info line', async () => {
    await expect.poll(() => page.textContent('#info'), { timeout: 10_000 }).toContain('MindSpore Lite (test)');
    expect(await page.textContent('#info')).toContain('MegEngine Lite (test)');
    expect(await page.title()).toContain('lite-demo');
    expect(await page.isVisible('#engines')).toBe(true);
    expect(await page.isChecked('input[name="engine"][value="both"]')).toBe(true);
  });

  it('recognizes a "1" on both engines side by side, and says they agree', async () => {
    const digits = await classifyDrawing('one', 'both', ONE);
    expect(digits).toEqual({ megengine: '1', mindspore: '1' });
    for (const e of ['megengine', 'mindspore'] as const) {
      expect(await page.locator(`${panel(e)} .bars .bar`).count()).toBe(3);
      expect(await page.textContent(`${panel(e)} .timing`)).toMatch(/inference [\d.]+ ms/);
    }
    expect(await page.textContent('#agreement')).toMatch(/the engines agree · max probability difference \d\.\de-\d+/);
  });

  it('recognizes a "7" on MindSpore Lite alone (the MegEngine panel stays empty)', async () => {
    const digits = await classifyDrawing('seven', 'mindspore', SEVEN);
    expect(digits).toEqual({ megengine: '', mindspore: '7' });
    expect(await page.getAttribute(panel('megengine'), 'class')).toContain('off');
  });

  it('recognizes a "7" on MegEngine Lite alone', async () => {
    const digits = await classifyDrawing('seven', 'megengine', SEVEN);
    expect(digits).toEqual({ megengine: '7', mindspore: '' });
  });

  it('re-classifies the same drawing when the engine choice changes', async () => {
    await page.check('input[name="engine"][value="both"]');
    // the change event sends the drawing again; the MindSpore panel fills when the answer arrives
    await expect.poll(() => page.textContent(`${panel('mindspore')} .prediction`), { timeout: 20_000 }).toBe('7');
    await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('done');
    expect(await page.textContent(`${panel('megengine')} .prediction`)).toBe('7');
  });
});

describe.skipIf(skip)('the page when the server runs MegEngine Lite only (no MindSpore runtime)', () => {
  let one: RunningServer | undefined;
  afterAll(async () => {
    await one?.close();
  });

  it('offers only MegEngine Lite and classifies with it', async () => {
    one = await startServer({
      classify: (x) => pool.classify(x),
      engines: { megengine: (x) => pool.classify(x) },
      info: { engines: { megengine: { runtime: 'MegEngine Lite (test)', model: 'mnist.mge', serving: 'LiteNetworkPool of 1' } } },
    });
    await page.goto(`${one.url}/`);
    await expect.poll(() => page.isDisabled('input[name="engine"][value="both"]'), { timeout: 10_000 }).toBe(true);
    expect(await page.isDisabled('input[name="engine"][value="mindspore"]')).toBe(true);
    expect(await page.isChecked('input[name="engine"][value="megengine"]')).toBe(true);
    await page.click('#clear');
    await draw(ONE);
    await page.click('#classify');
    await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('done');
    expect(await page.textContent(`${panel('megengine')} .prediction`)).toBe('1');
    expect(await page.textContent(`${panel('mindspore')} .prediction`)).toBe('');
  });
});
