import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadRequestError, NotFoundError, type QuestionsParams, type TestResponse } from "@identity-os/sdk";
import { client } from "./env.js";

const c = client();

describe("personas", () => {
  it("list: the twelve", async () => {
    const p = await c.personas.list();
    assert.equal(p.data.length, 12);
    assert.equal(p.pagination.total, 12);
    assert.equal(p.pagination.hasMore, false);
    for (const x of p.data) {
      assert.match(x.id, /^persona_[a-z]+$/);
      assert.equal(x.dominantModes.length, 2);
      assert.ok(x.expressions.length >= 2);
      assert.ok(Array.isArray(x.typicalContract.allowedActions));
      assert.equal(typeof x.modeStrengths.stress_response, "number");
    }
  });

  it("get", async () => {
    const p = await c.personas.get("persona_analytical");
    assert.equal(p.id, "persona_analytical");
    assert.equal(typeof p.name, "string");
    assert.equal(typeof p.summary, "string");
    assert.equal(typeof p.energyLevel, "number");
    assert.ok(p.expressions.every((e) => typeof e.context === "string" && typeof e.behavior === "string"));
    await assert.rejects(c.personas.get("persona_nobody"), NotFoundError);
  });
});

describe("test (personality)", () => {
  /** Answers every question with its first option, in reverse order (any order is accepted). */
  async function answers(): Promise<TestResponse[]> {
    const q = await c.test.questions();
    return q.questions
      .map((x) => ({
        questionId: x.id,
        // QuestionOption.id is a plain string in the document; ResponseIn takes "a"–"d".
        selectedOptionId: x.options[0]!.id as TestResponse["selectedOptionId"],
      }))
      .reverse();
  }

  it("questions", async () => {
    const q = await c.test.questions();
    assert.equal(q.version, "v1");
    assert.equal(q.total, 28);
    assert.deepEqual(q.questions.map((x) => x.id), Array.from({ length: 28 }, (_, i) => i + 1));
    for (const x of q.questions) {
      assert.deepEqual(x.options.map((o) => o.id), ["a", "b", "c", "d"]);
      assert.ok(x.options.every((o) => o.mode === o.mode.toLowerCase()));
    }
    assert.equal((await c.test.questions({ version: "v1" })).total, 28);
    const err = await c.test
      .questions({ version: "v9" } as unknown as QuestionsParams)
      .then(() => assert.fail("no error"), (e: unknown) => e);
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.details?.field, "version");
  });

  it("submit: the profile, its personas, nothing created", async () => {
    const r = await c.test.submit({ responses: await answers() });
    assert.equal(r.version, "v1");
    assert.equal(r.matchedPersonas.length, 3);
    const scores = r.matchedPersonas.map((m) => m.matchScore);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.equal(r.instance, null);
    assert.equal(typeof r.initialConfig.energyLevel, "number");
    assert.equal(typeof r.modeStrengths.stress_response, "number");
    assert.equal(r.snapshot.instanceId, "");
    assert.ok(Array.isArray(r.contract.allowedActions));
    // initialConfig is ready for instances.create
    const i = await c.instances.create({ name: "from-test", initialConfig: r.initialConfig });
    assert.equal(i.energyLevel, r.initialConfig.energyLevel);
  });

  it("submit: createInstance, and instanceId", async () => {
    const created = await c.test.submit({ responses: await answers(), createInstance: true, instanceName: "tested" });
    assert.ok(created.instance);
    assert.equal(created.instance.name, "tested");
    assert.equal(created.snapshot.instanceId, created.instance.id);

    const target = await c.instances.create({ name: "target" });
    const applied = await c.test.submit({ responses: await answers(), instanceId: target.id, version: "v1" });
    assert.equal(applied.instance?.id, target.id);
    assert.deepEqual((await c.engine.snapshot(target.id)).modeStrengths, applied.modeStrengths);
  });

  it("submit: an incomplete test → 400 with the missing questions", async () => {
    const err = await c.test
      .submit({ responses: [{ questionId: 1, selectedOptionId: "a" }] })
      .then(() => assert.fail("no error"), (e: unknown) => e);
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.details?.field, "responses");
    assert.equal(err.details?.reason, "incomplete_test");
    assert.deepEqual(err.details?.missing, Array.from({ length: 27 }, (_, i) => i + 2));
  });
});
