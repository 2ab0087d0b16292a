// The web page in a real browser (Debian's chromium, driven by playwright-core), served by the real
// server on the real engine: draw a digit with mouse strokes, classify, check the predicted class.
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitClassifier } from '../src/engine.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startServer, type RunningServer } from '../src/server.js';
import { tempDir } from './helpers.js';

const CHROMIUM = process.env['LITE_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(PACKAGE_ROOT, 'test-artifacts');
const skip = process.env['LITE_SKIP_BROWSER'] === '1';

let clf: DigitClassifier;
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
  clf = await DigitClassifier.create();
  srv = await startServer({ classify: (x) => clf.classify(x), info: { runtime: 'test', threads: 1 } });
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
  clf?.dispose();
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

async function classifyDrawing(name: string, strokes: [number, number][][]): Promise<string> {
  await page.click('#clear');
  await expect.poll(() => page.textContent('#prediction')).toBe('');
  await draw(strokes);
  await page.click('#classify');
  await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toBe('done');
  const digit = (await page.textContent('#prediction')) ?? '';
  await page.screenshot({ path: path.join(ARTIFACTS, `browser-${name}.png`) });
  return digit;
}

describe.skipIf(skip)('the drawing page in chromium', () => {
  it('shows the page with the canvas and the model info', async () => {
    await expect.poll(() => page.textContent('#info')).toContain('thread');
    expect(await page.title()).toContain('lite-demo');
  });

  it('recognizes a "1" drawn with the mouse', async () => {
    const digit = await classifyDrawing('one', [
      [
        [135, 45],
        [140, 140],
        [143, 240],
      ],
    ]);
    expect(digit).toBe('1');
    expect(await page.locator('#bars .bar').count()).toBe(3);
    expect(await page.textContent('#timing')).toMatch(/inference [\d.]+ ms/);
  });

  it('recognizes a "7" drawn with the mouse', async () => {
    const digit = await classifyDrawing('seven', [
      [
        [70, 55],
        [210, 55],
        [175, 130],
        [130, 245],
      ],
    ]);
    expect(digit).toBe('7');
  });
});
