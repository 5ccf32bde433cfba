import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The Debian package's browser: playwright cannot download its own here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags that keep a test browser quiet and local: no GPU, no sandbox (tests run as root), and no
 * background traffic (updates, sync, QUIC probes) leaving the loopback.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab; console errors and failed page scripts are collected in `pageErrors`. */
  newPage(): Promise<Page>;
  /** Uncaught errors thrown by the pages' own scripts (a console that crashed is a failed test). */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile folder, removed again on close. A persistent context is
 * how playwright takes a profile folder of our choosing (it refuses `--user-data-dir` in args).
 */
export async function startChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'signalbox-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: options.viewport ?? { width: 1280, height: 900 },
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const pageErrors: string[] = [];
  const watch = (page: Page) => page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
  context.on('page', watch);
  context.pages().forEach(watch);
  return {
    context,
    pageErrors,
    newPage: () => context.newPage(),
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** What a screenshot holds, measured by the browser's own PNG decoder. */
export interface ImageStats {
  readonly width: number;
  readonly height: number;
  /**
   * Pixels below `fromY` that differ from the page background (the colour of the pixel at the
   * left edge on row `fromY`), as a share of all pixels below `fromY`.
   */
  readonly inkRatio: number;
  /** Distinct colours among a sample of pixels: a blank or one-colour image has one or two. */
  readonly colours: number;
}

interface BrowserGlobals {
  Image: new () => { src: string; naturalWidth: number; naturalHeight: number; decode(): Promise<void> };
  document: {
    createElement(tag: 'canvas'): {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        drawImage(image: unknown, x: number, y: number): void;
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      } | null;
    };
  };
}

/**
 * Decodes a PNG in a blank tab (no page script, no network) and measures it, so a test can tell
 * a rendered page from an empty or error-only one.
 */
export async function imageStats(browser: TestBrowser, png: Buffer, fromY = 0): Promise<ImageStats> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ([base64, top]: [string, number]) => {
        // This runs in the browser; the project compiles without the DOM's types, so name what is used.
        const dom = globalThis as unknown as BrowserGlobals;
        const image = new dom.Image();
        image.src = `data:image/png;base64,${base64}`;
        await image.decode();
        const canvas = dom.document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d');
        if (!context) throw new Error('no 2d canvas');
        context.drawImage(image, 0, 0);
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        const first = top * canvas.width * 4;
        const background = [data[first], data[first + 1], data[first + 2]];
        let ink = 0;
        const colours = new Set<number>();
        const pixels = data.length / 4;
        for (let i = top * canvas.width; i < pixels; i++) {
          const r = data[i * 4]!;
          const g = data[i * 4 + 1]!;
          const b = data[i * 4 + 2]!;
          if (r !== background[0] || g !== background[1] || b !== background[2]) ink++;
          if (i % 7 === 0) colours.add((r << 16) | (g << 8) | b);
        }
        const counted = pixels - top * canvas.width;
        return {
          width: canvas.width,
          height: canvas.height,
          inkRatio: counted > 0 ? ink / counted : 0,
          colours: colours.size,
        };
      },
      [png.toString('base64'), fromY] as [string, number],
    );
  } finally {
    await page.close();
  }
}
