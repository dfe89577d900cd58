// Every /v1 operation through the types openapi-typescript generates from the server's own
// /openapi.json (generated/openapi.ts, written by ../run) and openapi-fetch, which takes
// its paths, parameters, bodies and answers from those types alone.
//
// The point: the document needs no hand fix. So this file has no `as` cast, no `any`,
// no non-null `!`, no `@ts-ignore`/`@ts-expect-error` (nocast.mjs checks that), and it
// type-checks under `tsc --strict`; then it runs against the live server and checks the
// answers.
//
//   IDOS_BASE_URL=http://127.0.0.1:PORT IDOS_API_KEY=idos_sk_... node build/calls.js
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/openapi.js";

type Schemas = components["schemas"];

const baseUrl = process.env.IDOS_BASE_URL;
const apiKey = process.env.IDOS_API_KEY;
if (!baseUrl || !apiKey) {
  console.error("calls: set IDOS_BASE_URL and IDOS_API_KEY");
  process.exit(2);
}

const client = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${apiKey}` },
  redirect: "error",
});

let step = 0;
function log(what: string): void {
  step += 1;
  console.log(`ok ${step} - ${what}`);
}

/** The answer's `data` after checking the status; the error envelope in the message if not. */
function expectOk<D, E>(
  label: string,
  r: { data?: D; error?: E; response: Response },
  status = 200,
): D {
  if (r.response.status !== status || r.data === undefined) {
    throw new Error(
      `${label}: HTTP ${r.response.status} (expected ${status}): ${JSON.stringify(r.error ?? null)}`,
    );
  }
  return r.data;
}

function unit(x: number, what: string): void {
  assert.ok(x >= 0 && x <= 1, `${what} = ${x} is outside [0, 1]`);
}

function checkContract(c: Schemas["Contract"], what: string): void {
  const allowed = new Set<Schemas["Action"]>(c.allowed_actions);
  for (const a of c.forbidden_actions) {
    assert.ok(!allowed.has(a), `${what}: ${a} is both allowed and forbidden`);
  }
  assert.ok(c.dominant_modes.length > 0, `${what}: no dominant mode`);
  unit(c.energy_level, `${what}.energy_level`);
}

function checkSnapshot(s: Schemas["Snapshot"], id: string, what: string): void {
  assert.equal(s.instance_id, id, `${what}.instance_id`);
  for (const [mode, v] of Object.entries(s.mode_strengths)) unit(v, `${what}.mode_strengths.${mode}`);
  unit(s.energy_level, `${what}.energy_level`);
  unit(s.stability_index, `${what}.stability_index`);
}

// --- personas ---------------------------------------------------------------------------
const personas = expectOk("GET /v1/personas", await client.GET("/v1/personas"));
assert.equal(personas.data.length, 12);
assert.equal(personas.pagination.total, 12);
const leader = personas.data.find((p) => p.id === "persona_leader");
assert.ok(leader, "persona_leader is listed");
log(`GET /v1/personas: ${personas.data.length} personas`);

const persona = expectOk(
  "GET /v1/personas/{id}",
  await client.GET("/v1/personas/{id}", { params: { path: { id: leader.id } } }),
).data;
assert.equal(persona.id, "persona_leader");
assert.ok(persona.expressions.length >= 2);
checkContract(persona.typical_contract, "persona.typical_contract");
log(`GET /v1/personas/{id}: ${persona.name} (${persona.dominant_modes.join(", ")})`);

// --- create, list, get, patch -----------------------------------------------------------
const user = `gen-ts-${Date.now()}`;
const createBody: Schemas["CreateInstance"] = {
  name: "  generated-ts-1  ",
  description: "made by openapi-fetch",
  persona: "persona_leader",
  user,
  metadata: { team: "qa", tier: "gold" },
  cycle_cap: 1000,
  initial_config: { mode_strengths: { exploration: 0.9, order: 0.2 }, energy_level: 0.7 },
};
const createRes = await client.POST("/v1/instances", {
  body: createBody,
  headers: { "X-Request-Id": "gen-ts-create" },
});
const inst = expectOk("POST /v1/instances", createRes, 201).data;
// The document declares no response header: these are read untyped, off the raw Response.
assert.equal(createRes.response.headers.get("x-request-id"), "gen-ts-create");
assert.ok(createRes.response.headers.get("x-ratelimit-limit"), "X-RateLimit-Limit");
assert.ok(createRes.response.headers.get("x-ratelimit-remaining"), "X-RateLimit-Remaining");
assert.match(inst.id, /^inst_[0-9a-f]{16}$/);
assert.equal(inst.name, "generated-ts-1");
assert.equal(inst.persona, "persona_leader");
assert.equal(inst.user, user);
assert.deepEqual(inst.metadata, { team: "qa", tier: "gold" });
assert.equal(inst.cycle_cap, 1000);
assert.equal(inst.cycle_count, 0);
assert.ok(Math.abs(inst.energy_level - 0.7) < 1e-9, `energy ${inst.energy_level}`);
log(`POST /v1/instances: ${inst.id} (persona, metadata, initial_config)`);

const id = inst.id;
const pathId = { params: { path: { id } } };

const listed = expectOk(
  "GET /v1/instances",
  await client.GET("/v1/instances", {
    params: { query: { user, status: inst.status, sort: "name", order: "asc", limit: 10, offset: 0 } },
  }),
);
assert.deepEqual(
  listed.data.map((i) => i.id),
  [id],
);
assert.equal(listed.pagination.total, 1);
assert.equal(listed.pagination.has_more, false);
const none = expectOk(
  "GET /v1/instances (stopped)",
  await client.GET("/v1/instances", { params: { query: { user, status: "stopped" } } }),
);
assert.equal(none.pagination.total, 0);
log("GET /v1/instances: user + status + sort + order + limit + offset filters");

const got = expectOk("GET /v1/instances/{id}", await client.GET("/v1/instances/{id}", pathId)).data;
assert.equal(got.id, id);
assert.equal(got.description, "made by openapi-fetch");
log("GET /v1/instances/{id}");

const patched = expectOk(
  "PATCH /v1/instances/{id}",
  await client.PATCH("/v1/instances/{id}", {
    ...pathId,
    body: { name: "generated-ts-renamed", metadata: { team: "ops" }, cycle_cap: null, user: null },
  }),
).data;
assert.equal(patched.name, "generated-ts-renamed");
assert.deepEqual(patched.metadata, { team: "ops" });
assert.equal(patched.cycle_cap, null);
assert.equal(patched.user, null);
assert.ok(patched.updated_at >= got.updated_at);
log("PATCH /v1/instances/{id}: name, metadata, cycle_cap and user cleared");

// --- engine -----------------------------------------------------------------------------
const context: Schemas["Context"] = {
  channel: "chat",
  session: { id: "s-1", turn: 3, tags: ["a", "b"], nested: { deep: { ok: true, score: 0.25 } } },
  note: null,
};
const observedAt = new Date().toISOString();
const processed = expectOk(
  "POST /v1/instances/{id}/process",
  await client.POST("/v1/instances/{id}/process", {
    ...pathId,
    body: { mode_target: "EXPLORATION", signal_strength: 0.8, confidence: 0.9, context, timestamp: observedAt },
  }),
).data;
assert.equal(processed.throttled, false);
assert.equal(processed.snapshot.cycle, 1);
checkSnapshot(processed.snapshot, id, "process.snapshot");
checkContract(processed.contract, "process.contract");
assert.ok(["D0", "D1", "D2", "D3"].includes(processed.drift.level));
log(`POST /v1/instances/{id}/process: cycle 1, drift ${processed.drift.level}`);

const batchFinal = expectOk(
  "POST /v1/instances/{id}/process/batch",
  await client.POST("/v1/instances/{id}/process/batch", {
    ...pathId,
    body: {
      observations: [
        { mode_target: "ORDER", signal_strength: 0.6 },
        { mode_target: "connection", signal_strength: 0.4, confidence: 0.5, context: { step: 2 } },
        { mode_target: "STRESS_RESPONSE", signal_strength: 0.3, context: null },
      ],
    },
  }),
).data;
assert.equal(batchFinal.processed_count, 3);
assert.equal(batchFinal.throttled, false);
if ("states" in batchFinal) throw new Error("batch without include_intermediate answered `states`");
assert.equal(batchFinal.snapshot.cycle, 4);
checkContract(batchFinal.contract, "batch.contract");
log("POST /v1/instances/{id}/process/batch: 3 observations, final state");

const batchAll = expectOk(
  "POST /v1/instances/{id}/process/batch (include_intermediate)",
  await client.POST("/v1/instances/{id}/process/batch", {
    ...pathId,
    body: {
      include_intermediate: true,
      observations: [
        { mode_target: "IDENTITY", signal_strength: 0.7 },
        { mode_target: "PERCEPTION", signal_strength: 0.5 },
      ],
    },
  }),
).data;
assert.equal(batchAll.processed_count, 2);
if (!("states" in batchAll)) throw new Error("batch with include_intermediate answered no `states`");
assert.deepEqual(
  batchAll.states.map((s) => s.snapshot.cycle),
  [5, 6],
);
for (const s of batchAll.states) checkContract(s.contract, "batch.states[].contract");
log("POST /v1/instances/{id}/process/batch: include_intermediate, 2 states");

const snap = expectOk("GET /v1/instances/{id}/snapshot", await client.GET("/v1/instances/{id}/snapshot", pathId)).data;
assert.equal(snap.cycle, 6);
assert.equal(snap.cycle_count, 6);
checkSnapshot(snap, id, "snapshot");
log("GET /v1/instances/{id}/snapshot: cycle 6");

const contract = expectOk("GET /v1/instances/{id}/contract", await client.GET("/v1/instances/{id}/contract", pathId)).data;
checkContract(contract, "contract");
log(`GET /v1/instances/{id}/contract: allowed ${contract.allowed_actions.join(" ")}`);

const history = expectOk(
  "GET /v1/instances/{id}/history",
  await client.GET("/v1/instances/{id}/history", { params: { path: { id }, query: { limit: 10, offset: 0 } } }),
);
assert.equal(history.pagination.total, 6);
assert.deepEqual(
  history.data.map((h) => h.seq),
  [6, 5, 4, 3, 2, 1],
);
const first = history.data[history.data.length - 1];
assert.ok(first, "the first observation is in the history");
assert.deepEqual(first.context, context);
assert.ok(first.observed_at !== null && Date.parse(first.observed_at) === Date.parse(observedAt));
log("GET /v1/instances/{id}/history: 6 entries, nested context round-trips");

// Ten full-strength stress observations in a row: the identity drifts (D1+ events).
const stressed = expectOk(
  "POST /v1/instances/{id}/process/batch (stress)",
  await client.POST("/v1/instances/{id}/process/batch", {
    ...pathId,
    body: {
      observations: Array.from({ length: 10 }, (): Schemas["ObservationIn"] => ({
        mode_target: "STRESS_RESPONSE",
        signal_strength: 1,
      })),
    },
  }),
).data;
assert.equal(stressed.processed_count, 10);

const drift = expectOk(
  "GET /v1/instances/{id}/drift",
  await client.GET("/v1/instances/{id}/drift", { params: { path: { id }, query: { limit: 50, offset: 0 } } }),
);
assert.equal(drift.pagination.total, drift.data.length);
assert.ok(drift.data.length > 0, "ten stress observations recorded no drift event");
for (const d of drift.data) {
  assert.notEqual(d.drift_level, "D0");
  assert.ok(d.affected_modes.length > 0 && d.cycle > 6 && d.cycle <= 16);
}
log(`GET /v1/instances/{id}/drift: ${drift.data.length} events after 10 stress observations`);

const reset = expectOk(
  "POST /v1/instances/{id}/reset",
  await client.POST("/v1/instances/{id}/reset", { ...pathId, body: { mode: "initial" } }),
).data;
assert.equal(reset.id, id);
assert.equal(reset.reset_to, "initial");
assert.equal(reset.cycle, 0);
log("POST /v1/instances/{id}/reset: initial, cycle 0");

// --- lifecycle --------------------------------------------------------------------------
const stopped = expectOk("POST /v1/instances/{id}/stop", await client.POST("/v1/instances/{id}/stop", pathId)).data;
assert.equal(stopped.status, "stopped");
const refused = await client.POST("/v1/instances/{id}/process", {
  ...pathId,
  body: { mode_target: "ORDER", signal_strength: 0.5 },
});
assert.equal(refused.response.status, 409);
assert.ok(refused.error, "a stopped instance refuses process");
assert.equal(refused.error.error, "conflict");
assert.equal(refused.error.details?.reason, "instance_stopped");
log("POST /v1/instances/{id}/stop: stopped; process then answers 409 instance_stopped");

const started = expectOk("POST /v1/instances/{id}/start", await client.POST("/v1/instances/{id}/start", pathId)).data;
assert.notEqual(started.status, "stopped");
log(`POST /v1/instances/{id}/start: ${started.status}`);

const restarted = expectOk("POST /v1/instances/{id}/restart", await client.POST("/v1/instances/{id}/restart", pathId)).data;
assert.equal(restarted.cycle_count, 16);
log(`POST /v1/instances/{id}/restart: ${restarted.status}`);

const updated = expectOk("POST /v1/instances/{id}/update", await client.POST("/v1/instances/{id}/update", pathId)).data;
assert.equal(updated.update_available, false);
log(`POST /v1/instances/{id}/update: engine_version ${updated.engine_version}`);

const deleted = expectOk("DELETE /v1/instances/{id}", await client.DELETE("/v1/instances/{id}", pathId)).data;
assert.equal(deleted.id, id);
assert.equal(deleted.deleted, true);
assert.ok(deleted.restorable_until !== null, "a soft delete is restorable");
const gone = await client.GET("/v1/instances/{id}", pathId);
assert.equal(gone.response.status, 404);
assert.equal(gone.error?.error, "not_found");
log("DELETE /v1/instances/{id}: restorable; GET then answers 404");

const restored = expectOk("POST /v1/instances/{id}/restore", await client.POST("/v1/instances/{id}/restore", pathId)).data;
assert.equal(restored.id, id);
assert.equal(restored.cycle_count, 16);
log("POST /v1/instances/{id}/restore");

// --- the personality test ---------------------------------------------------------------
const qs = expectOk(
  "GET /v1/test/questions",
  await client.GET("/v1/test/questions", { params: { query: { version: "v1" } } }),
).data;
assert.equal(qs.total, 28);
assert.equal(qs.questions.length, 28);
log(`GET /v1/test/questions: ${qs.total} questions`);

// Each answer is one of the question's own options: the exploration one where there is one.
const responses = qs.questions.map((q) => {
  const option = q.options.find((o) => o.mode.toLowerCase() === "exploration") ?? q.options[0];
  if (!option) throw new Error(`question ${q.id} has no option`);
  return { question_id: q.id, selected_option_id: option.id };
});
const submitted = expectOk(
  "POST /v1/test/submit",
  await client.POST("/v1/test/submit", {
    body: { version: "v1", responses, create_instance: true, instance_name: "generated-ts-tested" },
  }),
).data;
assert.equal(submitted.version, "v1");
assert.equal(submitted.matched_personas.length, 3);
const scores = submitted.matched_personas.map((m) => m.match_score);
assert.deepEqual(
  scores,
  [...scores].sort((a, b) => b - a),
);
for (const s of scores) unit(s, "match_score");
assert.ok(submitted.instance, "create_instance made an instance");
assert.equal(submitted.instance.name, "generated-ts-tested");
checkContract(submitted.contract, "submit.contract");
log(`POST /v1/test/submit: 28 answers, best match ${submitted.matched_personas.map((m) => m.id).join(", ")}`);

// The result's initial_config, straight into POST /v1/instances.
const fromTest = expectOk(
  "POST /v1/instances (initial_config from the test)",
  await client.POST("/v1/instances", {
    body: { name: "generated-ts-from-test", initial_config: submitted.initial_config },
  }),
  201,
).data;
const fromTestSnap = expectOk(
  "GET /v1/instances/{id}/snapshot (from the test)",
  await client.GET("/v1/instances/{id}/snapshot", { params: { path: { id: fromTest.id } } }),
).data;
const modes: (keyof Schemas["ModeStrengths"])[] = [
  "perception",
  "exploration",
  "order",
  "assertion",
  "connection",
  "identity",
  "stress_response",
];
for (const mode of modes) {
  const want = submitted.mode_strengths[mode];
  const got = fromTestSnap.mode_strengths[mode];
  assert.ok(Math.abs(got - want) < 1e-9, `${mode}: ${got} != ${want}`);
}
assert.ok(Math.abs(fromTestSnap.energy_level - submitted.energy_level) < 1e-9);
log("POST /v1/instances with the test result's initial_config: the tested profile");

const purged = expectOk(
  "DELETE /v1/instances/{id}?purge=true",
  await client.DELETE("/v1/instances/{id}", { params: { path: { id: fromTest.id }, query: { purge: true } } }),
).data;
assert.equal(purged.restorable_until, null);
log("DELETE /v1/instances/{id}?purge=true");

console.log(`calls.ts: ${step} passed, 0 failed`);
