// The load tool's HTML report (`loadtest run … --html`), opened from its file with
// JavaScript disabled: self-contained (no script, nothing requested from anywhere), its
// figures equal to the JSON report of the same run, its charts drawn, a screenshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SHOTS, assertNone, launch } from './lib.mjs';

const HTML = process.env.REPORT_HTML || '';
const JSON_PATH = process.env.REPORT_JSON || '';

describe('loadtest HTML report (no JavaScript, opened from its file)', () => {
  let browser;
  let page;
  let json;
  const consoleErrors = [];

  before(async () => {
    assert.ok(HTML && JSON_PATH, 'REPORT_HTML and REPORT_JSON are not set: run through tests/browser/run');
    json = JSON.parse(readFileSync(JSON_PATH, 'utf8'));
    // A file's origin is "null": anything else it asked for would be aborted and listed.
    browser = await launch({ javaScriptEnabled: false, origin: 'null', viewport: { width: 1280, height: 900 } });
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const res = await page.goto('file://' + resolve(HTML), { waitUntil: 'load' });
    assert.ok(res === null || res.ok(), 'the report did not load');
  });

  after(async () => {
    await browser?.close();
  });

  test('it is one self-contained page', async () => {
    assert.equal(await page.locator('script').count(), 0);
    assert.equal(await page.locator('link, img, iframe').count(), 0);
    assert.ok((await page.locator('figure.chart svg').count()) >= 3);
  });

  test('its totals are the JSON report\'s', async () => {
    const ours = json.lines[0];
    const shown = Number(await page.locator('#summary td[data-answered]').first().getAttribute('data-answered'));
    assert.equal(shown, ours.answered);
    // The throughput chart plots every answer, second by second.
    const plotted = Number(await page.locator('#throughput').getAttribute('data-sum'));
    assert.equal(plotted, ours.answered);
    assert.equal(ours.per_second_series.reduce((n, s) => n + s.answered, 0), ours.answered);
    for (const [kind, figures] of Object.entries(ours.kinds)) {
      const row = page.locator(`#kinds tr[data-kind="${kind}"] td`);
      assert.equal(Number(await row.nth(1).textContent()), figures.answered, kind);
    }
    assert.equal(await page.locator('#kinds tr[data-kind]').count(), Object.keys(ours.kinds).length);
  });

  test('the stages are marked and every series drawn', async () => {
    const markers = await page.locator('#throughput line[stroke-dasharray]').count();
    assert.equal(markers, json.stage_ends_secs.filter((s) => s > 0 && s < json.lines[0].per_second_series.length).length);
    assert.ok(markers >= 1, 'no stage boundary marked');
    assert.ok((await page.locator('#latency polyline').count()) >= 4, 'p50, p90, p99 and max');
    assert.ok((await page.locator('#distribution polyline').count()) >= 1);
  });

  test('screenshot: the top of the report', async (t) => {
    assert.ok(SHOTS, 'IDOS_BROWSER_SHOTS_DIR is not set');
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, 'loadtest-report.png');
    await page.screenshot({ path: file });
    const size = statSync(file).size;
    t.diagnostic(`${file}: ${size} bytes`);
    assert.ok(size < 600_000, `${file} is ${size} bytes`);
  });

  test('no console error, and nothing requested from anywhere', () => {
    assertNone(consoleErrors, 'console errors');
    assertNone(browser.external, 'requests to other origins (aborted)');
  });
});
