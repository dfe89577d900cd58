// What the SDK sends and how it maps answers, against a local fake `fetch` (no server):
// the wire mapping in detail, and the errors a healthy test server does not give (503, 500,
// non-JSON bodies, no answer at all).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConnectionError,
  DEFAULT_BASE_URL,
  IdentityOS,
  IdentityOSError,
  Mode,
  RateLimitError,
  ServiceUnavailableError,
} from "@identity-os/sdk";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function fake(answer: (req: Seen) => Response | Promise<Response>): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const req: Seen = {
      url: String(input),
      method: init?.method ?? "GET",
      headers,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    };
    seen.push(req);
    return answer(req);
  };
  return { fetch: f as typeof fetch, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("requests (fake fetch)", () => {
  it("default baseUrl, /v1 prefix, bearer key, camelCase → snake_case; opaque fields untouched", async () => {
    const { fetch, seen } = fake(() => json(200, { data: { snapshot: { instance_id: "inst_1", mode_strengths: { stress_response: 0.5 } } } }));
    const c = new IdentityOS({ apiKey: "idos_sk_test", fetch });
    assert.equal(c.baseUrl, DEFAULT_BASE_URL);
    assert.equal(DEFAULT_BASE_URL, "http://127.0.0.1:8000");
    const r = await c.engine.process("inst_1", {
      modeTarget: Mode.STRESS_RESPONSE,
      signalStrength: 0.5,
      context: { someKey: { inner_key: 1 } },
    });
    assert.deepEqual(seen[0], {
      url: "http://127.0.0.1:8000/v1/instances/inst_1/process",
      method: "POST",
      headers: { accept: "application/json", authorization: "Bearer idos_sk_test", "content-type": "application/json" },
      body: { mode_target: "STRESS_RESPONSE", signal_strength: 0.5, context: { someKey: { inner_key: 1 } } },
    });
    // Answer keys camelCased, mode-keyed maps untouched.
    assert.deepEqual(r.snapshot as unknown, { instanceId: "inst_1", modeStrengths: { stress_response: 0.5 } });
  });

  it("baseUrl: trailing slash and /v1 tolerated; path ids encoded; query snake_cased, undefined dropped", async () => {
    const { fetch, seen } = fake(() => json(200, { data: [], pagination: { limit: 20, offset: 0, total: 0, has_more: false, next_cursor: null } }));
    const c = new IdentityOS({ apiKey: "k", baseUrl: "http://example.test:9/v1/", fetch, headers: { "X-Extra": "1" } });
    assert.equal(c.baseUrl, "http://example.test:9");
    const page = await c.instances.list({ sort: "created_at", order: "asc", limit: 5, user: undefined });
    assert.deepEqual(page.pagination, { limit: 20, offset: 0, total: 0, hasMore: false, nextCursor: null });
    assert.equal(seen[0]?.url, "http://example.test:9/v1/instances?sort=created_at&order=asc&limit=5");
    assert.equal(seen[0]?.headers["x-extra"], "1");
    await c.engine.history("a/b?c", { limit: 1 }).catch(() => {});
    assert.equal(seen[1]?.url, "http://example.test:9/v1/instances/a%2Fb%3Fc/history?limit=1");
    await c.instances.delete("inst_x", { purge: true }).catch(() => {});
    assert.equal(seen[2]?.url, "http://example.test:9/v1/instances/inst_x?purge=true");
    assert.equal(seen[2]?.method, "DELETE");
  });

  it("create: nested camelCase (initialConfig.energyLevel, cycleCap) → snake_case; metadata and modeStrengths keys kept", async () => {
    const { fetch, seen } = fake(() => json(201, { data: { id: "inst_1" } }));
    const c = new IdentityOS({ apiKey: "k", fetch });
    await c.instances.create({
      name: "n",
      initialConfig: { energyLevel: 0.5, modeStrengths: { stress_response: 0.1 } },
      metadata: { camelKey: "v", snake_key: "w" },
      cycleCap: 3,
    });
    assert.deepEqual(seen[0]?.body, {
      name: "n",
      initial_config: { energy_level: 0.5, mode_strengths: { stress_response: 0.1 } },
      metadata: { camelKey: "v", snake_key: "w" },
      cycle_cap: 3,
    });
  });

  it("X-Request-Id sent when asked", async () => {
    const { fetch, seen } = fake(() => json(200, { data: {} }));
    await new IdentityOS({ apiKey: "k", fetch }).engine.contract("inst_1", { requestId: "rid-1" });
    assert.equal(seen[0]?.headers["x-request-id"], "rid-1");
  });

  it("an empty apiKey is refused at construction", () => {
    assert.throws(() => new IdentityOS({ apiKey: "" }), TypeError);
  });
});

describe("errors (fake fetch)", () => {
  const failing = async (res: () => Response): Promise<IdentityOSError> => {
    const c = new IdentityOS({ apiKey: "k", fetch: fake(res).fetch });
    const e = await c.instances.get("inst_1").then(() => assert.fail("no error"), (e: unknown) => e);
    assert.ok(e instanceof IdentityOSError);
    return e;
  };

  it("503 → ServiceUnavailableError, retryAfter from the Retry-After header", async () => {
    const e = await failing(() =>
      json(503, { error: "unavailable", message: "storage unreachable" }, { "retry-after": "7", "x-request-id": "req_1" }),
    );
    assert.ok(e instanceof ServiceUnavailableError);
    assert.equal(e.name, "ServiceUnavailableError");
    assert.deepEqual(
      { status: e.status, code: e.code, message: e.message, details: e.details, requestId: e.requestId, retryAfter: e.retryAfter },
      { status: 503, code: "unavailable", message: "storage unreachable", details: null, requestId: "req_1", retryAfter: 7 },
    );
  });

  it("429: retry_after of the body first, else the header (seconds or a date)", async () => {
    const body = await failing(() => json(429, { error: "quota_exceeded", message: "m", retry_after: 120 }, { "retry-after": "5" }));
    assert.ok(body instanceof RateLimitError);
    assert.equal(body.code, "quota_exceeded");
    assert.equal(body.retryAfter, 120);
    const header = await failing(() => json(429, { error: "rate_limit_exceeded", message: "m" }, { "retry-after": "5" }));
    assert.equal(header.retryAfter, 5);
    const date = await failing(() =>
      json(429, { error: "rate_limit_exceeded", message: "m" }, { "retry-after": new Date(Date.now() + 30_000).toUTCString() }),
    );
    assert.ok(date.retryAfter !== null && date.retryAfter >= 28 && date.retryAfter <= 31, String(date.retryAfter));
  });

  it("details camelCased; other statuses → the base class", async () => {
    const e = await failing(() => json(500, { error: "internal_error", message: "a bug", details: { field: "x_y", reason: "r" } }));
    assert.equal(e.constructor, IdentityOSError);
    assert.equal(e.status, 500);
    assert.deepEqual(e.details, { field: "x_y", reason: "r" });
    assert.deepEqual(e.body, { error: "internal_error", message: "a bug", details: { field: "x_y", reason: "r" } });
  });

  it("a non-JSON error body still gives a typed error", async () => {
    const e = await failing(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    assert.equal(e.status, 502);
    assert.equal(e.code, "http_502");
    assert.equal(e.message, "Bad Gateway");
    assert.equal(e.body, "<html>bad gateway</html>");
  });

  it("a 2xx body without data → invalid_response", async () => {
    const e = await failing(() => json(200, { nope: 1 }));
    assert.equal(e.code, "invalid_response");
  });

  it("no answer → ConnectionError; timeout → ConnectionError `timeout`; the caller's abort → its reason", async () => {
    const down = new IdentityOS({
      apiKey: "k",
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    });
    const e = await down.personas.list().then(() => assert.fail(), (e: unknown) => e);
    assert.ok(e instanceof ConnectionError);
    assert.equal(e.code, "connection_error");
    assert.equal(e.status, 0);

    const hang: typeof fetch = (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const slow = new IdentityOS({ apiKey: "k", fetch: hang, timeoutMs: 50 });
    const t = await slow.personas.list().then(() => assert.fail(), (e: unknown) => e);
    assert.ok(t instanceof ConnectionError);
    assert.equal(t.code, "timeout");

    const ctl = new AbortController();
    const p = new IdentityOS({ apiKey: "k", fetch: hang }).personas.list({ signal: ctl.signal });
    const reason = new Error("stop");
    ctl.abort(reason);
    await assert.rejects(p, (x: unknown) => x === reason);
  });
});
