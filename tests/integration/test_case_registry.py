"""Case materials registered in the archive with a yearly number, catalogued and reviewed (L§13)."""
import threading

import pytest
from sqlalchemy import select

from engine import archive, audit, directory, queries, runtime
from engine.errors import FormInvalid
from engine.models import Instance
from tests.conftest import at
from tests.driver import Case, snapshot, upload
from tests.integration import test_clue_0137 as clue

SUBMIT = {"source_unit": "county_market_regulation", "title": "某协会限制外地企业入会",
          "summary": "县某行业协会章程要求会员须在本县注册满三年，排除外地企业平等参与。",
          "category": "ENTITY", "case_date": "2026-02-20"}


def catalogue(sessions, **filters):
    with sessions() as s:
        return archive.catalogue(s, **filters)


def submitted(sessions, when="2026-03-02 09:00", **changes):
    return Case(sessions, "case_registry", "county_market_regulation", at(when), SUBMIT | changes)


def test_department_materials_are_checked_numbered_classified_and_catalogued(sessions):
    material = upload(sessions, "协会章程.pdf", b"%PDF-1.4 charter", "county_market_regulation", at("2026-03-02 08:00"))
    case = submitted(sessions, materials=[material])
    assert case.ready() == ["check_materials"] and case.task("check_materials")["organisation"] == "city_ndrc"
    case.complete("check_materials", "city_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
    case.complete("classify", "city_ndrc", at("2026-03-02 11:00"),
                  {"archive_category": "ENTITY", "importance": "important", "keywords": "行业协会"})
    [entry] = catalogue(sessions)
    assert entry["archive_no"] == "LF-2026-0001" and entry["category_text"] == "主体违规"
    assert (entry["importance_text"], entry["source_unit"], entry["case_date"]) == ("重要", "county_market_regulation",
                                                                                   "2026-02-20")
    assert entry["files"] == [material]
    assert ("county_market_regulation", "案例资料已登记归档") in case.notifications()
    assert catalogue(sessions, text="协会") == [entry] and catalogue(sessions, text="招标") == []
    assert catalogue(sessions, category="HIDDEN_BARRIER") == []
    # L§13(五): reviewed periodically — 180 calendar days later (Sat 08-29 moves to Mon 08-31), and again.
    assert case.timers()["review_due"] == at("2026-09-01 00:00")
    assert case.fire(at("2026-09-01 00:01")) == ["review_due"]
    case.complete("periodic_review", "city_ndrc", at("2026-09-01 09:00"),
                  {"review_decision": "keep", "review_note": "资料完整。"})
    assert catalogue(sessions)[0]["reviewed_at"] == at("2026-09-01 09:00").isoformat()
    assert case.timers()["review_due"] == at("2027-03-02 00:00")  # Sun 2027-02-28 → Mon 03-01
    with sessions() as s:
        assert audit.verify(s, [case.id])["failed"] == []


def test_incomplete_materials_go_back_for_supplement_and_a_late_supplement_is_supervised(sessions):
    case = submitted(sessions)
    case.complete("check_materials", "city_ndrc", at("2026-03-02 10:00"),
                  {"materials_decision": "supplement", "check_opinion": "缺少协会章程原件。"})
    assert case.task("supplement")["organisation"] == "county_market_regulation"
    assert case.fire(at("2026-03-10 00:01")) == ["supplement_deadline"]
    assert [e["overdue_unit"] for e in case.view()["escalations"]] == ["county_market_regulation"]
    material = upload(sessions, "章程.pdf", b"%PDF-1.4 charter", "county_market_regulation", at("2026-03-10 09:00"))
    case.complete("supplement", "county_market_regulation", at("2026-03-10 09:00"), {"materials": [material]})
    assert case.ready() == ["check_materials"]


def test_a_closed_clue_is_registered_automatically(sessions):
    clue.test_happy_path_transfers_verifies_rectifies_and_closes(sessions)
    with sessions() as s:
        registry_id = s.scalars(select(Instance.id).where(Instance.process_id == "case_registry")).one()
        clue_id = s.scalars(select(Instance.id).where(Instance.process_id == "clue_0137")).one()
        view = queries.instance_view(s, registry_id, at("2026-03-01 12:00"))
    data = view["data"]
    assert data["source_instance"] == clue_id
    assert (data["category"], data["source_unit"]) == ("HIDDEN_BARRIER", "county_gov") and data["materials"]
    assert [t["task_name"] for t in view["ready_tasks"]] == ["check_materials"]


def test_archive_numbers_are_sequential_per_year_and_never_reused_under_concurrency(sessions):
    numbers: list[str] = []
    errors: list[Exception] = []

    def allocate() -> None:
        try:
            with sessions() as s, s.begin():
                numbers.append(archive.allocate(s, 2026))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"LF-2026-{n:04d}" for n in range(1, 13)]
    with sessions() as s, s.begin():
        assert archive.allocate(s, 2027) == "LF-2027-0001"
    # A registration that is rolled back never issued its number: the sequence stays without gaps.
    with sessions() as s:
        s.begin()
        assert archive.allocate(s, 2026) == "LF-2026-0013"
        s.rollback()
    with sessions() as s, s.begin():
        assert archive.allocate(s, 2026) == "LF-2026-0013"


def test_bad_submission_is_refused_and_nothing_is_stored(sessions):
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(FormInvalid) as refused:
        runtime.start_instance(s, "case_registry", SUBMIT | {"category": "UNKNOWN", "case_date": "2026-02-31"},
                               directory.actor(s, "county_market_regulation"), at("2026-03-02 09:00"))
    assert set(refused.value.errors) == {"category", "case_date"}
    assert snapshot(sessions) == before
