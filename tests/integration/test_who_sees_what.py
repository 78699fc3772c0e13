"""Who sees what (issue 19 §6): the archive catalogue, the submitting unit, auditors and platform accounts,
refusals that tell nothing, and search words taken as written."""
import pytest

from engine import runtime
from engine.errors import InvalidInput, NotEntitled, NotFound
from engine.people import access, claims, directory
from handlers.registers import archive, ledgers
from tests.conftest import at
from tests.driver import Case
from tests.integration.test_case_registry import CLASSIFIED, SUBMIT
from tests.integration.test_clue_0137 import REGISTER

NOW = at("2026-03-02 12:00")


def _archived(sessions, title=SUBMIT["title"]) -> Case:
    case = Case(sessions, "case_registry", "county_market_regulation", at("2026-03-02 09:00"),
                SUBMIT | {"title": title})
    case.complete("check_materials", "county_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
    case.complete("classify", "county_ndrc", at("2026-03-02 11:00"), CLASSIFIED)
    return case


def _catalogue(sessions, user: str, **filters) -> list[str]:
    with sessions() as s:
        actor = directory.actor(s, user)
        return [e["title"] for e in archive.catalogue(s, **filters, visible=access.visible(
            actor, access.jurisdiction(s, actor)))]


def test_the_archive_catalogue_shows_a_case_only_to_those_who_may_see_it(sessions):
    _archived(sessions)
    assert _catalogue(sessions, "county_market_regulation") == [SUBMIT["title"]]  # who submitted it
    assert _catalogue(sessions, "county_ndrc_clerk") == [SUBMIT["title"]]  # the archive's keeper: its county's NDRC
    assert _catalogue(sessions, "county_auditor") == [SUBMIT["title"]]  # its jurisdiction
    assert _catalogue(sessions, "city_ndrc_clerk") == [] and _catalogue(sessions, "city_auditor") == []  # 临汾's
    assert _catalogue(sessions, "county_housing") == []  # an organisation with no part in it
    assert _catalogue(sessions, "county_housing", text="协会") == []


def test_the_submitting_unit_is_the_signed_in_users_not_the_forms(sessions):
    case = Case(sessions, "case_registry", "county_housing_clerk", at("2026-03-02 09:00"),
                SUBMIT | {"source_unit": "county_market_regulation"})
    assert case.view()["data"]["source_unit"] == "county_housing"


def test_a_search_for_percent_or_underscore_means_those_characters(sessions):
    _archived(sessions, "100%限制")
    _archived(sessions, "限制外地_企业")
    _archived(sessions, "其他限制")
    with sessions() as s:
        assert [e["title"] for e in archive.catalogue(s, text="%")] == ["100%限制"]
        assert [e["title"] for e in archive.catalogue(s, text="_")] == ["限制外地_企业"]
    with sessions() as s:
        assert ledgers.items(s, ledger="complaint", text="%") == []


def _transfer(sessions) -> str:
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    return case.task("transfer")["task_id"]


def test_auditors_and_platform_accounts_never_hold_or_start_anything(sessions):
    task_id = _transfer(sessions)
    with sessions() as s, s.begin():
        directory.add_user(s, username="ndrc_auditor", display_name="市发展改革委审计员", organisation_code="city_ndrc",
                           roles=["auditor"], now=NOW)
        directory.add_user(s, username="ndrc_platform", display_name="平台接口", organisation_code="city_ndrc",
                           roles=["platform"], now=NOW)
    for user in ("ndrc_auditor", "ndrc_platform"):
        with sessions() as s, s.begin(), pytest.raises(InvalidInput):
            claims.reassign(s, task_id, user, directory.actor(s, "city_ndrc"), NOW)
    with sessions() as s, s.begin(), pytest.raises(NotEntitled):
        claims.claim(s, task_id, directory.actor(s, "ndrc_auditor"), NOW)
    with sessions() as s, s.begin(), pytest.raises(NotEntitled):
        runtime.start_instance(s, "clue_0137", {}, directory.actor(s, "ndrc_auditor"), NOW)
    with sessions() as s, s.begin(), pytest.raises(NotEntitled):
        runtime.start_instance(s, "clue_0137", {}, directory.actor(s, "ndrc_platform"), NOW)


def test_another_organisations_task_answers_as_a_missing_one(sessions):
    task_id = _transfer(sessions)
    answers = []
    for task in (task_id, "no-such-task"):
        with sessions() as s, s.begin(), pytest.raises(NotFound) as refused:
            claims.claim(s, task, directory.actor(s, "county_housing"), NOW)
        answers.append(str(refused.value).replace(task, "…"))
    assert answers[0] == answers[1]
