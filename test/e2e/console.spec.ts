import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { TokenRegistry } from '../../src/api/tokens/token-registry.js';
import { parseBindings } from '../../src/domain/config/index.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { recordBindings } from '../../src/workers/record-config.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from '../integration/support/engine.js';
import { imageStats, startChromium, type TestBrowser } from '../support/chromium.js';
import { tempDir } from '../support/temp-dir.js';

// The operator's 3 a.m. path, in a real browser against the real API and a real engine: a File
// send port whose folder is missing suspends every message; the folder is made; the operator
// finds the message in the console, resumes it, and watches it become sent.

/** The navigation bar's height in CSS pixels (the screenshots are at device scale 1). */
const NAV_HEIGHT = 60;
const SHOTS = join(process.cwd(), 'test-results', 'console');
/** A file name that is HTML: it becomes the FILE.ReceivedFileName property, shown by the console. */
const HOSTILE_NAME = '<img src=x onerror="window.pwned=1">.xml';
const HOSTILE_BODY = '<script>window.pwned=2</script><b id="injected">bold?</b>';

const root = tempDir('console');
const inbox = join(root.path, 'inbox');
const outbox = join(root.path, 'outbox');
const batchInbox = join(root.path, 'batch-in');
const archive = join(root.path, 'archive');
let engine: TestEngine;
let api: { app: FastifyInstance; url: string };
let browser: TestBrowser;
let token: string;
/** The message the operator resumes, and the hostile one that stays suspended until the last test. */
let plainId: string;
let hostileId: string;

const bindings = {
  receiveLocations: [
    { name: 'inbox', receivePort: 'orders', adapter: 'file', config: { folder: inbox, pollIntervalMs: 50 } },
    { name: 'batch-in', receivePort: 'batches', adapter: 'file', config: { folder: batchInbox, pollIntervalMs: 50 } },
  ],
  sendPorts: [
    {
      name: 'outbox',
      adapter: 'file',
      // No createFolder: until the folder exists every send fails, and with no retries it is suspended.
      config: { folder: outbox, fileName: '%SourceFileName%' },
      filter: "BTS.ReceivePortName == 'orders'",
      retry: { count: 0, intervalMs: 100 },
    },
    {
      name: 'archive',
      adapter: 'file',
      config: { folder: archive, fileName: '%SourceFileName%' },
      filter: "BTS.ReceivePortName == 'batches'",
      retry: { count: 0, intervalMs: 100 },
    },
  ],
};

function fileNameOf(event: RecordedEvent): unknown {
  const data = event.data as { context?: { promoted?: Record<string, unknown> } };
  return data.context?.promoted?.['FILE.ReceivedFileName'];
}

beforeAll(async () => {
  mkdirSync(inbox, { recursive: true });
  mkdirSync(batchInbox, { recursive: true });
  mkdirSync(SHOTS, { recursive: true });
  engine = await startTestEngine(root.path, bindings, 'main', { operatorViews: true });
  // What `signalbox start` records: the configuration as events, so its history has an actor.
  await recordBindings(engine.store, parseBindings(bindings), 'user:setup');
  // The API as `signalbox start --api` runs it, over the engine's store, blobs and views.
  const app = await buildApi({
    store: engine.store,
    blobs: await LocalBlobStore.open(join(root.path, 'blobs')),
    dataDir: root.path,
    log: false,
  });
  api = { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
  ({ token } = await new TokenRegistry(engine.store).issue('night-shift', 'operator', 'user:setup'));

  writeFileSync(join(inbox, 'order-1.xml'), '<order id="1"/>');
  writeFileSync(join(inbox, HOSTILE_NAME), HOSTILE_BODY);
  const received = await eventually(async () => {
    const events = await engine.messageEvents();
    const suspended = events.filter((e) => e.type === 'MessageSuspended').length;
    return suspended === 2 && events.filter((e) => e.type === 'MessageReceived');
  }, 30_000);
  plainId = received.find((e) => fileNameOf(e) === 'order-1.xml')!.streamId.replace(/^message-/, '');
  hostileId = received.find((e) => fileNameOf(e) === HOSTILE_NAME)!.streamId.replace(/^message-/, '');
  browser = await startChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.app.close();
  await engine?.stop();
  root.cleanup();
});

async function signIn(page: Page, as = token): Promise<void> {
  await page.goto(`${api.url}/console/`);
  await page.fill('#token', as);
  await page.click('#sign-in button[type=submit]');
  await rendered(page, '#search-form');
}

/** Waits for a page's key element; when the page shows an error or nothing, fails with its text. */
async function rendered(page: Page, selector: string): Promise<void> {
  const shown = await page
    .waitForSelector(`${selector}, #main .notice-error`, { timeout: 20_000 })
    .then(() => true)
    .catch(() => false);
  if (!shown || (await page.locator(selector).count()) === 0) {
    const errors = browser.pageErrors.length > 0 ? `; page errors: ${browser.pageErrors.join(' | ')}` : '';
    throw new Error(`${selector} did not appear; the page shows: ${await page.textContent('#main')}${errors}`);
  }
}

const statusOf = (page: Page) => page.textContent('#message-detail .badge');

describe('web console (headless Chromium, real API, real engine)', () => {
  it('refuses a wrong token, then an operator finds the suspended message, resumes it, and sees it sent', async () => {
    const page = await browser.newPage();
    await page.goto(`${api.url}/console/`);
    await page.fill('#token', 'sbt_not-a-token');
    await page.click('#sign-in button[type=submit]');
    await expect.poll(() => page.textContent('#sign-in-status')).toContain('not valid');

    await page.fill('#token', token);
    await page.click('#sign-in button[type=submit]');
    await rendered(page, '#search-form');

    // The navigation says at once that something is suspended.
    await expect.poll(() => page.textContent('#suspended-count')).toBe('2');
    // Find it: the suspended queue, grouped by error.
    await page.click('#nav >> text=Suspended');
    const group = page.locator('#groups tr[data-group="FILE_FOLDER_MISSING"]');
    await group.waitFor();
    expect(await group.locator('td').nth(1).textContent()).toBe('2');
    await group.locator('a.open-group').click();
    const row = page.locator(`#suspended-items tr[data-message-id="${plainId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('outbox');

    // The cause is fixed, then the operator resumes the message from its page.
    mkdirSync(outbox);
    await row.locator(`a[href="#/message/${plainId}"]`).click();
    await rendered(page, '#timeline');
    expect(await statusOf(page)).toBe('suspended');
    await page.click('#resume');
    await expect.poll(() => page.textContent('#action-status'), { timeout: 15_000 }).toContain('Resumed');
    // The page follows the message on its own until it is sent.
    await expect.poll(() => statusOf(page), { timeout: 30_000, interval: 250 }).toBe('sent');
    await expect
      .poll(() => page.locator('#timeline').textContent(), { timeout: 15_000 })
      .toMatch(/MessageResumed.*token:night-shift[\s\S]*MessageSent/);
    expect(await page.locator('#sends tr[data-port="outbox"] .badge').textContent()).toBe('sent');

    // The store agrees: resumed by the token's actor, then sent, and the file is there.
    const events = (await engine.messageEvents()).filter((e) => e.streamId === `message-${plainId}`);
    expect(events.map((e) => e.type)).toEqual([
      'MessageReceived',
      'SendClaimed',
      'SendFailed',
      'MessageSuspended',
      'MessageResumed',
      'SendClaimed',
      'MessageSent',
    ]);
    expect(events.find((e) => e.type === 'MessageResumed')!.metadata.actor).toBe('token:night-shift');
    expect(writtenFiles(outbox)).toContain('order-1.xml');
    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });

  it('shows a hostile body and property as text: nothing in them runs or becomes markup', async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.goto(`${api.url}/console/#/message/${hostileId}`);
    await rendered(page, '#body-text');
    await rendered(page, '#properties-promoted');
    expect(await page.textContent('#body-text')).toBe(HOSTILE_BODY);
    const nameCell = page.locator('#properties-promoted tr', { hasText: 'FILE.ReceivedFileName' });
    expect(await nameCell.textContent()).toContain(HOSTILE_NAME);
    expect(await page.locator('#main img').count()).toBe(0);
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined();
    // Defence in depth: the browser is told to run the console's own scripts only.
    const response = await page.request.get(`${api.url}/console/`);
    expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });

  it('screenshots of the main pages, each with its key content rendered', async () => {
    const page = await browser.newPage();
    await signIn(page);
    // What a page that did not render looks like: the navigation bar and one error line.
    await page.goto(`${api.url}/console/#/no-such-page`);
    await rendered(page, '#main .notice-error');
    const empty = await imageStats(browser, await page.screenshot({ fullPage: true }), NAV_HEIGHT);
    expect(empty.inkRatio).toBeLessThan(0.1);

    const shoot = async (name: string) => {
      const path = join(SHOTS, `${name}.png`);
      const png = await page.screenshot({ path, fullPage: true });
      // Measured below the navigation bar, which every page has, rendered or not.
      const stats = await imageStats(browser, png, NAV_HEIGHT);
      // The full width (nothing overflows sideways), far more drawn than on the empty page, and
      // text, borders and badges in many colours.
      expect(stats.width, name).toBe(1280);
      expect(stats.height, name).toBeGreaterThanOrEqual(900);
      expect(stats.inkRatio, name).toBeGreaterThan(Math.max(0.15, 3 * empty.inkRatio));
      expect(stats.colours, name).toBeGreaterThan(50);
      expect(existsSync(path)).toBe(true);
    };

    await page.goto(`${api.url}/console/#/search`);
    await rendered(page, 'table.messages');
    expect(await page.locator('table.messages tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('table.messages')).toContain(hostileId);
    await shoot('search');

    await page.goto(`${api.url}/console/#/message/${hostileId}`);
    await rendered(page, '#body-text');
    expect(await page.locator('#timeline tbody tr').count()).toBeGreaterThanOrEqual(4);
    expect(await page.textContent('#timeline')).toContain('MessageSuspended');
    expect(await page.textContent('#properties-promoted')).toContain('BTS.ReceivePortName');
    await shoot('detail');

    await page.goto(`${api.url}/console/#/suspended?by=port&key=outbox`);
    await rendered(page, `#suspended-items tr[data-message-id="${hostileId}"]`);
    expect(await page.textContent('#groups')).toContain('outbox');
    await shoot('suspended');

    await page.goto(`${api.url}/console/#/replay?status=suspended`);
    await page.click('#replay-dry-run');
    await rendered(page, '#replay-items');
    const wouldReplay = page.locator('#replay-items tr[data-status="would-replay"]', { hasText: hostileId });
    expect(await wouldReplay.count()).toBe(1);
    expect(await page.textContent('#replay-result')).toContain('nothing was written');
    await shoot('replay');

    await page.goto(`${api.url}/console/#/leases?resource=dispatcher`);
    await rendered(page, '#leases');
    await rendered(page, '#lease-changes');
    expect(await page.textContent('#leases')).toContain('dispatcher');
    expect(await page.textContent('#lease-changes')).toContain('acquired');
    await shoot('leases');

    await page.goto(`${api.url}/console/#/config`);
    await rendered(page, '#config-changes');
    expect(await page.textContent('#config-changes')).toContain('user:setup');
    expect(await page.textContent('#config-changes')).toContain('outbox');
    await shoot('config');

    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });

  it('resumes a whole port’s suspended messages by query, after a dry run says how many', async () => {
    writeFileSync(join(batchInbox, 'batch-1.xml'), '<batch n="1"/>');
    writeFileSync(join(batchInbox, 'batch-2.xml'), '<batch n="2"/>');
    const archived = await eventually(async () => {
      const suspended = (await engine.messageEvents()).filter(
        (e) => e.type === 'MessageSuspended' && (e.data as { port?: string }).port === 'archive',
      );
      return suspended.length === 2 && suspended.map((e) => e.streamId);
    }, 30_000);
    const page = await browser.newPage();
    await signIn(page);
    await page.goto(`${api.url}/console/#/suspended?by=port`);
    const group = page.locator('#groups tr[data-group="archive"]');
    await group.waitFor();
    expect(await group.locator('td').nth(1).textContent()).toBe('2');
    await group.locator('a.open-group').click();
    await rendered(page, '#suspended-items');

    mkdirSync(archive);
    await page.click('#bulk-resume');
    await expect.poll(() => page.textContent('#bulk-preview')).toContain('would act on 2 message(s) of port archive');
    // The dry run wrote nothing: the two messages still end with their suspension.
    const lastTypes = async () => {
      const last = new Map<string, string>();
      for (const e of await engine.messageEvents()) last.set(e.streamId, e.type);
      return archived.map((id) => last.get(id));
    };
    expect(await lastTypes()).toEqual(['MessageSuspended', 'MessageSuspended']);
    await page.click('#bulk-resume-confirm');
    await expect.poll(() => page.textContent('#bulk-status'), { timeout: 15_000 }).toContain('Resumed 2 message(s).');

    // Both are sent: the console's search says so (searching again until it does), and so does the store.
    await page.goto(`${api.url}/console/#/search?port=archive&portStatus=sent`);
    await expect
      .poll(
        async () => {
          await page.click('#search-form button[type=submit]');
          await rendered(page, '#search-results table, #search-results .notice');
          return page.locator('table.messages tbody tr').count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(2);
    const sent = (await engine.messageEvents()).filter(
      (e) => e.type === 'MessageSent' && (e.data as { port?: string }).port === 'archive',
    );
    expect(sent.map((e) => e.streamId).sort()).toEqual([...archived].sort());
    expect(await lastTypes()).toEqual(['MessageSent', 'MessageSent']);
    expect(writtenFiles(archive).sort()).toEqual(['batch-1.xml', 'batch-2.xml']);
    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });

  it('replays a sent message to another port from its page: dry run first, then the copy is sent', async () => {
    const original = (await engine.messageEvents())
      .find((e) => e.type === 'MessageReceived' && fileNameOf(e) === 'batch-1.xml')!
      .streamId.replace(/^message-/, '');
    const page = await browser.newPage();
    await signIn(page);
    await page.goto(`${api.url}/console/#/message/${original}`);
    await rendered(page, '#timeline');
    await page.click('#replay-link');
    await rendered(page, '#replay-form');
    expect(await page.inputValue('#replay-ids')).toBe(original);
    await page.selectOption('#replay-to-port', 'outbox');
    const before = (await engine.messageEvents()).length;
    await page.click('#replay-dry-run');
    await rendered(page, '#replay-items');
    expect(await page.textContent('#replay-result')).toContain('1 copy would be sent; nothing was written');
    expect(await page.locator('#replay-items tr[data-status="would-replay"]').textContent()).toContain('outbox');
    // The dry run wrote nothing (no copy's stream, no event at all in the message streams).
    expect((await engine.messageEvents()).length).toBe(before);

    await page.click('#replay-confirm');
    const replayed = page.locator('#replay-items tr[data-status="replayed"]');
    await replayed.waitFor();
    const copy = (await replayed.locator('td').nth(2).textContent())!;
    await replayed.locator('td').nth(2).locator('a').click();
    await rendered(page, '#timeline');
    expect(await page.textContent('#message-id')).toBe(copy);
    await expect.poll(() => statusOf(page), { timeout: 30_000, interval: 250 }).toBe('sent');
    expect(await page.textContent('#message-detail')).toContain(original);

    const types = (await engine.messageEvents()).filter((e) => e.streamId === `message-${copy}`).map((e) => e.type);
    expect(types).toEqual(['MessageReceived', 'MessageReplayed', 'SendClaimed', 'MessageSent']);
    expect(writtenFiles(outbox)).toContain('batch-1.xml');
    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });

  it('lets a viewer look but not resume, and says why; signing out forgets the token', async () => {
    const viewer = (await new TokenRegistry(engine.store).issue('auditor', 'viewer', 'user:setup')).token;
    const page = await browser.newPage();
    await signIn(page, viewer);
    await page.goto(`${api.url}/console/#/message/${hostileId}`);
    await rendered(page, '#timeline');
    await page.click('#resume');
    await expect.poll(() => page.textContent('#action-status')).toContain('FORBIDDEN');
    expect(await page.textContent('#action-status')).toContain('operator');
    expect(
      (await engine.messageEvents()).some((e) => e.streamId === `message-${hostileId}` && e.type === 'MessageResumed'),
    ).toBe(false);

    await page.click('#sign-out');
    await rendered(page, '#sign-in');
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length,
      ),
    ).toBe(0);
    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });

  it('terminates the ticked messages of a group, with the operator’s reason recorded', async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.goto(`${api.url}/console/#/suspended?by=error&key=FILE_FOLDER_MISSING`);
    const row = page.locator(`#suspended-items tr[data-message-id="${hostileId}"]`);
    await row.waitFor();
    await row.locator('input.pick').check();
    await page.fill('#bulk-reason', 'bad file name, sender asked to resend');
    await page.click('#terminate-selected');
    await expect.poll(() => page.textContent('#bulk-status'), { timeout: 15_000 }).toContain('Terminated 1.');
    await expect.poll(() => page.textContent('#suspended-groups')).toContain('Nothing is suspended');
    const terminated = (await engine.messageEvents()).find(
      (e) => e.streamId === `message-${hostileId}` && e.type === 'MessageTerminated',
    );
    expect(terminated?.metadata.actor).toBe('token:night-shift');
    expect(JSON.stringify(terminated?.data)).toContain('bad file name, sender asked to resend');
    expect(browser.pageErrors).toEqual([]);
    await page.close();
  });
});
