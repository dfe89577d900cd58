import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { BadRequestError, type Contract, type Drift, Mode, type Snapshot } from "@identity-os/sdk";
import { client } from "./env.js";

const c = client();
const MODES = ["perception", "exploration", "order", "assertion", "connection", "identity", "stress_response"];
const ACTIONS = ["explore", "question", "elaborate", "suggest", "execute", "pivot", "challenge", "comfort", "clarify", "stabilize", "defer", "withdraw"];

function assertSnapshot(s: Snapshot, id: string): void {
  assert.equal(s.instanceId, id);
  assert.deepEqual(Object.keys(s.modeStrengths).sort(), [...MODES].sort());
  for (const v of [...Object.values(s.modeStrengths), s.energyLevel, s.stabilityIndex]) assert.ok(v >= 0 && v <= 1);
}
function assertContract(k: Contract): void {
  for (const a of [...k.allowedActions, ...k.forbiddenActions]) assert.ok(ACTIONS.includes(a));
  assert.equal(k.allowedActions.filter((a) => k.forbiddenActions.includes(a)).length, 0);
  assert.ok(Array.isArray(k.dominantModes) && Array.isArray(k.suppressedModes));
  assert.deepEqual(Object.keys(k.decisionStyle).sort(), ["commitmentThreshold", "expressiveness", "risk", "tempo"]);
  assert.deepEqual(Object.keys(k.recoveryProfile).sort(), ["cooldownRequired", "preferredPath", "supportRequired"]);
}
function assertDrift(d: Drift): void {
  assert.match(d.level, /^D[0-3]$/);
  assert.equal(typeof d.deviation, "string");
  assert.equal(typeof d.rolledBack, "boolean");
  for (const m of d.affectedModes) assert.ok(MODES.includes(m));
}

describe("engine", () => {
  let id = "";
  before(async () => {
    id = (await c.instances.create({ name: "engine" })).id;
  });

  it("process: one observation; context and timestamp kept in history as sent", async () => {
    const context = { user_message: "hi", nested: { inner_key: [1, { deep_key: true }] } };
    const r = await c.engine.process(id, {
      modeTarget: Mode.EXPLORATION,
      signalStrength: 0.8,
      confidence: 0.9,
      context,
      timestamp: "2026-01-02T03:04:05Z",
    });
    assert.equal(r.throttled, false);
    assertSnapshot(r.snapshot, id);
    assert.equal(r.snapshot.cycle, 1);
    assertContract(r.contract);
    assertDrift(r.drift);
    const h = await c.engine.history(id, { limit: 1 });
    const e = h.data[0];
    assert.ok(e);
    assert.equal(e.seq, 1);
    assert.equal(e.cycle, 1);
    assert.equal(e.modeTarget, "EXPLORATION");
    assert.equal(e.signalStrength, 0.8);
    assert.equal(e.confidence, 0.9);
    assert.deepEqual(e.context, context);
    assert.equal(e.observedAt, "2026-01-02T03:04:05Z");
  });

  it("process: lowercase modes are accepted too", async () => {
    const r = await c.engine.process(id, { modeTarget: "connection", signalStrength: 0.3 });
    assert.equal(r.snapshot.cycle, 2);
  });

  it("processBatch: the final state", async () => {
    const r = await c.engine.processBatch(id, {
      observations: [
        { modeTarget: Mode.EXPLORATION, signalStrength: 0.8 },
        { modeTarget: Mode.ORDER, signalStrength: 0.7 },
        { modeTarget: Mode.ASSERTION, signalStrength: 0.6, confidence: 0.5 },
      ],
    });
    assert.equal(r.processedCount, 3);
    assert.equal(r.throttled, false);
    assertSnapshot(r.snapshot, id);
    assert.equal(r.snapshot.cycle, 5);
    assertContract(r.contract);
    assertDrift(r.drift);
  });

  it("processBatch: every state with includeIntermediate", async () => {
    const r = await c.engine.processBatch(id, {
      observations: [
        { modeTarget: Mode.PERCEPTION, signalStrength: 0.4 },
        { modeTarget: Mode.IDENTITY, signalStrength: 0.6 },
      ],
      includeIntermediate: true,
    });
    assert.equal(r.processedCount, 2);
    assert.deepEqual(r.states.map((s) => s.snapshot.cycle), [6, 7]);
    r.states.forEach((s) => {
      assertSnapshot(s.snapshot, id);
      assertContract(s.contract);
      assertDrift(s.drift);
    });
  });

  it("processBatch: an invalid item → 400 naming it, nothing applied", async () => {
    const err = await c.engine
      .processBatch(id, {
        observations: [
          { modeTarget: Mode.ORDER, signalStrength: 0.5 },
          { modeTarget: Mode.ORDER, signalStrength: 3 },
        ],
      })
      .then(() => assert.fail("no error"), (e: unknown) => e);
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.details?.field, "observations[1].signal_strength");
    assert.equal((await c.engine.snapshot(id)).cycle, 7);
  });

  it("snapshot", async () => {
    const s = await c.engine.snapshot(id);
    assertSnapshot(s, id);
    assert.equal(s.cycle, 7);
    assert.equal(s.cycleCount, 7);
    assert.match(s.createdAt, /Z$/);
    assert.match(s.updatedAt, /Z$/);
  });

  it("contract", async () => {
    assertContract(await c.engine.contract(id));
  });

  it("history: newest first, paginated", async () => {
    const h = await c.engine.history(id);
    assert.deepEqual(h.data.map((e) => e.seq), [7, 6, 5, 4, 3, 2, 1]);
    assert.deepEqual(h.pagination, { limit: 100, offset: 0, total: 7, hasMore: false, nextCursor: null });
    // The server keeps history forever by default: nothing was ever dropped.
    assert.equal(h.keptSince, null);
    const p = await c.engine.history(id, { limit: 2, offset: 1 });
    assert.deepEqual(p.data.map((e) => e.seq), [6, 5]);
    assert.equal(p.pagination.hasMore, true);
    const q = await c.engine.history(id, { limit: 2, cursor: p.pagination.nextCursor ?? undefined });
    assert.deepEqual(q.data.map((e) => e.seq), [4, 3]);
  });

  it("drift: events D1–D3, newest first", async () => {
    const d = (await c.instances.create({ name: "drift" })).id;
    const none = await c.engine.drift(d);
    assert.deepEqual(none.data, []);
    assert.equal(none.pagination.total, 0);
    assert.equal(none.keptSince, null);
    await c.engine.processBatch(d, {
      observations: Array.from({ length: 30 }, () => ({ modeTarget: Mode.STRESS_RESPONSE, signalStrength: 1 })),
    });
    const ev = await c.engine.drift(d, { limit: 5 });
    assert.ok(ev.pagination.total > 0, "30 full-strength stress observations drift");
    assert.equal(ev.data.length, Math.min(5, ev.pagination.total));
    const first = ev.data[0];
    assert.ok(first);
    assert.match(first.driftLevel, /^D[123]$/);
    assert.ok(first.affectedModes.length > 0);
    assert.equal(typeof first.rolledBack, "boolean");
    assert.equal(typeof first.deviation, "string");
    assert.match(first.timestamp, /Z$/);
    const cycles = ev.data.map((e) => e.cycle);
    assert.deepEqual(cycles, [...cycles].sort((a, b) => b - a));
    const page2 = await c.engine.drift(d, { limit: 1, offset: 1 });
    assert.equal(page2.data[0]?.cycle, ev.data[1]?.cycle);
  });

  it("reset: default, initial, last_stable; lifetime count kept", async () => {
    const r = await c.engine.reset(id, { mode: "default" });
    assert.deepEqual(r, { id, resetTo: "default", cycle: 0, energyLevel: 0.8, stressState: r.stressState });
    const s = await c.engine.snapshot(id);
    assert.equal(s.cycle, 0);
    assert.equal(s.cycleCount, 7);
    assert.equal((await c.engine.reset(id, { mode: "initial" })).resetTo, "initial");
    assert.equal((await c.engine.reset(id, { mode: "last_stable" })).resetTo, "last_stable");
  });
});
