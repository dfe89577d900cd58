// The typed errors, provoked on the real server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  IdentityOSError,
  Mode,
  NotFoundError,
  RateLimitError,
} from "@identity-os/sdk";
import { client, freeKey } from "./env.js";

const c = client();

async function failure(p: Promise<unknown>): Promise<IdentityOSError> {
  const e = await p.then(() => assert.fail("the call succeeded"), (e: unknown) => e);
  assert.ok(e instanceof IdentityOSError, `not an IdentityOSError: ${String(e)}`);
  assert.ok(e instanceof Error);
  assert.match(e.requestId ?? "", /.+/, "requestId from X-Request-Id");
  assert.ok(e.message.length > 0);
  return e;
}

describe("typed errors (live)", () => {
  it("401 → AuthenticationError (a bad key); requestId echoes the one sent", async () => {
    const bad = client("idos_sk_" + "0".repeat(32));
    const e = await failure(bad.instances.list({}, { requestId: "req-ts-sdk-401" }));
    assert.ok(e instanceof AuthenticationError);
    assert.equal(e.name, "AuthenticationError");
    assert.equal(e.status, 401);
    assert.equal(e.code, "unauthorized");
    assert.equal(e.requestId, "req-ts-sdk-401");
  });

  it("404 → NotFoundError (an unknown id)", async () => {
    const e = await failure(c.instances.get("inst_0000000000000000"));
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.status, 404);
    assert.equal(e.code, "not_found");
    assert.equal(e.retryAfter, null);
  });

  it("400 → BadRequestError with details.field", async () => {
    const e = await failure(c.instances.create({ name: "   " }));
    assert.ok(e instanceof BadRequestError);
    assert.equal(e.status, 400);
    assert.equal(e.code, "invalid_request");
    assert.equal(e.details?.field, "name");
    const i = await c.instances.create({ name: "x" });
    const e2 = await failure(c.engine.process(i.id, { modeTarget: Mode.ORDER, signalStrength: 1.5 }));
    assert.ok(e2 instanceof BadRequestError);
    assert.equal(e2.details?.field, "signal_strength");
    assert.equal(e2.details?.reason, "out_of_range");
  });

  it("409 → ConflictError (processing a stopped instance)", async () => {
    const i = await c.instances.create({ name: "stopped" });
    await c.instances.stop(i.id);
    const e = await failure(c.engine.process(i.id, { modeTarget: Mode.IDENTITY, signalStrength: 0.5 }));
    assert.ok(e instanceof ConflictError);
    assert.equal(e.status, 409);
    assert.equal(e.code, "conflict");
    assert.equal(e.details?.reason, "instance_stopped");
  });

  it("429 → RateLimitError with retryAfter (a key on the free plan: 10 requests a minute)", async () => {
    const free = client(freeKey());
    let e: IdentityOSError | undefined;
    for (let n = 0; n < 30 && !e; n++) {
      try {
        await free.personas.list();
      } catch (err) {
        assert.ok(err instanceof IdentityOSError);
        e = err;
      }
    }
    assert.ok(e, "no 429 within 30 requests");
    assert.ok(e instanceof RateLimitError);
    assert.equal(e.status, 429);
    assert.equal(e.code, "rate_limit_exceeded");
    assert.ok(typeof e.retryAfter === "number" && e.retryAfter > 0 && e.retryAfter <= 60, `retryAfter ${e.retryAfter}`);
  });
});
