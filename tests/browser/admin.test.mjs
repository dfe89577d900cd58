// The admin status page at /admin/ on the admin listener: server-rendered, no script,
// nothing loaded from elsewhere, refreshing itself, showing what /admin/actors says.
//   - loaded with JavaScript disabled: no <script>, a refresh <meta>, no console error;
//   - its resident count (#resident, #max-resident) equals /admin/actors' at that moment;
//   - the eight charts as inline SVG, the activity of the traffic sent before as lines;
//   - the failing-instances section and the effective configuration table;
//   - the data API serves no /admin/ route;
//   - a screenshot (admin-status.png).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, SHOTS, api, assertNone, createInstance, launch } from './lib.mjs';

const ADMIN = (process.env.ADMIN || '').replace(/\/+$/, '');

async function actors() {
  const res = await fetch(ADMIN + '/admin/actors');
  assert.equal(res.status, 200);
  return (await res.json()).data;
}

describe('admin status page at /admin/ (no JavaScript)', () => {
  let browser;
  let page;
  const consoleErrors = [];

  before(async () => {
    assert.ok(ADMIN, 'ADMIN is not set: run the tests through tests/browser/run');
    // Traffic for the charts: instances made resident, cycles (and throttled calls).
    for (let i = 0; i < 5; i++) {
      const id = await createInstance();
      for (let j = 0; j < 3; j++) {
        const r = await api('POST', `/v1/instances/${id}/process`, {
          mode_target: 'EXPLORATION',
          signal_strength: 0.7,
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    }
    // The sampler takes one point a second: a few seconds make lines.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    browser = await launch({ javaScriptEnabled: false, origin: new URL(ADMIN).origin });
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
  });

  test('it loads whole without scripts and refreshes itself', async () => {
    const res = await page.goto(ADMIN + '/admin/', { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^text\/html/);
    assert.equal(await page.locator('script').count(), 0);
    const refresh = await page.locator('meta[http-equiv="refresh"]').getAttribute('content');
    assert.ok(Number(refresh) > 0 && Number(refresh) <= 10, `refresh every ${refresh} s`);
  });

  test('it shows the resident count /admin/actors gives', async () => {
    // Nothing passivates within the test (300 s idle timeout): the two reads agree.
    const expected = await actors();
    await page.reload({ waitUntil: 'load' });
    assert.equal(Number(await page.locator('#resident').textContent()), expected.resident);
    assert.equal(Number(await page.locator('#max-resident').textContent()), expected.max_resident);
    assert.ok(expected.resident >= 5, `only ${expected.resident} resident`);
  });

  test('the charts are inline SVG with the traffic drawn', async () => {
    const charts = page.locator('figure.chart svg');
    assert.equal(await charts.count(), 8);
    const captions = await page.locator('figure.chart figcaption').allTextContents();
    for (const title of [
      'Requests per second',
      'Request latency p99',
      'Resident actors',
      'Actors per second',
      'Throttled calls per second',
      'Group commit size',
      'Group commit latency p99',
      'Mailbox depth',
    ]) {
      assert.ok(captions.some((c) => c.startsWith(title)), `no chart "${title}" in ${captions}`);
    }
    const requestLine = page.locator('figure.chart', { hasText: 'Requests per second' }).locator('polyline');
    assert.ok((await requestLine.count()) >= 1, 'no requests line');
  });

  test('the failing instances and the effective configuration are listed', async () => {
    const text = await page.locator('body').textContent();
    assert.match(text, /Failing instances/);
    assert.match(text, /Restart policy: 3 immediate restarts/);
    const rows = await page.locator('table tr', { hasText: 'actors.max_resident' }).allTextContents();
    assert.equal(rows.length, 1);
    assert.match(rows[0], /100000/);
  });

  test('the data API serves no admin page', async () => {
    const res = await fetch(BASE + '/admin/');
    assert.equal(res.status, 404);
  });

  test('screenshot: the top of the page', async (t) => {
    assert.ok(SHOTS, 'IDOS_BROWSER_SHOTS_DIR is not set');
    await page.setViewportSize({ width: 1280, height: 900 });
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, 'admin-status.png');
    await page.screenshot({ path: file });
    const size = statSync(file).size;
    t.diagnostic(`${file}: ${size} bytes`);
    assert.ok(size < 600_000, `${file} is ${size} bytes`);
  });

  test('no console error, and no request left the admin listener', () => {
    assertNone(consoleErrors, 'console errors');
    assertNone(browser.external, 'requests to other origins (aborted)');
  });
});
