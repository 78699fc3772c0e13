"""`audit verify` covers what users rely on besides the history: task and timer rows, case parties, titles,
ledger rows, the inventory of cases and the chain heads (signed checkpoints). Each direct edit of the
database is found and named; untampered cases of every process never fail."""
import importlib
import json
import os
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from engine.audit import checkpoints, history, replay
from engine.errors import InvalidInput
from engine.people import claims, directory
from engine.store.models import AuditCheckpoint, Event, FileUse, HumanTask, Instance, InstanceParty, Timer
from engine.timing import deadlines
from handlers.registers.models import LedgerItem
from tests.conftest import ROOT, at
from tests.driver import Case
from tests.integration import test_clue_0137 as clue
from tests.integration import test_complaint as complaint

ZHUNRU = str(ROOT / ".venv" / "bin" / "zhunru")
KEY = "审计员保管的密钥-not-in-the-database"


@pytest.fixture
def audit_key(monkeypatch):
    monkeypatch.setenv(checkpoints.KEY_ENV, KEY)
    monkeypatch.delenv(checkpoints.KEY_FILE_ENV, raising=False)


def verify(sessions, anchors=None):
    with sessions() as s:
        return replay.verify(s, None, anchors)


def waiting_clue(sessions) -> Case:
    """A clue registered and waiting for its transfer: a ready task with a deadline, a timer, a reminder."""
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), clue.REGISTER)
    return case


def change(sessions, statement):
    with sessions() as s, s.begin():
        result = s.execute(statement)
        # PostgreSQL answers an INSERT that returns its new key with rowcount -1.
        assert result.rowcount >= 1 or (result.is_insert and result.inserted_primary_key)


def only_failure(sessions, instance_id, anchors=None):
    result = verify(sessions, anchors)
    assert [f["instance_id"] for f in result["failed"]] == [instance_id], result
    return result["failed"][0]["reason"]


@pytest.mark.parametrize("statement, named", [
    (lambda i: delete(Timer).where(Timer.instance_id == i, Timer.kind == "event"), "定时器行被删除，该期限将不会触发"),
    (lambda i: update(Timer).where(Timer.instance_id == i, Timer.kind == "event")
     .values(due_at=at("2036-02-15 00:00")), "到期时间被改为 2036-02-15"),
    (lambda i: delete(Timer).where(Timer.instance_id == i, Timer.kind == "reminder"), "催办（"),
    (lambda i: update(Timer).where(Timer.instance_id == i, Timer.kind == "reminder")
     .values(due_at=at("2036-01-01 00:00")), "催办 的到期时间被改为"),
])
def test_deleted_or_altered_timer_rows_are_named(sessions, statement, named):
    case = waiting_clue(sessions)
    assert verify(sessions) == {"verified": 1, "failed": []}
    change(sessions, statement(case.id))
    assert named in only_failure(sessions, case.id)


@pytest.mark.parametrize("values, named", [
    ({"organisation": "county_gov"}, "被移到 county_gov，应由 city_ndrc 办理"),
    ({"due_at": at("2026-03-15 00:00")}, "办理期限被改为 2026-03-15"),
    ({"assignee": "county_gov_clerk"}, "办理人被改为 county_gov_clerk"),
    ({"reminded_at": at("2026-02-13 10:00")}, "被标为已催办"),
])
def test_a_task_moved_to_another_organisation_or_due_date_is_named(sessions, values, named):
    case = waiting_clue(sessions)
    change(sessions, update(HumanTask).where(HumanTask.instance_id == case.id).values(**values))
    reason = only_failure(sessions, case.id)
    assert named in reason


def test_a_deleted_task_row_is_named(sessions):
    case = waiting_clue(sessions)
    change(sessions, delete(HumanTask).where(HumanTask.instance_id == case.id))
    assert "的任务行被删除" in only_failure(sessions, case.id)


@pytest.mark.parametrize("statement, named", [
    (lambda i: InstanceParty.__table__.insert().values(instance_id=i, kind="organisation", code="county_market"),
     "办件当事方单位 county_market 被添加"),
    (lambda i: InstanceParty.__table__.insert().values(instance_id=i, kind="user", code="county_gov_clerk"),
     "办件当事方用户 county_gov_clerk 被添加"),
    (lambda i: delete(InstanceParty).where(InstanceParty.instance_id == i, InstanceParty.kind == "organisation",
                                           InstanceParty.code == "yaodu_gov"), "办件当事方单位 yaodu_gov 被删除"),
    (lambda i: delete(InstanceParty).where(InstanceParty.instance_id == i, InstanceParty.code == "city_ndrc"),
     "办件当事方"),
])
def test_added_or_removed_case_parties_are_named(sessions, statement, named):
    case = clue.received_and_transferred(sessions)
    change(sessions, statement(case.id))
    assert named in only_failure(sessions, case.id)


def test_an_altered_case_title_is_named(sessions):
    case = waiting_clue(sessions)
    change(sessions, update(Instance).where(Instance.id == case.id).values(title="另一办件"))
    assert only_failure(sessions, case.id) == ("办件标题被改为「另一办件」，记录得出的标题为"
                                               "「尧都区：某区要求外地企业在本地设立分公司方可参与招投标」")


def bad_rating_complaint(sessions) -> str:
    complaint.test_bad_rating_reopens_handling_enters_the_rectification_ledger_and_everyone_is_answered_again(sessions)
    with sessions() as s:
        return s.scalars(select(LedgerItem.instance_id)).first()


@pytest.mark.parametrize("statement, named", [
    (lambda: update(LedgerItem).where(LedgerItem.ledger == "rectification").values(status="rectifying"),
     "台账事项 XY-TS-2026-0001-R1 的状态被改为 rectifying，记录为 closed"),
    (lambda: update(LedgerItem).where(LedgerItem.ledger == "complaint").values(organisation="county_gov"),
     "的责任单位被改为 county_gov"),
    (lambda: update(LedgerItem).where(LedgerItem.ledger == "complaint").values(title="别的事项"),
     "的事项被改为 别的事项"),
    (lambda: delete(LedgerItem).where(LedgerItem.ledger == "rectification"), "台账事项 XY-TS-2026-0001-R1 被删除"),
])
def test_altered_or_deleted_ledger_rows_are_named(sessions, statement, named):
    instance_id = bad_rating_complaint(sessions)
    assert verify(sessions)["failed"] == []
    change(sessions, statement())
    assert named in only_failure(sessions, instance_id)


def test_an_added_ledger_row_is_named(sessions):
    instance_id = bad_rating_complaint(sessions)
    with sessions() as s, s.begin():
        s.add(LedgerItem(ledger="complaint", instance_id=instance_id, item_key="TS-伪造", source="热线", title="伪造",
                         status="closed", opened_at=at("2026-03-01 09:00"), detail={}))
    assert "台账事项 TS-伪造 不是本案记录的服务调用写入的（被添加）" in only_failure(sessions, instance_id)


def delete_case(sessions, instance_id):
    with sessions() as s, s.begin():
        for model in (Event, InstanceParty, HumanTask, Timer, FileUse, LedgerItem):
            s.execute(delete(model).where(model.instance_id == instance_id))
        s.execute(delete(Instance).where(Instance.id == instance_id))


def checkpoint(sessions, now="2026-02-13 12:00"):
    with sessions() as s, s.begin():
        return checkpoints.write(s, "admin", at(now))


def test_a_whole_deleted_case_is_found_by_the_checkpoints(sessions, audit_key):
    case, other = waiting_clue(sessions), Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 10:00"))
    checkpoint(sessions)
    delete_case(sessions, case.id)
    result = verify(sessions)
    assert result["verified"] == 1 and other.id not in {f["instance_id"] for f in result["failed"]}
    # A registered clue's chain: started, the region looked up, registered, the clue ledger's row (4 events).
    assert result["failed"] == [{"instance_id": case.id, "seq": 4,
                                 "reason": "办件已被删除（第 1 号检查点记录其链尾为第 4 号事件）"}]


def recompute_chain_with_another_actor(sessions, instance_id):
    with sessions() as s, s.begin():
        events = list(s.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))
        events[1].actor = "county_gov"
        previous = history.GENESIS
        for e in events:
            e.prev_hash = previous
            e.hash = history.event_hash(previous, instance_id, e.seq, e.at, e.actor, e.kind, e.task_id,
                                        e.task_name, e.data)
            previous = e.hash
        s.get(Instance, instance_id).event_hash = previous


def test_an_actor_changed_with_the_chain_recomputed_is_found_by_the_checkpoints(sessions, audit_key):
    case = waiting_clue(sessions)
    checkpoint(sessions)
    recompute_chain_with_another_actor(sessions, case.id)
    with sessions() as s, s.begin():  # the forger also makes the parties fit the forged actor
        s.execute(InstanceParty.__table__.insert().values(instance_id=case.id, kind="user", code="county_gov"))
    assert only_failure(sessions, case.id) == \
        "第 4 号事件的哈希与第 1 号检查点记录的不符（事件被改动后哈希链被重新计算）"


def test_exported_checkpoints_find_a_case_deleted_with_every_checkpoint(sessions, audit_key):
    case = waiting_clue(sessions)
    checkpoint(sessions)
    with sessions() as s:
        exported = [json.loads(line) for line in checkpoints.to_jsonl(checkpoints.entries(s)).splitlines()]
    assert verify(sessions, exported) == {"verified": 1, "failed": []}
    delete_case(sessions, case.id)
    change(sessions, delete(AuditCheckpoint))
    assert verify(sessions)["failed"] == []  # the database alone no longer knows
    assert verify(sessions, exported)["failed"] == [
        {"instance_id": "检查点", "seq": 1, "reason": "数据库中缺少导出的第 1 号检查点（被删除）"},
        {"instance_id": case.id, "seq": 4, "reason": "办件已被删除（导出的第 1 号检查点记录其链尾为第 4 号事件）"}]


def test_a_checkpoint_rewritten_without_the_key_is_named(sessions, audit_key):
    case = waiting_clue(sessions)
    checkpoint(sessions)
    delete_case(sessions, case.id)
    change(sessions, update(AuditCheckpoint).values(heads=[]))
    assert verify(sessions)["failed"] == [
        {"instance_id": "检查点", "seq": 1, "reason": "第 1 号检查点的签名不符（被改动）"}]


def test_a_checkpoint_needs_the_key_kept_outside_the_database(sessions, monkeypatch):
    monkeypatch.delenv(checkpoints.KEY_ENV, raising=False)
    monkeypatch.delenv(checkpoints.KEY_FILE_ENV, raising=False)
    with sessions() as s, pytest.raises(InvalidInput, match="ZHUNRU_AUDIT_KEY"):
        checkpoints.write(s, "admin", at("2026-02-13 12:00"))


def test_checkpoints_chain_and_sign_with_a_key_file(sessions, monkeypatch, tmp_path):
    monkeypatch.delenv(checkpoints.KEY_ENV, raising=False)
    (tmp_path / "replay.key").write_text(KEY + "\n")
    monkeypatch.setenv(checkpoints.KEY_FILE_ENV, str(tmp_path / "replay.key"))
    waiting_clue(sessions)
    first, second = checkpoint(sessions), checkpoint(sessions, "2026-02-14 12:00")
    assert second["prev_hash"] == first["hash"] and second["heads"][0][1] == 4
    assert verify(sessions) == {"verified": 1, "failed": []}


SPECIMENS = [
    (clue, "test_happy_path_transfers_verifies_rectifies_and_closes"),
    (clue, "test_the_report_goes_back_through_the_competent_unit_without_restarting_the_seven_days"),
    (clue, "test_an_approved_extension_is_told_to_all_three_and_survives_a_return"),
    (clue, "test_a_xiangyuan_clue_is_led_by_the_county_ndrc_with_its_own_units"),
    ("test_clue_0137_supervision",
     "test_a_report_reaches_the_government_at_once_and_a_circular_is_read_by_the_regions_units"),
    (complaint, "test_main_path_from_hotline_to_written_report_with_a_deadline_on_every_step"),
    (complaint, "test_bad_rating_reopens_handling_enters_the_rectification_ledger_and_everyone_is_answered_again"),
    (complaint, "test_a_merged_repeat_complaints_complainant_is_answered_too"),
    (complaint, "test_co_departments_get_their_own_tasks_and_their_opinions_reach_the_handling_department"),
    (complaint, "test_a_complaint_taken_in_by_linfens_ndrc_is_led_and_dispatched_there"),
    (complaint, "test_overdue_handling_escalates_to_the_region_government_naming_step_and_unit"),
    (complaint, "test_complex_case_extension_to_fifteen_working_days_from_dispatch"),
    ("test_self_inspection", "test_campaign_with_a_problem_in_one_department_and_none_in_the_other"),
    ("test_self_inspection", "test_overdue_rectification_and_report_escalate"),
    ("test_case_registry", "test_department_materials_are_checked_numbered_classified_and_catalogued"),
    ("test_case_registry", "test_incomplete_materials_go_back_for_supplement_and_a_late_supplement_is_supervised"),
    ("test_archive_security", "test_a_clean_archive_passes_its_check"),
    ("test_archive_security", "test_problems_the_office_finds_get_their_own_deadline_and_person"),
    ("test_archive_security", "test_a_check_not_done_in_time_is_reported"),
    ("test_case_notice", "test_facts_not_confirmed_go_back_to_the_lead"),
    ("test_case_notice", "test_overdue_verification_escalates"),
    ("test_schedules", "test_each_scheduled_process_starts_one_case_at_each_time_of_its_cycle"),
]


@pytest.mark.parametrize("module, name", SPECIMENS, ids=[n for _, n in SPECIMENS])
def test_untampered_cases_of_every_process_verify_clean(sessions, audit_key, module, name):
    if isinstance(module, str):
        module = importlib.import_module(f"tests.integration.{module}")
    if hasattr(module, "archive_cases"):  # that module's autouse set-up
        module.archive_cases(sessions)
    getattr(module, name)(sessions)
    checkpoint(sessions, "2027-06-01 00:00")
    result = verify(sessions)
    assert result["failed"] == [] and result["verified"] >= 1


def test_claims_reassignments_recounts_and_extensions_verify_clean(sessions, audit_key):
    from tests.integration.test_deadlines import CAL_2027, REGISTER
    crossing = Case(sessions, "clue_0137", "city_ndrc", at("2026-12-31 09:00"))
    crossing.complete("register", "city_ndrc", at("2026-12-31 09:00"), REGISTER)
    held = waiting_clue(sessions)
    task_id = held.task("transfer")["task_id"]
    with sessions() as s, s.begin():
        claims.claim(s, task_id, directory.actor(s, "city_ndrc_clerk"), at("2026-02-13 10:00"))
    with sessions() as s, s.begin():
        claims.release(s, task_id, directory.actor(s, "city_ndrc_clerk"), at("2026-02-13 10:05"))
    with sessions() as s, s.begin():
        claims.reassign(s, task_id, "city_ndrc_clerk", directory.actor(s, "city_ndrc"), at("2026-02-13 10:10"))
    checkpoint(sessions)
    assert verify(sessions)["failed"] == []
    held.fire(at("2026-02-14 00:00"))  # the 催办 reminder of the last working day
    with sessions() as s, s.begin():
        deadlines.import_calendar(s, "2027.csv", CAL_2027.encode(), "admin", at("2026-12-31 10:00"))
    clue.test_an_approved_extension_is_told_to_all_three_and_survives_a_return(sessions)
    checkpoint(sessions, "2027-01-02 00:00")
    assert verify(sessions)["failed"] == []
    crossing.fire(at("2027-01-05 00:00:01"))
    held.fire(at("2026-02-16 00:00"))
    assert verify(sessions)["failed"] == []


def test_audit_checkpoint_and_anchors_on_the_command_line(sessions, db_url, tmp_path):
    case = waiting_clue(sessions)
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url, "ZHUNRU_NOW": "2026-02-13T12:00:00+08:00"}
    env.pop(checkpoints.KEY_ENV, None)
    env.pop(checkpoints.KEY_FILE_ENV, None)

    def zhunru(*args, **extra):
        return subprocess.run([ZHUNRU, "audit", *args], cwd=ROOT, env={**env, **extra}, capture_output=True,
                              text=True, timeout=120)
    refused = zhunru("checkpoint")
    assert refused.returncode == 2 and "ZHUNRU_AUDIT_KEY" in refused.stderr
    made = zhunru("checkpoint", "--json", ZHUNRU_AUDIT_KEY=KEY)
    assert made.returncode == 0 and json.loads(made.stdout)["cases"] == 1
    anchors = tmp_path / "anchors.jsonl"
    assert zhunru("checkpoint", "--export", str(anchors), ZHUNRU_AUDIT_KEY=KEY).returncode == 0
    assert json.loads(anchors.read_text().splitlines()[0])["heads"][0][0] == case.id
    delete_case(sessions, case.id)
    change(sessions, delete(AuditCheckpoint))
    bad = zhunru("verify", "--all", "--anchors", str(anchors), "--json", ZHUNRU_AUDIT_KEY=KEY)
    assert bad.returncode == 1
    assert {f["instance_id"] for f in json.loads(bad.stdout)["failed"]} == {"检查点", case.id}


def test_timers_due_far_later_are_named_even_by_a_second(sessions):
    case = waiting_clue(sessions)
    with sessions() as s, s.begin():
        row = s.scalars(select(Timer).where(Timer.instance_id == case.id, Timer.kind == "event")).one()
        row.due_at = row.due_at + timedelta(seconds=1)
    assert "到期时间被改为" in only_failure(sessions, case.id)


def test_the_worker_signs_the_chain_heads_once_a_day_when_a_key_is_set(sessions, db_url):
    waiting_clue(sessions)
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url}
    env.pop(checkpoints.KEY_ENV, None)
    env.pop(checkpoints.KEY_FILE_ENV, None)

    def tick(now, **extra):
        done = subprocess.run([ZHUNRU, "timers", "fire", "--now", now, "--json"], cwd=ROOT, env={**env, **extra},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with sessions() as s:
            return [e["created_at"] for e in checkpoints.entries(s)]

    assert tick("2026-02-13T12:00:00+08:00") == []  # no key: nothing to sign with
    first = tick("2026-02-13T12:00:00+08:00", ZHUNRU_AUDIT_KEY=KEY)
    assert len(first) == 1
    assert tick("2026-02-14T11:59:00+08:00", ZHUNRU_AUDIT_KEY=KEY) == first  # within the day setting
    assert len(tick("2026-02-14T12:00:00+08:00", ZHUNRU_AUDIT_KEY=KEY)) == 2
    assert verify(sessions)["failed"] == []
