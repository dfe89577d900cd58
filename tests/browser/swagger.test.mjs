// Swagger UI at /docs/, driven as a person would: Authorize with the key, then every
// operation that takes a request body is tried with its default example body untouched
// (path parameters filled with a fresh instance's id) and must answer 2xx.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, KEY, SHOTS, assertNone, clip, createInstance, launch, openapi, operations } from './lib.mjs';

const ACTION_MS = 15_000;

/** The block of one operation: its method's class and its path (`data-path` is the raw template). */
function block(page, method, path) {
  return page
    .locator(`.opblock.opblock-${method}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path.replace(/"/g, '\\"')}"]`) })
    .first();
}

/** JSON on one line (as it was when it is not JSON). */
function compact(text) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return String(text).replace(/\s+/g, ' ').trim();
  }
}

/** What to type into a path parameter of an operation, or why there is nothing to type. */
async function pathValue(path, name) {
  // /v1/instances/{id}/… and /sdk/v1/instances/{id}/…: the document says "Instance id (`inst_…`)"
  // for both, and the SDK routes serve the instances of /v1.
  if (new RegExp(`/instances/\\{${name}\\}(/|$)`).test(path)) return { value: await createInstance() };
  return { error: `no value known for the path parameter {${name}}` };
}

describe('Swagger UI at /docs/', () => {
  let browser;
  let page;
  let doc;
  const bodyOps = [];
  const defaultBodies = new Map(); // "METHOD path" -> the body Swagger UI filled in

  before(async () => {
    doc = await openapi();
    for (const o of operations(doc)) if (o.op.requestBody) bodyOps.push(o);
    browser = await launch({ viewport: { width: 1400, height: 1000 } });
    page = await browser.context.newPage();
    page.setDefaultTimeout(ACTION_MS);
    const res = await page.goto(`${BASE}/docs/`);
    assert.equal(res?.status(), 200, 'GET /docs/ status');
    await page.locator('.opblock').first().waitFor();
  });

  after(async () => {
    await browser?.close();
  });

  test('shows a block for every operation of /openapi.json', async () => {
    const missing = [];
    for (const { method, path } of operations(doc)) {
      if ((await block(page, method, path).count()) === 0) missing.push(`${method.toUpperCase()} ${path}`);
    }
    assertNone(missing, 'operations without a block in Swagger UI');
  });

  test('Authorize: the bearer key is accepted through the dialog', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    await modal.waitFor();
    await modal.locator('input#auth-bearer-value').fill(KEY);
    await modal.locator('button[type=submit]', { hasText: 'Authorize' }).click();
    // Once authorized, the dialog shows "Authorized" and a Logout button instead of the field.
    await modal.getByText('Authorized', { exact: true }).waitFor();
    await modal.locator('button', { hasText: 'Logout' }).waitFor();
    await modal.locator('button.btn-done').click();
    await modal.waitFor({ state: 'detached' });
    assert.ok(
      (await page.locator('.auth-wrapper button.authorize.locked').count()) > 0,
      'the Authorize button does not show the locked padlock',
    );
  });

  test('every operation with a request body answers 2xx to its default example', async () => {
    assert.ok(bodyOps.length > 0, 'the document has no operation with a requestBody');
    assert.ok(bodyOps.some((o) => o.path.startsWith('/v1/')), 'no /v1 operation with a body');
    assert.ok(bodyOps.some((o) => o.path.startsWith('/sdk/')), 'no /sdk operation with a body');
    const failures = [];
    for (const { method, path, op, parameters } of bodyOps) {
      const name = `${method.toUpperCase()} ${path} (${op.operationId ?? 'no operationId'})`;
      // The path parameters' values first, through fetch: a fresh instance for each.
      const values = {};
      const problems = [];
      for (const p of parameters.filter((p) => p.in === 'path')) {
        try {
          const { value, error } = await pathValue(path, p.name);
          if (error) problems.push(error);
          else values[p.name] = value;
        } catch (e) {
          problems.push(`no instance for {${p.name}}: ${clip(e.message, 500)}`);
        }
      }
      if (problems.length) {
        failures.push(`${name}: ${problems.join('; ')}`);
        continue;
      }
      const el = block(page, method, path);
      try {
        await el.scrollIntoViewIfNeeded();
        if (!(await el.evaluate((e) => e.classList.contains('is-open')))) {
          await el.locator('.opblock-summary-control').click();
        }
        await el.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
        const textarea = el.locator('textarea.body-param__text');
        await textarea.waitFor();
        const body = await textarea.inputValue(); // the default example, left as it is
        defaultBodies.set(`${method.toUpperCase()} ${path}`, body);
        for (const [param, value] of Object.entries(values)) {
          await el.locator(`tr[data-param-name="${param}"][data-param-in="path"] input`).fill(value);
        }
        await el.locator('button.execute').click();
        const row = el.locator('.live-responses-table tbody tr.response').first();
        await row.waitFor();
        // The cell holds the code, and "Undocumented" under it when the document lists no such code.
        const cell = (await row.locator('.response-col_status').innerText()).trim();
        const status = cell.split(/\s+/)[0];
        if (!/^2\d\d$/.test(status)) {
          const shown = row.locator('.response-col_description .highlight-code pre');
          const text = (await shown.count())
            ? await shown.first().innerText()
            : await row.locator('.response-col_description').innerText();
          failures.push(
            `${name}: status ${cell.replace(/\s+/g, ' ')}\n` +
              `      body sent: ${clip(compact(body), 700)}\n` +
              `      response shown: ${clip(compact(text), 1500)}`,
          );
        }
      } catch (e) {
        failures.push(`${name}: the UI could not be driven: ${clip(e.message, 800)}`);
      }
      // Closed again: Swagger UI re-renders every open block on each change, so a page with
      // all of them open (and their highlighted responses) gets slower with each operation.
      try {
        if (await el.evaluate((e) => e.classList.contains('is-open'))) {
          await el.locator('.opblock-summary-control').click();
          await el.locator('.opblock-body').waitFor({ state: 'detached' });
        }
      } catch {
        // a block that does not close only costs time
      }
    }
    assertNone(failures, `operations (of ${bodyOps.length} with a request body) that failed in Swagger UI`);
  });

  test('the default body of PATCH on an instance does not set cycle_cap to 0', () => {
    const patches = [...defaultBodies.keys()].filter((k) => /^PATCH \/(sdk\/)?v1\/instances\/\{[^}]+\}$/.test(k));
    assert.ok(
      patches.some((k) => k.startsWith('PATCH /v1/')),
      `no default body was read for PATCH /v1/instances/{…} (read: ${[...defaultBodies.keys()].join(', ') || 'none'})`,
    );
    for (const k of patches) {
      const body = JSON.parse(defaultBodies.get(k));
      assert.notEqual(body.cycle_cap, 0, `${k}: the default body sets cycle_cap to 0: ${defaultBodies.get(k)}`);
    }
  });

  test('screenshot: Swagger UI with two operations expanded', async (t) => {
    assert.ok(SHOTS, 'IDOS_BROWSER_SHOTS_DIR is not set');
    const shot = await browser.context.newPage();
    try {
      // A tall window, not the whole page: every expanded /v1 block lists its 4xx answers,
      // and the whole page runs to tens of thousands of pixels.
      await shot.setViewportSize({ width: 1400, height: 1600 });
      await shot.goto(`${BASE}/docs/`);
      await shot.locator('.opblock').first().waitFor();
      for (const [method, path] of [
        ['post', '/v1/instances'],
        ['post', '/v1/instances/{id}/process'],
      ]) {
        const el = block(shot, method, path);
        await el.locator('.opblock-summary-control').click();
        await el.locator('.opblock-body').waitFor();
      }
      await shot.evaluate(() => window.scrollTo(0, 0));
      mkdirSync(SHOTS, { recursive: true });
      const file = join(SHOTS, 'swagger-ui.png');
      await shot.screenshot({ path: file });
      const size = statSync(file).size;
      t.diagnostic(`${file}: ${size} bytes`);
      assert.ok(size < 600_000, `${file} is ${size} bytes`);
    } finally {
      await shot.close();
    }
  });

  test('no request left the server (the page works offline)', () => {
    assertNone(browser.external, 'requests to other origins (aborted)');
  });
});
