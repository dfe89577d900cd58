// The reference page at /redoc: rendered by the server, complete without JavaScript.
// Its contract, checked against /openapi.json:
//   - no <script>; loaded with JavaScript disabled;
//   - a <nav> of in-page links, and every in-page link on the page leads to an existing id;
//   - a section id="op-<operationId>" per operation, linked from the nav, /v1 before /sdk;
//   - a section id="schema-<Name>" per component schema, with a table of its properties;
//   - every $ref to a component schema shown as a link to its section;
//   - Markdown rendered (no backtick left in <main>, <code> in descriptions);
//   - each operation's parameters in <table class="params"> with their name and type;
//   - the nav stays in view beside the content when scrolled to the bottom (1400×900).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, SHOTS, assertNone, deref, launch, openapi, operations } from './lib.mjs';

const SCHEMA_REF = /^#\/components\/schemas\/(.+)$/;

/** Every component schema named by a `$ref` anywhere in the document. */
function referencedSchemas(doc) {
  const names = new Set();
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') {
      const m = SCHEMA_REF.exec(node.$ref);
      if (m) names.add(m[1].replace(/~1/g, '/').replace(/~0/g, '~'));
    }
    Object.values(node).forEach(walk);
  };
  walk(doc);
  return [...names];
}

/** The word a parameter's type shows: `type` (the non-null one of a list), after a `$ref`. */
function typeWords(doc, schema) {
  const s = deref(doc, schema ?? {});
  const types = Array.isArray(s?.type) ? s.type : s?.type ? [s.type] : [];
  return types.filter((t) => t !== 'null');
}

/** The backticked spans of a Markdown text. */
function codeSpans(markdown) {
  return [...String(markdown ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1].trim()).filter(Boolean);
}

const word = (w) => new RegExp(`(^|[^A-Za-z0-9_])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`);

describe('reference page at /redoc (no JavaScript)', () => {
  let browser;
  let page;
  let doc;
  let ops;

  before(async () => {
    doc = await openapi();
    ops = operations(doc);
    browser = await launch({ javaScriptEnabled: false, viewport: { width: 1400, height: 900 } });
    page = await browser.context.newPage();
    // Every element the tests look for is in the HTML as served: none needs waiting for.
    page.setDefaultTimeout(5_000);
    const res = await page.goto(`${BASE}/redoc`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200, 'GET /redoc status');
  });

  after(async () => {
    await browser?.close();
  });

  test('has no <script> element', async () => {
    assert.equal(await page.locator('script').count(), 0, '<script> elements on the page');
  });

  test('has a <nav> of in-page links, and every in-page link leads to an existing id', async () => {
    assert.ok((await page.locator('nav').count()) > 0, 'no <nav> element');
    assert.ok((await page.locator('nav a[href^="#"]').count()) > 0, 'the <nav> has no in-page link');
    const broken = await page.evaluate(() =>
      [...document.querySelectorAll('a[href^="#"]')]
        .map((a) => decodeURIComponent(a.getAttribute('href').slice(1)))
        .filter((id) => !document.getElementById(id)),
    );
    assertNone([...new Set(broken)], 'in-page links to ids that do not exist');
  });

  test('every operation has a section op-<operationId>, linked from the nav, /v1 before /sdk', async () => {
    assert.ok(ops.length > 0, 'the document has no operation');
    const problems = [];
    for (const { method, path, op } of ops) {
      const name = `${method.toUpperCase()} ${path}`;
      if (!op.operationId) {
        problems.push(`${name}: no operationId in the document`);
        continue;
      }
      const id = `op-${op.operationId}`;
      if ((await page.locator(`[id="${id}"]`).count()) !== 1) problems.push(`${name}: no single element id="${id}"`);
      if ((await page.locator(`nav a[href="#${id}"]`).count()) === 0) problems.push(`${name}: the nav has no link to #${id}`);
    }
    assertNone(problems, 'operations missing from the page');

    // Document order of the sections, against the paths of their operations.
    const pathOf = new Map(ops.map((o) => [`op-${o.op.operationId}`, o.path]));
    const order = await page.evaluate(() => [...document.querySelectorAll('[id^="op-"]')].map((e) => e.id));
    const paths = order.filter((id) => pathOf.has(id)).map((id) => pathOf.get(id));
    assert.ok(paths.length > 0, 'no operation section found');
    assert.ok(paths[0].startsWith('/v1/'), `the first operation section is for ${paths[0]}, not a /v1 one`);
    const firstSdk = paths.findIndex((p) => p.startsWith('/sdk/'));
    const lastV1 = paths.findLastIndex((p) => p.startsWith('/v1/'));
    assert.ok(
      firstSdk === -1 || lastV1 < firstSdk,
      `a /v1 operation (${paths[lastV1]}, section ${lastV1 + 1}) comes after a /sdk one (${paths[firstSdk]}, section ${firstSdk + 1})`,
    );
  });

  test('every component schema has a section schema-<Name>, with one table row per property', async () => {
    const schemas = Object.entries(doc.components?.schemas ?? {});
    assert.ok(schemas.length > 0, 'the document has no component schema');
    const problems = [];
    for (const [name, schema] of schemas) {
      const section = page.locator(`[id="schema-${name}"]`);
      const n = await section.count();
      if (n !== 1) {
        problems.push(`${name}: ${n} elements id="schema-${name}"`);
        continue;
      }
      const props = Object.keys(schema.properties ?? {});
      if (props.length === 0) continue; // enums, oneOf, allOf: their values or variants
      const rows = await page.evaluate((id) => {
        const el = document.getElementById(id);
        const table = el.querySelector('table');
        if (!table) return null;
        const pieces = (cell) => {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          const out = [];
          while (walker.nextNode()) out.push(walker.currentNode.nodeValue);
          return out.join(' ').replace(/\s+/g, ' ').trim();
        };
        return [...table.rows]
          .filter((r) => r.parentElement.tagName !== 'THEAD' && [...r.cells].some((c) => c.tagName === 'TD'))
          .map((r) => pieces(r.cells[0]));
      }, `schema-${name}`);
      if (rows === null) {
        problems.push(`${name}: no <table> in its section`);
        continue;
      }
      if (rows.length !== props.length) {
        problems.push(`${name}: ${rows.length} rows for ${props.length} properties (${props.join(', ')}): first cells ${JSON.stringify(rows)}`);
      }
      const missing = props.filter((p) => !rows.some((cell) => word(p).test(cell)));
      if (missing.length) problems.push(`${name}: no row whose first cell names ${missing.join(', ')}`);
    }
    assertNone(problems, 'schema sections');
  });

  test('every $ref to a component schema is shown as a link to its section', async () => {
    const names = referencedSchemas(doc);
    assert.ok(names.length > 0, 'the document has no $ref to a component schema');
    // Outside the nav: a $ref is shown where it is used, not only listed in the index.
    const linked = new Set(
      await page.evaluate(() =>
        [...document.querySelectorAll('a[href^="#schema-"]')]
          .filter((a) => !a.closest('nav'))
          .map((a) => a.getAttribute('href').slice('#schema-'.length)),
      ),
    );
    const missing = names.filter((n) => !linked.has(n));
    assertNone(missing, 'referenced schemas with no a[href="#schema-<Name>"] outside the nav');
  });

  test('Markdown is rendered: no backtick in <main>, <code> in descriptions', async () => {
    assert.equal(await page.locator('main').count(), 1, 'one <main> element');
    const text = await page.locator('main').evaluate((m) => m.textContent);
    const at = text.indexOf('`');
    assert.equal(at, -1, `a backtick in <main>: …${text.slice(Math.max(0, at - 80), at + 80)}…`);
    // Each code span of an operation's description is a <code> in that operation's section.
    const problems = [];
    let spans = 0;
    for (const { method, path, op } of ops) {
      const wanted = codeSpans(op.description);
      if (!wanted.length || !op.operationId) continue;
      spans += wanted.length;
      const codes = await page.evaluate((id) => {
        const el = document.getElementById(id);
        return el && [...el.querySelectorAll('code')].map((c) => c.textContent.replace(/\s+/g, ' ').trim());
      }, `op-${op.operationId}`);
      if (codes === null) {
        problems.push(`${method.toUpperCase()} ${path}: no section op-${op.operationId}`);
        continue;
      }
      for (const w of wanted) {
        if (!codes.includes(w.replace(/\s+/g, ' '))) problems.push(`${method.toUpperCase()} ${path}: no <code>${w}</code>`);
      }
    }
    assert.ok(spans > 0, 'no operation description of the document has a code span (nothing to check)');
    assertNone(problems, 'code spans of descriptions not rendered as <code>');
  });

  test('each operation lists its parameters in <table class="params"> with name and type', async () => {
    const problems = [];
    let checked = 0;
    for (const { method, path, op, parameters } of ops) {
      if (!parameters.length || !op.operationId) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const rows = await page.evaluate((id) => {
        const el = document.getElementById(id);
        if (!el) return null;
        // A cell's text nodes apart, so `<code>id</code><em>path</em>` reads "id path", not "idpath".
        const pieces = (cell) => {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          const out = [];
          while (walker.nextNode()) out.push(walker.currentNode.nodeValue);
          return out.join(' ').replace(/\s+/g, ' ').trim();
        };
        return [...el.querySelectorAll('table.params')].flatMap((t) =>
          [...t.rows]
            .filter((r) => r.parentElement.tagName !== 'THEAD' && [...r.cells].some((c) => c.tagName === 'TD'))
            .map((r) => ({
              first: pieces(r.cells[0]),
              text: [...r.cells].map(pieces).join(' | '),
              links: [...r.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
            })),
        );
      }, `op-${op.operationId}`);
      if (rows === null) {
        problems.push(`${name}: no section op-${op.operationId}`);
        continue;
      }
      if (!rows.length) {
        problems.push(`${name}: no <table class="params"> row in its section`);
        continue;
      }
      for (const p of parameters) {
        checked++;
        const row = rows.find((r) => word(p.name).test(r.first));
        if (!row) {
          problems.push(`${name}: no params row for ${p.in} parameter ${p.name}`);
          continue;
        }
        const types = typeWords(doc, p.schema);
        const ref = SCHEMA_REF.exec(p.schema?.$ref ?? '');
        const shows = types.some((t) => word(t).test(row.text)) || (ref && row.links.includes(`#schema-${ref[1]}`));
        if (types.length && !shows) {
          problems.push(`${name}: the row of ${p.name} does not show its type ${types.join('|')}${ref ? ` (nor link #schema-${ref[1]})` : ''}: "${row.text}"`);
        }
      }
    }
    assertNone(problems, 'parameter tables');
    assert.ok(checked > 0, 'no operation parameter was checked');
  });

  test('the nav stays in view beside the content at the bottom of the page (1400×900)', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const m = await page.evaluate(() => {
      const nav = document.querySelector('nav');
      const main = document.querySelector('main');
      const r = nav?.getBoundingClientRect();
      const c = main?.getBoundingClientRect();
      const style = nav && getComputedStyle(nav);
      return {
        scrollY: window.scrollY,
        innerHeight: window.innerHeight,
        innerWidth: window.innerWidth,
        nav: r && { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height },
        main: c && { left: c.left, right: c.right },
        visible: style ? style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0 : false,
      };
    });
    assert.ok(m.nav, 'no <nav>');
    assert.ok(m.main, 'no <main>');
    assert.ok(m.scrollY > 0, `the page did not scroll (scrollY ${m.scrollY}): it is not taller than the window`);
    assert.ok(m.visible, 'the nav is hidden');
    assert.ok(m.nav.width > 0 && m.nav.height > 0, `the nav has no size: ${JSON.stringify(m.nav)}`);
    assert.ok(
      m.nav.top < m.innerHeight && m.nav.bottom > 0 && m.nav.left < m.innerWidth && m.nav.right > 0,
      `the nav is out of view at the bottom of the page: ${JSON.stringify(m.nav)} in ${m.innerWidth}×${m.innerHeight}`,
    );
    assert.ok(
      m.nav.right <= m.main.left + 1 || m.nav.left >= m.main.right - 1,
      `the nav is not beside <main>: nav ${JSON.stringify(m.nav)}, main ${JSON.stringify(m.main)}`,
    );
  });

  test('screenshot: the top of the page', async (t) => {
    assert.ok(SHOTS, 'IDOS_BROWSER_SHOTS_DIR is not set');
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, 'reference.png');
    await page.screenshot({ path: file });
    const size = statSync(file).size;
    t.diagnostic(`${file}: ${size} bytes`);
    assert.ok(size < 600_000, `${file} is ${size} bytes`);
  });

  test('no request left the server (the page works offline)', () => {
    assertNone(browser.external, 'requests to other origins (aborted)');
  });
});
