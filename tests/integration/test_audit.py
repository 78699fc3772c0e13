"""Tamper evidence and re-execution proof: every kind of alteration is found and named."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import runtime
from engine.audit import replay
from engine.people import directory
from engine.store.models import Event, Instance, StoredFile
from engine.timing import deadlines
from tests.conftest import ROOT, at
from tests.driver import Case
from tests.integration import test_clue_0137 as clue

ZHUNRU = str(Path(os.sys.executable).parent / "zhunru")


def verify(sessions, instance_id=None):
    with sessions() as s:
        return replay.verify(s, None if instance_id is None else [instance_id])


def rectified_case(sessions) -> Case:
    """A clue through verification and rectification with evidence, closed."""
    clue.test_happy_path_transfers_verifies_rectifies_and_closes(sessions)
    with sessions() as s:
        return s.scalars(select(Instance.id).order_by(Instance.started_at)).first()


@pytest.mark.parametrize("path", [
    "test_happy_path_transfers_verifies_rectifies_and_closes",
    "test_a_xiangyuan_clue_is_led_by_the_county_ndrc_with_its_own_units",
    "test_no_violation_is_reviewed_and_closed_with_reasons",
    "test_the_report_goes_back_through_the_competent_unit_without_restarting_the_seven_days",
    "test_an_approved_extension_is_told_to_all_three_and_survives_a_return",
    "test_a_refused_extension_changes_nothing_and_is_told_to_all_three",
    "test_one_day_transfer_counts_from_the_day_the_clue_was_received",
])
def test_every_0137_path_replays_to_the_stored_state(sessions, path):
    getattr(clue, path)(sessions)
    result = verify(sessions)
    assert result["failed"] == [] and result["verified"] >= 1


def test_recounts_claims_late_completions_errors_and_cancellations_replay_too(sessions):
    from tests.integration.test_deadlines import CAL_2027, REGISTER
    crossing = Case(sessions, "clue_0137", "city_ndrc", at("2026-12-31 09:00"))
    crossing.complete("register", "city_ndrc", at("2026-12-31 09:00"), REGISTER)
    with sessions() as s, s.begin():
        deadlines.import_calendar(s, "2027.csv", CAL_2027.encode(), "admin", at("2026-12-31 10:00"))
    late = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    late.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    from engine.people import claims
    with sessions() as s, s.begin():
        claims.claim(s, late.task("transfer")["task_id"], directory.actor(s, "city_ndrc_clerk"), at("2026-02-14 09:00"))
    late.complete("transfer", "city_ndrc_clerk", at("2026-02-16 09:00"), {"competent_unit": clue.COMPETENT})
    withdrawn = Case(sessions, "clue_0137", "city_ndrc", at("2026-03-02 09:00"))
    with sessions() as s, s.begin():
        runtime.cancel(s, withdrawn.id, directory.actor(s, "admin"), at("2026-03-02 10:00"), "重复登记")
    crossing.fire(at("2027-01-05 00:00:01"))
    assert verify(sessions) == {"verified": 3, "failed": []}


def test_a_handler_failure_and_its_retry_replay(sessions):
    from tests.integration.test_runtime import test_handler_failure_shows_its_own_message_and_can_be_retried as run
    run(sessions)
    assert verify(sessions)["failed"] == []


def test_a_case_that_read_the_organisation_tree_replays(sessions):
    """region_units reads the tree, which the replay does not keep: its recorded answer stands for it."""
    from engine import definitions
    from tests.integration.test_regions import REGIONAL
    with sessions() as s, s.begin():
        definitions.deploy(s, [("regional.bpmn", REGIONAL.encode())], "admin", at("2026-03-01 08:00"))
    case = Case(sessions, "regional", "county_ndrc", at("2026-03-02 09:00"))
    case.complete("open", "county_ndrc_clerk", at("2026-03-02 10:00"))
    assert case.task("gov_reads")["organisation"] == "county_gov"
    assert verify(sessions, case.id) == {"verified": 1, "failed": []}


def tamper(sessions, instance_id, change):
    with sessions() as s, s.begin():
        events = list(s.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))
        change(s, events)


def test_a_changed_event_is_named(sessions):
    instance_id = rectified_case(sessions)

    def change(s, events):
        completed = next(e for e in events if e.kind == "task_completed" and e.task_name == "verify")
        completed.data = dict(completed.data, data=dict(completed.data["data"], violation_found="no"))
    tamper(sessions, instance_id, change)
    seq = next(e["seq"] for e in clue_history(sessions, instance_id) if e["task_name"] == "verify")
    changed = {"instance_id": instance_id, "seq": seq, "reason": "事件内容与其哈希不符（被修改）"}
    assert verify(sessions)["failed"] == [changed]


def clue_history(sessions, instance_id):
    with sessions() as s:
        return [{"seq": e.seq, "task_name": e.task_name} for e in
                s.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq))]


def test_a_deleted_event_is_named(sessions):
    instance_id = rectified_case(sessions)
    tamper(sessions, instance_id, lambda s, events: s.delete(events[2]))
    assert verify(sessions)["failed"] == [{"instance_id": instance_id, "seq": 3, "reason": "缺少第 3 号事件（被删除）"}]


def test_a_deleted_last_event_is_named(sessions):
    instance_id = rectified_case(sessions)
    count = len(clue_history(sessions, instance_id))
    tamper(sessions, instance_id, lambda s, events: s.delete(events[-1]))
    failure = verify(sessions)["failed"][0]
    assert failure["seq"] == count and "末尾事件被删除" in failure["reason"]


def test_reordered_events_are_named(sessions):
    instance_id = rectified_case(sessions)

    def swap(s, events):
        a, b = events[2], events[3]
        a.seq = -1
        s.flush()
        b.seq = 3
        s.flush()
        a.seq = 4
    tamper(sessions, instance_id, swap)
    failure = verify(sessions)["failed"][0]
    assert failure["seq"] == 3 and "调换了顺序" in failure["reason"]


def test_altered_evidence_is_named(sessions):
    instance_id = rectified_case(sessions)
    with sessions() as s, s.begin():
        row = s.scalars(select(StoredFile)).first()
        row.content = b"%PDF-1.4 a different document"
    failure = verify(sessions)["failed"][0]
    assert failure["instance_id"] == instance_id and "证明材料 整改通知.pdf" in failure["reason"]


def test_a_state_changed_behind_the_record_is_found_by_replay(sessions):
    instance_id = rectified_case(sessions)
    with sessions() as s, s.begin():
        instance = s.get(Instance, instance_id)
        tampered = re.sub(r'"closed": ?true', '"closed": false', instance.state)
        assert tampered != instance.state
        instance.state = tampered
    failure = verify(sessions)["failed"][0]
    assert failure["reason"] == "重放后的办件数据与保存的数据不同"


def test_a_forged_but_rehashed_input_is_found_by_replay(sessions):
    """Someone who recomputes the whole chain after changing an input still cannot match the state."""
    from engine.audit import history
    instance_id = rectified_case(sessions)

    def forge(s, events):
        target = next(e for e in events if e.kind == "task_completed" and e.task_name == "register")
        target.data = dict(target.data, data=dict(target.data["data"], region="别的县"))
        previous = history.GENESIS
        for e in events:
            e.prev_hash = previous
            e.hash = history.event_hash(previous, instance_id, e.seq, e.at, e.actor, e.kind, e.task_id,
                                        e.task_name, e.data)
            previous = e.hash
        s.get(Instance, instance_id).event_hash = previous
    tamper(sessions, instance_id, forge)
    failure = verify(sessions)["failed"][0]
    assert failure["instance_id"] == instance_id and "重放" in failure["reason"]


def test_audit_verify_on_the_command_line(sessions, db_url):
    instance_id = rectified_case(sessions)
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url}
    ok = subprocess.run([ZHUNRU, "audit", "verify", "--all", "--json"], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=120)
    # The closed clue and the archive registration it started.
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"verified": 2, "failed": []}
    tamper(sessions, instance_id, lambda s, events: s.delete(events[1]))
    bad = subprocess.run([ZHUNRU, "audit", "verify", instance_id, "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["failed"] == [{"instance_id": instance_id, "seq": 2,
                                                 "reason": "缺少第 2 号事件（被删除）"}]
