"""Every method of the official Python SDK (identity-os-sdk 0.9.0, unmodified) against a
running Identity OS server's /sdk dialect, with the sync and the async client.

Run by tests/api/cases/sdk.rs, which starts the server (no throttle interval) and sets:
  IDOS_SDK_BASE_URL   e.g. http://127.0.0.1:PORT/sdk
  IDOS_V1_BASE_URL    e.g. http://127.0.0.1:PORT       (raw /v1 calls the SDK cannot make)
  IDOS_KEY            a key of the `unlimited` plan
  IDOS_FREE_KEY       a key of the `free` plan (10 requests a minute)
  IDOS_QUOTA_KEY      a key of a plan with a monthly quota of 2 cycles
Exits non-zero, with the failing assertion, on any mismatch.
"""
import asyncio
import os

import httpx
import identity_os_sdk
from identity_os_sdk import (
    Action, AsyncIdentityOS, AuthenticationError, ConflictError, Contract, DriftLevel,
    IdentityOS, Instance, InstanceList, Mode, NotFoundError, Persona, ProcessResult,
    RateLimitError, RateLimitInfo, Snapshot, StressLevel, SystemState, ValidationError,
)

assert identity_os_sdk.__version__ == "0.9.0", identity_os_sdk.__version__
BASE = os.environ["IDOS_SDK_BASE_URL"]
V1 = os.environ["IDOS_V1_BASE_URL"]
KEY = os.environ["IDOS_KEY"]
FREE_KEY = os.environ["IDOS_FREE_KEY"]
QUOTA_KEY = os.environ["IDOS_QUOTA_KEY"]
ALWAYS_FORBIDDEN = {Action.EMOTIONAL_MANIPULATION, Action.IDENTITY_OVERRIDE}
DRIFT_LEVELS = {d.value for d in DriftLevel}
MISSING = "inst_0000000000000000"


def expect(exc_type, call, status, code=None):
    try:
        call()
    except exc_type as e:
        assert e.status_code == status, (e.status_code, e.message)
        if code is not None:
            assert e.code == code, (e.code, e.message)
        return e
    raise AssertionError(f"expected {exc_type.__name__}")


async def expect_async(exc_type, awaitable, status):
    try:
        await awaitable
    except exc_type as e:
        assert e.status_code == status, (e.status_code, e.message)
        return e
    raise AssertionError(f"expected {exc_type.__name__}")


def check_result(r, instance_id, cycle_count=None):
    assert isinstance(r, ProcessResult)
    assert r.snapshot.instance_id == instance_id and r.contract.instance_id == instance_id
    assert set(r.snapshot.mode_strengths) == {m.value for m in Mode}
    assert all(0.0 <= v <= 1.0 for v in r.snapshot.mode_strengths.values())
    assert isinstance(r.snapshot.stress_level, StressLevel)
    assert isinstance(r.snapshot.system_state, SystemState)
    assert r.snapshot.stress_level == r.contract.current_stress_level
    assert r.snapshot.system_state == r.contract.current_system_state
    assert r.snapshot.stability_index == r.contract.stability_index
    assert r.snapshot.persona_primary and r.snapshot.persona_primary.startswith("persona_")
    assert ALWAYS_FORBIDDEN <= set(r.contract.forbidden_actions)
    assert not set(r.contract.allowed_actions) & set(r.contract.forbidden_actions)
    assert all(isinstance(m, Mode) for m in r.contract.dominant_modes + r.contract.suppressed_modes)
    assert r.drift is not None and r.drift.level in DRIFT_LEVELS and r.drift.magnitude >= 0.0
    if cycle_count is not None:
        assert r.snapshot.cycle_count == cycle_count, (r.snapshot.cycle_count, cycle_count)


def run_sync():
    with IdentityOS(api_key=KEY, base_url=BASE, timeout=10.0, max_retries=0) as c:
        # instances
        inst = c.instances.create(
            name="sdk-sync", description="ci",
            initial_config={"mode_strengths": {"order": 0.7}, "energy_level": 0.8},
        )
        assert isinstance(inst, Instance)
        assert inst.id.startswith("inst_") and inst.name == "sdk-sync" and inst.description == "ci"
        page = c.instances.list(limit=100, offset=0)
        assert isinstance(page, InstanceList)
        assert page.limit == 100 and page.offset == 0 and page.total >= 1
        assert inst.id in [i.id for i in page.items]
        assert c.instances.get(inst.id).name == "sdk-sync"
        assert c.instances.update(inst.id, name="sdk-sync-2").name == "sdk-sync-2"
        changed = c.instances.update(inst.id, description="d2")
        assert changed.description == "d2" and changed.name == "sdk-sync-2"
        assert changed.updated_at >= inst.updated_at
        assert c.instances.update(inst.id).name == "sdk-sync-2"  # {} changes nothing

        # engine: the starting state is the creation's initial_config
        snap = c.engine.snapshot(inst.id)
        assert isinstance(snap, Snapshot) and snap.cycle_count == 0
        assert abs(snap.mode_strengths["order"] - 0.7) < 1e-9 and abs(snap.energy_level - 0.8) < 1e-9
        r = c.engine.process(inst.id, mode_target=Mode.EXPLORATION, signal_strength=0.8,
                             confidence=0.9, context={"task": "ci"})
        check_result(r, inst.id, cycle_count=1)
        assert r.snapshot.mode_strengths["exploration"] > snap.mode_strengths["exploration"]
        r = c.engine.process(inst.id, "order", timestamp="2026-03-24T10:15:30")  # naive = UTC
        check_result(r, inst.id, cycle_count=2)
        r = c.engine.process(inst.id, "ORDER", timestamp="2026-03-24T10:15:30Z")
        check_result(r, inst.id, cycle_count=3)
        states = c.engine.batch_process(
            inst.id,
            [{"mode_target": "assertion", "signal_strength": 0.6},
             {"mode_target": Mode.CONNECTION, "signal_strength": 0.4, "confidence": 0.5}],
            include_intermediate=True,
        )
        assert [s.snapshot.cycle_count for s in states] == [4, 5]
        for s in states:
            check_result(s, inst.id)
        final = c.engine.batch_process(inst.id, [{"mode_target": "identity", "signal_strength": 0.5}] * 3)
        assert len(final) == 1
        check_result(final[0], inst.id, cycle_count=8)
        snap = c.engine.snapshot(inst.id)
        assert snap.cycle_count == 8 and snap.mode_strengths == final[0].snapshot.mode_strengths
        con = c.engine.contract(inst.id)
        assert isinstance(con, Contract) and con.instance_id == inst.id
        assert ALWAYS_FORBIDDEN <= set(con.forbidden_actions)
        assert con.allowed_actions == final[0].contract.allowed_actions
        hist = c.engine.history(inst.id, limit=50, offset=0)
        assert hist.instance_id == inst.id and hist.total == 8 and len(hist.items) == 8
        assert [h.cycle_number for h in hist.items] == list(range(8, 0, -1))
        assert [h.mode_target for h in hist.items[-3:]] == [Mode.ORDER, Mode.ORDER, Mode.EXPLORATION]
        assert hist.items[-1].signal_strength == 0.8 and hist.items[-1].confidence == 0.9
        page2 = c.engine.history(inst.id, limit=2, offset=2)
        assert [h.cycle_number for h in page2.items] == [6, 5] and page2.total == 8

        # drift: a strong pull away from the identity baseline leaves D1+ events
        strong = [{"mode_target": "stress_response", "signal_strength": 1.0}] * 12
        c.engine.batch_process(inst.id, strong)
        drift = c.engine.drift(inst.id, limit=20, offset=0)
        assert drift.instance_id == inst.id and drift.total >= 1
        assert all(d.level in DRIFT_LEVELS - {"D0_noise"} for d in drift.items)
        assert all(d.magnitude >= 0.15 for d in drift.items)
        assert all(9 <= d.cycle_number <= 20 for d in drift.items)
        for level in ("D1_context", "D2_adaptive", "D3_corrupt"):
            only = c.engine.drift(inst.id, type_filter=level)
            assert all(d.level == level for d in only.items)
            assert only.total == sum(1 for d in drift.items if d.level == level)
        expect(ValidationError, lambda: c.engine.drift(inst.id, type_filter="D9_bogus"), 422)

        reset = c.engine.reset(inst.id, mode="default")
        assert isinstance(reset, Snapshot) and reset.instance_id == inst.id
        assert all(abs(v - 0.5) < 1e-9 for v in reset.mode_strengths.values())
        assert reset.cycle_count == 20  # lifetime: a reset does not un-count cycles
        back = c.engine.reset(inst.id)  # mode="initial": the creation's initial_config
        assert abs(back.mode_strengths["order"] - 0.7) < 1e-9
        expect(ValidationError, lambda: c.engine.reset(inst.id, mode="sideways"), 422)

        # personas
        personas = c.personas.list()
        assert personas.total == 12 == len(personas.personas)
        ids = {p.id for p in personas.personas}
        assert back.persona_primary in ids and back.persona_secondary in ids
        p = c.personas.get("persona_analytical")
        assert isinstance(p, Persona) and (p.mode_a, p.mode_b) == (Mode.PERCEPTION, Mode.ORDER)
        assert p.expressions and p.expressions[0].behavior

        # personality test
        qs = c.test.questions(version="v1")
        assert qs.version == "v1" and qs.total == len(qs.questions) == 28
        assert all(isinstance(q.mode_target, Mode) for q in qs.questions)
        answers = [{"question_id": q.id, "selected_option_id": "a"} for q in qs.questions]
        applied = c.test.submit(answers, instance_id=inst.id)
        assert applied.instance_id == inst.id and applied.snapshot.instance_id == inst.id
        assert c.engine.snapshot(inst.id).mode_strengths == applied.snapshot.mode_strengths
        created = c.test.submit(answers, create_instance=True, instance_name="from-test")
        assert created.instance_id.startswith("inst_") and created.instance_id != inst.id
        assert c.instances.get(created.instance_id).name == "from-test"
        alone = c.test.submit(answers)
        assert alone.instance_id == "" and alone.snapshot.mode_strengths == applied.snapshot.mode_strengths
        e = expect(ValidationError, lambda: c.test.submit(answers[:-1]), 422)
        assert "28" in e.message or "missing" in e.message.lower()
        expect(ValidationError, lambda: c.test.submit([{"question_id": 1, "answer": 4}]), 422)
        expect(ValidationError, lambda: c.test.questions(version="v9"), 422)

        # errors
        for call in (lambda: c.instances.get(MISSING), lambda: c.personas.get("persona_nobody"),
                     lambda: c.engine.process(MISSING, "order"), lambda: c.engine.snapshot("garbage")):
            expect(NotFoundError, call, 404, "not_found")
        e = expect(ValidationError, lambda: c.engine.process(inst.id, mode_target="sideways"), 422, "invalid_request")
        assert "mode_target" in e.message
        e = expect(ValidationError, lambda: c.engine.process(inst.id, "order", signal_strength=1.5), 422)
        assert "signal_strength" in e.message
        expect(ValidationError, lambda: c.engine.batch_process(inst.id, []), 422)
        expect(ValidationError, lambda: c.engine.batch_process(inst.id, [{"mode_target": "order"}]), 422)
        expect(ValidationError, lambda: c.instances.create(name=""), 422)
        expect(ValidationError, lambda: c.instances.list(limit=101), 422)
        # 409: a stopped instance (stopping is a /v1 operation the SDK lacks) refuses cycles
        stop = httpx.post(f"{V1}/v1/instances/{inst.id}/stop", headers={"Authorization": f"Bearer {KEY}"})
        assert stop.status_code == 200, stop.text
        e = expect(ConflictError, lambda: c.engine.process(inst.id, "order"), 409, "conflict")
        assert c.engine.history(inst.id, limit=1).total == 20  # nothing half-written
        assert isinstance(c.rate_limit, RateLimitInfo) and isinstance(c.rate_limit.limit, int)
        assert c.rate_limit.monthly_limit is None  # the unlimited plan has no quota

        # clean up: deleted instances are gone for the SDK
        for iid in (inst.id, created.instance_id):
            assert c.instances.delete(iid) is None
        expect(NotFoundError, lambda: c.instances.get(inst.id), 404)
        expect(NotFoundError, lambda: c.instances.delete(inst.id), 404)

    with IdentityOS(api_key="idos_sk_not_a_key", base_url=BASE, max_retries=0) as bad:
        expect(AuthenticationError, lambda: bad.instances.list(), 401, "unauthorized")

    # 429: the free plan's 10 requests a minute, with the rate headers the SDK reads
    with IdentityOS(api_key=FREE_KEY, base_url=BASE, max_retries=0) as free:
        for i in range(10):
            free.personas.list()
            assert free.rate_limit.limit == 10 and free.rate_limit.remaining == 9 - i
        e = expect(RateLimitError, lambda: free.personas.list(), 429, "rate_limit_exceeded")
        assert isinstance(e.retry_after, int) and 1 <= e.retry_after <= 60
        assert free.rate_limit.remaining == 0

    # 429: a monthly quota of 2 cycles; no Retry-After, so the SDK does not sleep for days
    with IdentityOS(api_key=QUOTA_KEY, base_url=BASE, max_retries=0) as quota:
        q = quota.instances.create(name="quota")
        assert quota.rate_limit.monthly_limit == 2 and quota.rate_limit.monthly_remaining == 2
        quota.engine.process(q.id, "order")
        assert quota.rate_limit.monthly_remaining == 1
        quota.engine.process(q.id, "order")
        e = expect(RateLimitError, lambda: quota.engine.process(q.id, "order"), 429, "quota_exceeded")
        assert e.retry_after is None
        assert quota.rate_limit.monthly_remaining == 0
        assert quota.engine.snapshot(q.id).cycle_count == 2


async def run_async():
    async with AsyncIdentityOS(api_key=KEY, base_url=BASE, timeout=10.0, max_retries=0) as c:
        inst = await c.instances.create(name="sdk-async")
        assert (await c.instances.get(inst.id)).id == inst.id
        assert inst.id in [i.id for i in (await c.instances.list(limit=100)).items]
        assert (await c.instances.update(inst.id, name="sdk-async-2")).name == "sdk-async-2"
        check_result(await c.engine.process(inst.id, Mode.PERCEPTION, 0.7), inst.id, cycle_count=1)
        states = await c.engine.batch_process(
            inst.id, [{"mode_target": "order", "signal_strength": 0.5}], include_intermediate=False)
        assert len(states) == 1
        check_result(states[0], inst.id, cycle_count=2)
        # concurrent calls on one instance are applied one at a time, none lost
        results = await asyncio.gather(*(c.engine.process(inst.id, "connection", 0.6) for _ in range(8)))
        assert sorted(r.snapshot.cycle_count for r in results) == list(range(3, 11))
        assert (await c.engine.snapshot(inst.id)).cycle_count == 10
        assert (await c.engine.contract(inst.id)).instance_id == inst.id
        hist = await c.engine.history(inst.id)
        assert hist.total == 10 and hist.items[0].cycle_number == 10
        assert (await c.engine.drift(inst.id)).instance_id == inst.id
        assert (await c.engine.reset(inst.id, "initial")).instance_id == inst.id
        assert (await c.personas.list()).total == 12
        assert (await c.personas.get("persona_supporter")).mode_a == Mode.CONNECTION
        qs = await c.test.questions()
        res = await c.test.submit([{"question_id": q.id, "selected_option_id": "b"} for q in qs.questions])
        assert res.instance_id == ""
        await expect_async(NotFoundError, c.engine.snapshot(MISSING), 404)
        await expect_async(ValidationError, c.engine.process(inst.id, "sideways"), 422)
        await c.instances.delete(inst.id)
        await expect_async(NotFoundError, c.instances.get(inst.id), 404)
    async with AsyncIdentityOS(api_key="idos_sk_not_a_key", base_url=BASE, max_retries=0) as bad:
        await expect_async(AuthenticationError, bad.personas.list(), 401)


if __name__ == "__main__":
    run_sync()
    asyncio.run(run_async())
    print("identity-os-sdk 0.9.0 against", BASE, ": OK")
