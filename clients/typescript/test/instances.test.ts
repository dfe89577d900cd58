import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConflictError, type Instance, Mode, NotFoundError } from "@identity-os/sdk";
import { client, unique } from "./env.js";

const c = client();
const ID = /^inst_[0-9a-f]{16}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function assertInstance(i: Instance): void {
  assert.match(i.id, ID);
  assert.match(i.createdAt, TIME);
  assert.match(i.updatedAt, TIME);
  assert.equal(typeof i.cycleCount, "number");
  assert.equal(typeof i.energyLevel, "number");
  assert.equal(typeof i.stabilityIndex, "number");
  assert.equal(typeof i.engineVersion, "number");
  assert.equal(typeof i.updateAvailable, "boolean");
  assert.ok(["LOW", "MED", "HIGH", "OVER"].includes(i.stressState));
  // Every field of the instance object, camelCased, none left in snake_case.
  assert.deepEqual(
    Object.keys(i).sort(),
    [
      "createdAt", "cycleCap", "cycleCount", "description", "energyLevel", "engineVersion", "id", "metadata",
      "name", "persona", "stabilityIndex", "status", "stressState", "updateAvailable", "updatedAt", "user",
    ],
  );
}

describe("instances", () => {
  it("create: every option, camelCase in and out; metadata keys untouched", async () => {
    const user = unique("u");
    const i = await c.instances.create({
      name: "  Full  ",
      description: "all the options",
      initialConfig: { modeStrengths: { exploration: 0.9, stress_response: 0.2 }, energyLevel: 0.6 },
      user,
      metadata: { team_name: "core", camelKey: "x" },
      cycleCap: 50,
    });
    assertInstance(i);
    assert.equal(i.name, "Full");
    assert.equal(i.description, "all the options");
    assert.equal(i.energyLevel, 0.6);
    assert.equal(i.user, user);
    assert.deepEqual(i.metadata, { team_name: "core", camelKey: "x" });
    assert.equal(i.cycleCap, 50);
    assert.equal(i.persona, null);
    assert.equal(i.cycleCount, 0);
    const snap = await c.engine.snapshot(i.id);
    assert.equal(snap.modeStrengths.exploration, 0.9);
    assert.equal(snap.modeStrengths.stress_response, 0.2);
  });

  it("create from a persona", async () => {
    const i = await c.instances.create({ name: "P", persona: "persona_analytical" });
    assert.equal(i.persona, "persona_analytical");
  });

  it("get", async () => {
    const created = await c.instances.create({ name: "G" });
    const got = await c.instances.get(created.id);
    assertInstance(got);
    assert.equal(got.id, created.id);
    assert.equal(got.name, "G");
  });

  it("list: filters, sort, order, limit, offset, cursor, pagination", async () => {
    const user = unique("list");
    const a = await c.instances.create({ name: "b-second", user });
    const b = await c.instances.create({ name: "a-first", user });
    const all = await c.instances.list({ user });
    assert.deepEqual(all.data.map((i) => i.id), [b.id, a.id]); // newest first by default
    all.data.forEach(assertInstance);
    assert.deepEqual(all.pagination, { limit: 20, offset: 0, total: 2, hasMore: false, nextCursor: null });
    const byName = await c.instances.list({ user, sort: "name", order: "asc" });
    assert.deepEqual(byName.data.map((i) => i.name), ["a-first", "b-second"]);
    const page = await c.instances.list({ user, sort: "created_at", order: "asc", limit: 1, offset: 1 });
    assert.deepEqual(page.data.map((i) => i.id), [b.id]);
    assert.deepEqual(page.pagination, { limit: 1, offset: 1, total: 2, hasMore: false, nextCursor: null });
    const first = await c.instances.list({ user, limit: 1 });
    assert.equal(first.pagination.hasMore, true);
    assert.equal(typeof first.pagination.nextCursor, "string");
    const next = await c.instances.list({ user, limit: 1, cursor: first.pagination.nextCursor ?? undefined });
    assert.deepEqual(next.data.map((i) => i.id), [a.id]);
    assert.deepEqual(next.pagination, { limit: 1, offset: 0, total: 2, hasMore: false, nextCursor: null });
    await c.instances.stop(a.id);
    const stopped = await c.instances.list({ user, status: "stopped" });
    assert.deepEqual(stopped.data.map((i) => i.id), [a.id]);
  });

  it("update (PATCH): name, description, metadata; null clears user and cycleCap", async () => {
    const i = await c.instances.create({ name: "before", user: "someone", cycleCap: 10 });
    const u = await c.instances.update(i.id, {
      name: "after",
      description: "changed",
      metadata: { some_key: "v" },
      user: null,
      cycleCap: null,
    });
    assertInstance(u);
    assert.equal(u.name, "after");
    assert.equal(u.description, "changed");
    assert.deepEqual(u.metadata, { some_key: "v" });
    assert.equal(u.user, null);
    assert.equal(u.cycleCap, null);
    assert.ok(u.updatedAt >= i.updatedAt);
    assert.equal((await c.instances.get(i.id)).name, "after");
  });

  it("delete, restore; delete with purge is final", async () => {
    const i = await c.instances.create({ name: "D" });
    const del = await c.instances.delete(i.id);
    assert.equal(del.id, i.id);
    assert.equal(del.deleted, true);
    assert.match(del.restorableUntil ?? "", TIME);
    await assert.rejects(c.instances.get(i.id), NotFoundError);
    const back = await c.instances.restore(i.id);
    assertInstance(back);
    assert.equal(back.id, i.id);
    assert.equal((await c.instances.get(i.id)).id, i.id);
    const purged = await c.instances.delete(i.id, { purge: true });
    assert.equal(purged.deleted, true);
    assert.equal(purged.restorableUntil, null);
    await assert.rejects(c.instances.restore(i.id), NotFoundError);
  });

  it("stop, start, restart, updateEngine", async () => {
    const i = await c.instances.create({ name: "L" });
    const stopped = await c.instances.stop(i.id);
    assert.equal(stopped.status, "stopped");
    await assert.rejects(
      c.engine.process(i.id, { modeTarget: Mode.ORDER, signalStrength: 0.5 }),
      (e: unknown) => e instanceof ConflictError && e.details?.reason === "instance_stopped",
    );
    const started = await c.instances.start(i.id);
    assert.notEqual(started.status, "stopped");
    const r = await c.engine.process(i.id, { modeTarget: Mode.ORDER, signalStrength: 0.5 });
    assert.equal(r.snapshot.cycle, 1);
    const restarted = await c.instances.restart(i.id);
    assertInstance(restarted);
    assert.equal(restarted.cycleCount, 1);
    const updated = await c.instances.updateEngine(i.id);
    assertInstance(updated);
    assert.equal(updated.updateAvailable, false);
    assert.ok(updated.engineVersion >= i.engineVersion);
    assert.equal(updated.cycleCount, 1);
  });
});
