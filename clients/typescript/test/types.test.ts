// Compile-time checks of the public types (this file fails `tsc` if one regresses; the
// calls are never made).
import assert from "node:assert/strict";
import { it } from "node:test";
import { IdentityOS, Mode, type SubmitTestParams, type TestResponse } from "@identity-os/sdk";

const responses: TestResponse[] = [{ questionId: 1, selectedOptionId: "a" }];

export function typeChecks(c: IdentityOS): void {
  void c.engine.process("i", { modeTarget: Mode.EXPLORATION, signalStrength: 0.8 });
  void c.engine.process("i", { modeTarget: "stress_response", signalStrength: 0.8, context: { any: { json: [1] } } });
  // @ts-expect-error: not a mode
  void c.engine.process("i", { modeTarget: "SLEEP", signalStrength: 0.8 });
  // @ts-expect-error: snake_case is the wire's, not the SDK's
  void c.engine.process("i", { mode_target: Mode.ORDER, signal_strength: 0.8 });
  // @ts-expect-error: signalStrength is required
  void c.engine.process("i", { modeTarget: Mode.ORDER });
  // @ts-expect-error: engine fields cannot be patched
  void c.instances.update("i", { energyLevel: 0.5 });
  // @ts-expect-error: not a reset mode
  void c.engine.reset("i", { mode: "yesterday" });
  // @ts-expect-error: not a persona
  void c.instances.create({ name: "x", persona: "persona_nobody" });

  const ok: SubmitTestParams[] = [
    { responses },
    { responses, version: "v1", instanceId: "inst_0000000000000000" },
    { responses, createInstance: true, instanceName: "n" },
  ];
  void ok;
  // @ts-expect-error: both targets
  const both: SubmitTestParams = { responses, createInstance: true, instanceName: "n", instanceId: "inst_0000000000000000" };
  // @ts-expect-error: responses are required
  const none: SubmitTestParams = { version: "v1" };
  void [both, none];

  // Overloads of processBatch: `states` only with includeIntermediate: true.
  void c.engine.processBatch("i", { observations: [], includeIntermediate: true }).then((r) => r.states);
  // @ts-expect-error: no `states` without includeIntermediate
  void c.engine.processBatch("i", { observations: [] }).then((r) => r.states);
}

it("Mode holds the seven modes, uppercase", () => {
  assert.deepEqual(Object.values(Mode), ["PERCEPTION", "EXPLORATION", "ORDER", "ASSERTION", "CONNECTION", "IDENTITY", "STRESS_RESPONSE"]);
  assert.deepEqual(Object.keys(Mode), Object.values(Mode));
});
