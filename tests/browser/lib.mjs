// Shared by the tests: the server under test, Chromium, and a recorder of every request
// that would leave the server's origin (each one is aborted, so the pages must work
// offline, and the tests assert the list stays empty).
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through tests/browser/run`);
  return value;
}

/** The server's base URL (`http://127.0.0.1:PORT`), without a trailing slash. */
export const BASE = required('BASE').replace(/\/+$/, '');
/** The bootstrap API key (`idos_sk_…`). */
export const KEY = required('KEY');
export const ORIGIN = new URL(BASE).origin;
/** Where screenshots go (the run sets it; unset: none taken, and the screenshot test fails). */
export const SHOTS = process.env.IDOS_BROWSER_SHOTS_DIR || '';
export const CHROMIUM = process.env.IDOS_CHROMIUM || '/usr/bin/chromium';

/**
 * Starts Chromium with a fresh profile (a new temporary folder, removed on close).
 * Every request to another origin than `origin` (the server's API by default) is aborted
 * and kept in `external`.
 */
export async function launch({
  javaScriptEnabled = true,
  viewport = { width: 1400, height: 900 },
  origin: allowed = ORIGIN,
} = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'idos-chromium-'));
  // launchPersistentContext(profile) is `--user-data-dir=<profile>`, which launch() refuses in args.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    javaScriptEnabled,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const external = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let origin;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = '';
    }
    if (origin !== allowed) {
      external.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  return {
    context,
    external,
    errors,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A call to the server with the bearer key; resolves to { status, body (parsed or text) }. */
export async function api(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed };
}

/** A fresh instance (each operation gets its own, so the 1 s per-instance throttle never bites). */
export async function createInstance() {
  const { status, body } = await api('POST', '/v1/instances', { name: 'browser' });
  const id = body?.data?.id;
  if (status !== 201 && status !== 200) {
    throw new Error(`POST /v1/instances answered ${status}: ${JSON.stringify(body)}`);
  }
  if (typeof id !== 'string' || !id) throw new Error(`POST /v1/instances gave no data.id: ${JSON.stringify(body)}`);
  return id;
}

let documentPromise;
/** /openapi.json, fetched once. */
export function openapi() {
  documentPromise ??= fetch(BASE + '/openapi.json').then(async (res) => {
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
    return res.json();
  });
  return documentPromise;
}

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation of the document, in its order: { method, path, op, parameters }. */
export function operations(doc) {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      // Path-level parameters apply unless the operation overrides them (same name and place).
      const own = (op.parameters ?? []).map((p) => deref(doc, p));
      const inherited = (item.parameters ?? [])
        .map((p) => deref(doc, p))
        .filter((p) => !own.some((o) => o.name === p.name && o.in === p.in));
      out.push({ method, path, op, parameters: [...own, ...inherited] });
    }
  }
  return out;
}

/** Follows a local `$ref` (`#/…`) to what it names; anything else is returned as is. */
export function deref(doc, value) {
  let v = value;
  for (let i = 0; i < 20 && v && typeof v.$ref === 'string' && v.$ref.startsWith('#/'); i++) {
    v = v.$ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((node, key) => node?.[key], doc);
  }
  return v;
}

/** Cuts a long text for a message. */
export function clip(text, max = 1500) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

/** Fails with one readable list (at most `max` lines shown) when `problems` is not empty. */
export function assertNone(problems, title, max = 60) {
  if (!problems.length) return;
  const shown = problems.slice(0, max).map((p) => `  - ${p}`);
  if (problems.length > max) shown.push(`  … and ${problems.length - max} more`);
  assert.fail(`${title}: ${problems.length}\n${shown.join('\n')}`);
}
