"""Every /v1 operation through the package openapi-python-client generates from the server's
own /openapi.json (identity_os_client, written by ../run into a temporary folder): its
models and its endpoint functions only, no raw dict, no cast, no `# type: ignore`.
../run checks this file with `mypy --strict` against the generated package, then runs it
against the live server.

    PYTHONPATH=DIR_OF_THE_PACKAGE IDOS_BASE_URL=http://127.0.0.1:PORT \
        IDOS_API_KEY=idos_sk_... python calls.py
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from typing import TypeVar

from identity_os_client import AuthenticatedClient
from identity_os_client.api.engine import (
    batch,
    contract,
    drift,
    history,
    process,
    reset,
    snapshot,
)
from identity_os_client.api.instances import (
    create_instance,
    delete_instance,
    get_instance,
    list_instances,
    patch_instance,
    restore_instance,
)
from identity_os_client.api.lifecycle import restart, start, stop, update
from identity_os_client.api.personas import get_persona, list_personas
from identity_os_client.api.test import questions, submit
from identity_os_client.models import (
    BatchFinal,
    BatchStates,
    BatchIn,
    Context,
    Contract,
    CreateInstance,
    CreateInstanceMetadata,
    PersonaId,
    DataBatchBody,
    DataContract,
    DataDeleted,
    DataInstanceBody,
    DataPersonaBody,
    DataProcessBody,
    DataQuestionsBody,
    DataResetBody,
    DataSnapshotBody,
    DataTestResultBody,
    Envelope,
    ErrorCode,
    InitialConfig,
    InitialConfigModeStrengths,
    ListedInstanceBody,
    ListedPersonaBody,
    ListInstancesOrder,
    ListInstancesSort,
    Status,
    Mode,
    ModeName,
    ObservationIn,
    PatchInstance,
    PatchInstanceMetadata,
    TestVersion,
    TrailDriftEventBody,
    TrailHistoryEntryBody,
    ResetIn,
    ResetTarget,
    ResponseIn,
    Snapshot,
    Status,
    SubmitTest,
)
from identity_os_client.types import Response

T = TypeVar("T")

steps = 0


def log(what: str) -> None:
    global steps
    steps += 1
    print(f"ok {steps} - {what}", flush=True)


def ok(label: str, r: Response[T | Envelope], model: type[T], status: int = 200) -> T:
    """The parsed answer after checking the status; the error envelope in the message if not."""
    if r.status_code != status or not isinstance(r.parsed, model):
        raise AssertionError(f"{label}: HTTP {int(r.status_code)} (expected {status}): {r.content!r}")
    return r.parsed


def envelope(label: str, r: Response[T | Envelope], status: int) -> Envelope:
    if r.status_code != status or not isinstance(r.parsed, Envelope):
        raise AssertionError(f"{label}: HTTP {int(r.status_code)} (expected {status}): {r.content!r}")
    return r.parsed


def unit(x: float, what: str) -> None:
    assert 0.0 <= x <= 1.0, f"{what} = {x} is outside [0, 1]"


def check_contract(c: Contract, what: str) -> None:
    both = set(c.allowed_actions) & set(c.forbidden_actions)
    assert not both, f"{what}: allowed and forbidden: {both}"
    assert c.dominant_modes, f"{what}: no dominant mode"
    unit(c.energy_level, f"{what}.energy_level")


def check_snapshot(s: Snapshot, instance_id: str, what: str) -> None:
    assert s.instance_id == instance_id, f"{what}.instance_id = {s.instance_id}"
    for mode, v in s.mode_strengths.to_dict().items():
        assert isinstance(v, (int, float)), f"{what}.mode_strengths.{mode} = {v!r}"
        unit(v, f"{what}.mode_strengths.{mode}")
    unit(s.energy_level, f"{what}.energy_level")
    unit(s.stability_index, f"{what}.stability_index")


def main() -> None:
    base_url = os.environ.get("IDOS_BASE_URL")
    api_key = os.environ.get("IDOS_API_KEY")
    if not base_url or not api_key:
        print("calls.py: set IDOS_BASE_URL and IDOS_API_KEY", file=sys.stderr)
        sys.exit(2)
    client = AuthenticatedClient(
        base_url=base_url,
        token=api_key,
        raise_on_unexpected_status=True,
        follow_redirects=False,
    )

    # --- personas -------------------------------------------------------------------
    personas = ok("GET /v1/personas", list_personas.sync_detailed(client=client), ListedPersonaBody)
    assert len(personas.data) == 12 and personas.pagination.total == 12
    assert any(p.id == "persona_leader" for p in personas.data)
    log(f"GET /v1/personas: {len(personas.data)} personas")

    persona = ok(
        "GET /v1/personas/{id}",
        get_persona.sync_detailed("persona_leader", client=client),
        DataPersonaBody,
    ).data
    assert persona.id == "persona_leader"
    assert len(persona.expressions) >= 2
    check_contract(persona.typical_contract, "persona.typical_contract")
    log(f"GET /v1/personas/{{id}}: {persona.name} ({', '.join(persona.dominant_modes)})")

    # --- create, list, get, patch ---------------------------------------------------
    user = f"gen-py-{time.time_ns()}"
    metadata = CreateInstanceMetadata()
    metadata["team"] = "qa"
    metadata["tier"] = "gold"
    strengths = InitialConfigModeStrengths()
    strengths["exploration"] = 0.9
    strengths["order"] = 0.2
    # (A client of its own: with_headers would also change the shared client's headers.)
    tagged = AuthenticatedClient(base_url=base_url, token=api_key, headers={"X-Request-Id": "gen-py-create"})
    create_res = create_instance.sync_detailed(
        client=tagged,
        body=CreateInstance(
            name="  generated-py-1  ",
            description="made by openapi-python-client",
            persona=PersonaId.PERSONA_LEADER,
            user=user,
            metadata=metadata,
            cycle_cap=1000,
            initial_config=InitialConfig(mode_strengths=strengths, energy_level=0.7),
        ),
    )
    created = ok("POST /v1/instances", create_res, DataInstanceBody, 201).data
    # The document declares no response header: these are read untyped, off the raw headers.
    assert create_res.headers.get("x-request-id") == "gen-py-create", create_res.headers
    assert create_res.headers.get("x-ratelimit-limit") and create_res.headers.get("x-ratelimit-remaining")
    iid = created.id
    assert iid.startswith("inst_") and len(iid) == 21, iid
    assert created.name == "generated-py-1"
    assert created.persona == "persona_leader"
    assert created.user == user
    assert created.metadata.to_dict() == {"team": "qa", "tier": "gold"}
    assert created.cycle_cap == 1000 and created.cycle_count == 0
    assert abs(created.energy_level - 0.7) < 1e-9, created.energy_level
    log(f"POST /v1/instances: {iid} (persona, metadata, initial_config)")

    listed = ok(
        "GET /v1/instances",
        list_instances.sync_detailed(
            client=client,
            user=user,
            status=created.status,
            sort=ListInstancesSort.NAME,
            order=ListInstancesOrder.ASC,
            limit=10,
            offset=0,
        ),
        ListedInstanceBody,
    )
    assert [i.id for i in listed.data] == [iid]
    assert listed.pagination.total == 1 and listed.pagination.has_more is False
    none = ok(
        "GET /v1/instances (stopped)",
        list_instances.sync_detailed(client=client, user=user, status=Status.STOPPED),
        ListedInstanceBody,
    )
    assert none.pagination.total == 0
    log("GET /v1/instances: user + status + sort + order + limit + offset filters")

    got = ok("GET /v1/instances/{id}", get_instance.sync_detailed(iid, client=client), DataInstanceBody).data
    assert got.id == iid and got.description == "made by openapi-python-client"
    log("GET /v1/instances/{id}")

    patch_meta = PatchInstanceMetadata()
    patch_meta["team"] = "ops"
    patched = ok(
        "PATCH /v1/instances/{id}",
        patch_instance.sync_detailed(
            iid,
            client=client,
            body=PatchInstance(name="generated-py-renamed", metadata=patch_meta, cycle_cap=None, user=None),
        ),
        DataInstanceBody,
    ).data
    assert patched.name == "generated-py-renamed"
    assert patched.metadata.to_dict() == {"team": "ops"}
    assert patched.cycle_cap is None and patched.user is None
    assert patched.updated_at >= got.updated_at
    log("PATCH /v1/instances/{id}: name, metadata, cycle_cap and user cleared")

    # --- engine ---------------------------------------------------------------------
    context = Context()
    context["channel"] = "chat"
    context["session"] = {"id": "s-1", "turn": 3, "tags": ["a", "b"], "nested": {"deep": {"ok": True, "score": 0.25}}}
    context["note"] = None
    observed_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    processed = ok(
        "POST /v1/instances/{id}/process",
        process.sync_detailed(
            iid,
            client=client,
            body=ObservationIn(
                mode_target=Mode("EXPLORATION"),
                signal_strength=0.8,
                confidence=0.9,
                context=context,
                timestamp=observed_at,
            ),
        ),
        DataProcessBody,
    ).data
    assert processed.throttled is False and processed.snapshot.cycle == 1
    check_snapshot(processed.snapshot, iid, "process.snapshot")
    check_contract(processed.contract, "process.contract")
    log(f"POST /v1/instances/{{id}}/process: cycle 1, drift {processed.drift.level}")

    step2 = Context()
    step2["step"] = 2
    final = ok(
        "POST /v1/instances/{id}/process/batch",
        batch.sync_detailed(
            iid,
            client=client,
            body=BatchIn(
                observations=[
                    ObservationIn(mode_target=Mode("ORDER"), signal_strength=0.6),
                    ObservationIn(mode_target=ModeName("connection"), signal_strength=0.4, confidence=0.5, context=step2),
                    ObservationIn(mode_target=Mode("STRESS_RESPONSE"), signal_strength=0.3, context=None),
                ]
            ),
        ),
        DataBatchBody,
    ).data
    assert final.processed_count == 3 and final.throttled is False
    assert isinstance(final, BatchFinal), f"batch without include_intermediate answered {final}"
    assert final.snapshot.cycle == 4
    check_contract(final.contract, "batch.contract")
    log("POST /v1/instances/{id}/process/batch: 3 observations, final state")

    every = ok(
        "POST /v1/instances/{id}/process/batch (include_intermediate)",
        batch.sync_detailed(
            iid,
            client=client,
            body=BatchIn(
                include_intermediate=True,
                observations=[
                    ObservationIn(mode_target=Mode("IDENTITY"), signal_strength=0.7),
                    ObservationIn(mode_target=Mode("PERCEPTION"), signal_strength=0.5),
                ],
            ),
        ),
        DataBatchBody,
    ).data
    assert every.processed_count == 2
    assert isinstance(every, BatchStates), f"batch with include_intermediate answered {every}"
    assert [s.snapshot.cycle for s in every.states] == [5, 6]
    for s in every.states:
        check_contract(s.contract, "batch.states[].contract")
    log("POST /v1/instances/{id}/process/batch: include_intermediate, 2 states")

    snap = ok("GET /v1/instances/{id}/snapshot", snapshot.sync_detailed(iid, client=client), DataSnapshotBody).data
    assert snap.cycle == 6 and snap.cycle_count == 6
    assert snap.instance_id == iid
    unit(snap.energy_level, "snapshot.energy_level")
    log("GET /v1/instances/{id}/snapshot: cycle 6")

    con = ok("GET /v1/instances/{id}/contract", contract.sync_detailed(iid, client=client), DataContract).data
    check_contract(con, "contract")
    log(f"GET /v1/instances/{{id}}/contract: allowed {' '.join(a.value for a in con.allowed_actions)}")

    hist = ok(
        "GET /v1/instances/{id}/history",
        history.sync_detailed(iid, client=client, limit=10, offset=0),
        TrailHistoryEntryBody,
    )
    assert hist.pagination.total == 6
    # History retention is off by default: nothing was ever dropped.
    assert hist.kept_since is None, hist.kept_since
    assert [h.seq for h in hist.data] == [6, 5, 4, 3, 2, 1]
    first = hist.data[-1]
    assert first.context.to_dict() == context.to_dict(), first.context.to_dict()
    assert first.observed_at == observed_at, first.observed_at
    log("GET /v1/instances/{id}/history: 6 entries, nested context round-trips")

    # Ten full-strength stress observations in a row: the identity drifts (D1+ events).
    stressed = ok(
        "POST /v1/instances/{id}/process/batch (stress)",
        batch.sync_detailed(
            iid,
            client=client,
            body=BatchIn(
                observations=[
                    ObservationIn(mode_target=Mode("STRESS_RESPONSE"), signal_strength=1.0) for _ in range(10)
                ]
            ),
        ),
        DataBatchBody,
    ).data
    assert stressed.processed_count == 10

    dr = ok(
        "GET /v1/instances/{id}/drift",
        drift.sync_detailed(iid, client=client, limit=50, offset=0),
        TrailDriftEventBody,
    )
    assert dr.pagination.total == len(dr.data)
    assert dr.kept_since is None, dr.kept_since
    assert dr.data, "ten stress observations recorded no drift event"
    for d in dr.data:
        assert d.drift_level.value != "D0"
        assert d.affected_modes and 6 < d.cycle <= 16, d
    log(f"GET /v1/instances/{{id}}/drift: {len(dr.data)} events after 10 stress observations")

    rs = ok(
        "POST /v1/instances/{id}/reset",
        reset.sync_detailed(iid, client=client, body=ResetIn(mode=ResetTarget.INITIAL)),
        DataResetBody,
    ).data
    assert rs.id == iid and rs.reset_to == ResetTarget.INITIAL and rs.cycle == 0
    log("POST /v1/instances/{id}/reset: initial, cycle 0")

    # --- lifecycle ------------------------------------------------------------------
    stopped = ok("POST /v1/instances/{id}/stop", stop.sync_detailed(iid, client=client), DataInstanceBody).data
    assert stopped.status == Status.STOPPED
    refused = envelope(
        "POST /v1/instances/{id}/process (stopped)",
        process.sync_detailed(iid, client=client, body=ObservationIn(mode_target=Mode("ORDER"), signal_strength=0.5)),
        409,
    )
    assert refused.error == ErrorCode.CONFLICT
    assert refused.details and refused.details.reason == "instance_stopped", refused.details
    log("POST /v1/instances/{id}/stop: stopped; process then answers 409 instance_stopped")

    started = ok("POST /v1/instances/{id}/start", start.sync_detailed(iid, client=client), DataInstanceBody).data
    assert started.status != Status.STOPPED
    log(f"POST /v1/instances/{{id}}/start: {started.status}")

    restarted = ok("POST /v1/instances/{id}/restart", restart.sync_detailed(iid, client=client), DataInstanceBody).data
    assert restarted.cycle_count == 16
    log(f"POST /v1/instances/{{id}}/restart: {restarted.status}")

    updated = ok("POST /v1/instances/{id}/update", update.sync_detailed(iid, client=client), DataInstanceBody).data
    assert updated.update_available is False
    log(f"POST /v1/instances/{{id}}/update: engine_version {updated.engine_version}")

    deleted = ok("DELETE /v1/instances/{id}", delete_instance.sync_detailed(iid, client=client), DataDeleted).data
    assert deleted.id == iid and deleted.deleted is True and deleted.restorable_until is not None
    gone = envelope("GET /v1/instances/{id} (deleted)", get_instance.sync_detailed(iid, client=client), 404)
    assert gone.error == ErrorCode.NOT_FOUND
    log("DELETE /v1/instances/{id}: restorable; GET then answers 404")

    restored = ok(
        "POST /v1/instances/{id}/restore", restore_instance.sync_detailed(iid, client=client), DataInstanceBody
    ).data
    assert restored.id == iid and restored.cycle_count == 16
    log("POST /v1/instances/{id}/restore")

    # --- the personality test -------------------------------------------------------
    qs = ok(
        "GET /v1/test/questions",
        questions.sync_detailed(client=client, version=TestVersion.V1),
        DataQuestionsBody,
    ).data
    assert qs.total == 28 and len(qs.questions) == 28
    log(f"GET /v1/test/questions: {qs.total} questions")

    # Each answer is one of the question's own options: the exploration one where there is one.
    responses = []
    for q in qs.questions:
        option = next((o for o in q.options if str(o.mode).lower() == "exploration"), q.options[0])
        responses.append(ResponseIn(question_id=q.id, selected_option_id=option.id))
    result = ok(
        "POST /v1/test/submit",
        submit.sync_detailed(
            client=client,
            body=SubmitTest(responses=responses, create_instance=True, instance_name="generated-py-tested"),
        ),
        DataTestResultBody,
    ).data
    assert result.version == "v1"
    scores = [m.match_score for m in result.matched_personas]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True), scores
    for score in scores:
        unit(score, "match_score")
    assert result.instance is not None and result.instance.name == "generated-py-tested"
    check_contract(result.contract, "submit.contract")
    log(f"POST /v1/test/submit: 28 answers, best match {', '.join(m.id for m in result.matched_personas)}")

    # The result's initial_config, straight into POST /v1/instances.
    from_test = ok(
        "POST /v1/instances (initial_config from the test)",
        create_instance.sync_detailed(
            client=client,
            body=CreateInstance(name="generated-py-from-test", initial_config=result.initial_config),
        ),
        DataInstanceBody,
        201,
    ).data
    from_snap = ok(
        "GET /v1/instances/{id}/snapshot (from the test)",
        snapshot.sync_detailed(from_test.id, client=client),
        DataSnapshotBody,
    ).data
    want = result.mode_strengths.to_dict()
    have = from_snap.mode_strengths.to_dict()
    assert want.keys() == have.keys(), (want, have)
    for mode, v in want.items():
        assert abs(have[mode] - v) < 1e-9, f"{mode}: {have[mode]} != {v}"
    assert abs(from_snap.energy_level - result.energy_level) < 1e-9
    log("POST /v1/instances with the test result's initial_config: the tested profile")

    purged = ok(
        "DELETE /v1/instances/{id}?purge=true",
        delete_instance.sync_detailed(from_test.id, client=client, purge=True),
        DataDeleted,
    ).data
    assert purged.restorable_until is None
    log("DELETE /v1/instances/{id}?purge=true")

    print(f"calls.py: {steps} passed, 0 failed")


if __name__ == "__main__":
    main()
