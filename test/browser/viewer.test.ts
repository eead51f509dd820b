// The viewer in a real browser: Debian's Chromium (headless, through playwright-core) against
// `simbridge up` started in this process on free ports. WebGL runs on SwiftShader (Chromium's CPU
// renderer) because of --disable-gpu; no extra flag is needed for three's WebGLRenderer.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUp, type Up } from '../../src/up/startUp.ts';
import { repoRoot } from '../cli/simbridge.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const VIEWPORT = { width: 1024, height: 640 };

/** The viewer's clear colour (SceneView BACKGROUND, 0x1b2029). */
const BACKGROUND = [0x1b, 0x20, 0x29];

interface ViewerHandle {
  project(x: number, y: number, z: number): { x: number; y: number };
  robotLoaded: boolean;
  renderedFrames: number;
  linkState: string;
  objects: string[];
}

declare global {
  interface Window {
    simbridgeViewer?: ViewerHandle;
  }
}

let up: Up;
let browser: Browser;
let page: Page;
const logs: string[] = [];
const pageErrors: string[] = [];
const outDir = mkdtempSync(join(tmpdir(), 'simbridge-viewer-'));

beforeAll(async () => {
  up = await startUp({ port: 0, rosbridgePort: 0, task: 'pick_place', seed: 0, log: (l) => logs.push(l) });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(up.url);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await up?.close();
});

/** A screenshot of the page, decoded. (Each costs seconds under SwiftShader: take few.) */
async function screenshot(): Promise<{ png: Buffer; image: ReturnType<typeof decode> }> {
  const png = await page.screenshot();
  return { png, image: decode(png) };
}

/** The [r, g, b] pixels of a rectangle (CSS pixels; the page's scale is 1) of a screenshot. */
function region(
  shot: { image: ReturnType<typeof decode> },
  r: { x: number; y: number; width: number; height: number },
): Array<[number, number, number]> {
  const { image } = shot;
  const out: Array<[number, number, number]> = [];
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(image.width, Math.ceil(r.x + r.width));
  const y1 = Math.min(image.height, Math.ceil(r.y + r.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * image.channels;
      out.push([image.data[i]!, image.data[i + 1]!, image.data[i + 2]!]);
    }
  }
  return out;
}

const differs = (a: readonly number[], b: readonly number[], by: number) =>
  Math.abs(a[0]! - b[0]!) > by || Math.abs(a[1]! - b[1]!) > by || Math.abs(a[2]! - b[2]!) > by;

/** Waits for the render loop to draw `n` more frames. */
async function framesPass(n: number): Promise<void> {
  const start = await page.evaluate(() => window.simbridgeViewer!.renderedFrames);
  await page.waitForFunction((s) => window.simbridgeViewer!.renderedFrames >= s, start + n, {
    timeout: 20_000,
  });
}

describe('the browser viewer on simbridge up', () => {
  it('draws the robot from /robot_description where its base stands', async () => {
    await page.waitForFunction(
      () => window.simbridgeViewer?.robotLoaded && window.simbridgeViewer.objects.length > 0,
      null,
      { timeout: 30_000 },
    );
    await framesPass(3);
    expect(await page.getByTestId('link').textContent()).toBe('connected');
    expect(await page.evaluate(() => window.simbridgeViewer!.objects)).toContain('gray_block');

    // The canvas is drawn (not one flat colour) ...
    const box = (await page.locator('#view canvas').boundingBox())!;
    const withRobot = await screenshot();
    const canvasPixels = region(withRobot, box);
    const nonBackground = canvasPixels.filter((p) => differs(p, BACKGROUND, 6)).length;
    expect(nonBackground / canvasPixels.length).toBeGreaterThan(0.3);

    // ... and the robot stands where its base projects: a 0.16 m square column from the table
    // to 0.2 m around world (0, 0) looks different with the robot hidden.
    const corners = await page.evaluate(() => {
      const v = window.simbridgeViewer!;
      const out = [];
      for (const x of [-0.08, 0.08])
        for (const y of [-0.08, 0.08]) for (const z of [0, 0.2]) out.push(v.project(x, y, z));
      return out;
    });
    const xs = corners.map((c) => box.x + c.x);
    const ys = corners.map((c) => box.y + c.y);
    const base = {
      x: Math.min(...xs),
      y: Math.min(...ys),
      width: Math.max(...xs) - Math.min(...xs),
      height: Math.max(...ys) - Math.min(...ys),
    };
    expect(base.width).toBeGreaterThan(20);
    await page.getByTestId('show-robot').uncheck();
    await framesPass(2);
    const withoutRobot = await screenshot();
    await page.getByTestId('show-robot').check();
    const a = region(withRobot, base);
    const b = region(withoutRobot, base);
    const robotPixels = a.filter((p, i) => differs(p, b[i]!, 24)).length;
    // The column's projection is wider than the base itself; the robot covers well over a quarter of it.
    expect(robotPixels / a.length).toBeGreaterThan(0.25);
  });

  it('runs a typed instruction after a reset until the status says succeeded', async () => {
    // Seed 18 of pick_place has a red block and a blue bowl.
    await page.getByTestId('task').selectOption('pick_place');
    await page.getByTestId('seed').fill('18');
    await page.getByTestId('reset').click();
    await page.waitForFunction(
      () => {
        const ids = window.simbridgeViewer!.objects;
        return ids.includes('red_block') && ids.includes('blue_bowl');
      },
      null,
      { timeout: 20_000 },
    );
    await expect.poll(() => page.getByTestId('policy-state').textContent()).toBe('idle');

    // Pause holds sim time still; resume lets it run on.
    await page.getByTestId('pause').click();
    await expect.poll(() => page.getByTestId('pause').textContent()).toBe('Resume');
    expect(up.sim.paused).toBe(true);
    const pausedAt = up.sim.env.timeSeconds;
    await framesPass(2);
    expect(up.sim.env.timeSeconds).toBe(pausedAt);
    await page.getByTestId('pause').click();
    await expect.poll(() => page.getByTestId('pause').textContent()).toBe('Pause');
    await expect.poll(() => up.sim.env.timeSeconds).toBeGreaterThan(pausedAt);

    await page.getByTestId('instruction').fill('put the red block in the blue bowl');
    await page.getByTestId('instruction').press('Enter');
    await page.waitForFunction(
      () => document.querySelector('[data-testid=policy-state]')?.textContent === 'running',
      null,
      { timeout: 20_000 },
    );
    await expect
      .poll(() => page.getByTestId('plan').locator('li').allTextContents())
      .toEqual(['pick red block', 'place red block on blue bowl']);
    await page.waitForFunction(
      () =>
        ['succeeded', 'failed'].includes(
          document.querySelector('[data-testid=policy-state]')?.textContent ?? '',
        ),
      null,
      { timeout: 45_000, polling: 200 },
    );
    expect(await page.getByTestId('policy-state').textContent()).toBe('succeeded');
    await framesPass(2);

    const { png } = await screenshot();
    writeFileSync(join(outDir, 'viewer.png'), png);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // The README's picture is refreshed only when asked: a test run leaves the tree clean.
    if (process.env['SIMBRIDGE_UPDATE_DOCS'] === '1') {
      mkdirSync(join(repoRoot, 'docs'), { recursive: true });
      writeFileSync(join(repoRoot, 'docs/viewer.png'), png);
    }
    expect(up.stats().policyRestarts).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
