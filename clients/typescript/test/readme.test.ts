// The README's example, run as written: test/generated/readme-example.ts is its code block
// copied verbatim (scripts/readme-example.mjs) and type-checked with the tests. It uses the
// defaults (http://127.0.0.1:8000, key "idos_sk_xxx"); this test checks that those are what
// it sends, and delivers its requests to the server under test with the test key.
import assert from "node:assert/strict";
import { it } from "node:test";
import { apiKey, baseUrl, client } from "./env.js";

it("the README example works as written", async () => {
  const real = globalThis.fetch;
  const sent: { url: string; auth: string | undefined }[] = [];
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = { ...(init?.headers as Record<string, string>) };
    sent.push({ url, auth: headers.Authorization });
    assert.ok(url.startsWith("http://127.0.0.1:8000/v1/"), url);
    headers.Authorization = `Bearer ${apiKey}`;
    return real(baseUrl + url.slice("http://127.0.0.1:8000".length), { ...init, headers });
  }) as typeof fetch;
  let ex: typeof import("./generated/readme-example.js");
  try {
    ex = await import("./generated/readme-example.js");
  } finally {
    globalThis.fetch = real;
  }
  assert.deepEqual(sent, [
    { url: "http://127.0.0.1:8000/v1/instances", auth: "Bearer idos_sk_xxx" },
    { url: `http://127.0.0.1:8000/v1/instances/${ex.instance.id}/process`, auth: "Bearer idos_sk_xxx" },
  ]);
  assert.equal(ex.instance.name, "Aria");
  assert.equal(ex.result.throttled, false);
  assert.equal(ex.result.snapshot.instanceId, ex.instance.id);
  assert.equal(ex.result.snapshot.cycle, 1);
  assert.ok(ex.result.contract.allowedActions.length > 0);
  const h = await client().engine.history(ex.instance.id);
  assert.equal(h.data[0]?.modeTarget, "EXPLORATION");
  assert.equal(h.data[0]?.signalStrength, 0.8);
});
