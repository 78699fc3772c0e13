"""`zhunru init --demo` seeds the cases a newcomer finds on every page, in 襄垣县 and in 临汾市
(handlers/demo_cases.py): made through the runtime at times counted back from `now`, their deadlines fired as the
worker fires them, so each user's lists, the registers and the public page show them, the audit re-executes them,
and a second run adds nothing."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import queries
from engine.audit import replay
from engine.people import directory
from engine.store.models import Escalation, Event, Instance
from handlers import demo_cases
from handlers.demo_content import LINFEN, XIANGYUAN
from handlers.registers import archive, circulars, clue_ledger, ledgers, notices
from tests.conftest import at

NOW = at("2026-12-02 10:00")  # a Wednesday
XY_OVERDUE, LF_OVERDUE = demo_cases.clue_title(XIANGYUAN, "overdue"), demo_cases.clue_title(LINFEN, "overdue")


@pytest.fixture
def demo(sessions):
    with sessions() as s, s.begin():
        assert demo_cases.seed(s, NOW)
    return sessions


def listed(sessions, user, scope=None) -> list[tuple[str, str, bool]]:
    """The user's 待办 as the task list shows it: step, case, red or not."""
    with sessions() as s:
        rows = queries.task_page(s, directory.actor(s, user), NOW, scope, per_page=100)["items"]
    return [(r["title"], r["case_title"], r["overdue"]) for r in rows]


def counts(sessions) -> tuple[int, int]:
    with sessions() as s:
        return (s.scalar(select(func.count()).select_from(Instance)),
                s.scalar(select(func.count()).select_from(Event)))


def test_each_place_has_clues_in_every_state_led_by_its_own_ndrc(demo):
    verifying = ("落实责任单位并核查", demo_cases.clue_title(XIANGYUAN, "verifying"), False)
    assert listed(demo, "county_approval_bureau_clerk", "mine") == [verifying]  # claimed by its clerk
    assert ("落实责任单位并核查", demo_cases.clue_title(LINFEN, "verifying"), False) in listed(
        demo, "hongtong_gov_clerk")
    assert ("移交主管单位", demo_cases.clue_title(XIANGYUAN, "received"), False) in listed(demo, "county_ndrc_clerk")
    # Overdue: the verification stays red with its unit, the lapse is reported, the report reaches the government.
    assert ("落实责任单位并核查", XY_OVERDUE, True) in listed(demo, "county_transport_clerk")
    assert ("整改并报送", LF_OVERDUE, True) in listed(demo, "yaodu_market_regulation_clerk")
    assert listed(demo, "city_gov") == [("阅示督办报告：整改逾期（临汾市尧都区市场监督管理局）", LF_OVERDUE, False)]
    with demo() as s:
        escalated = {(title, e.step, e.overdue_unit, e.reported_to) for e, title in s.execute(
            select(Escalation, Instance.title).join(Instance, Instance.id == Escalation.instance_id))}
        issued = {org: [c["title"] for c in circulars.readable(s, org)] for org in ("county_housing", "city_housing")}
        ledger = Counter((r["status_text"], r["title"][:3]) for r in clue_ledger.rows(s, directory.names(s)))
        catalogue = {e["archive_no"]: e["title"] for e in archive.catalogue(s)}
        closed = s.scalars(select(Instance.status).where(Instance.title.in_(
            [demo_cases.clue_title(place, "closed") for place in (XIANGYUAN, LINFEN)]),
            Instance.process_id == "clue_0137")).all()
    # Only the cases meant to be late are: every other demo case is on time at `now`.
    assert escalated == {
        (XY_OVERDUE, "verify", "county_transport", "county_ndrc"),
        (XY_OVERDUE, "verify", "county_transport", "county_gov"),
        (LF_OVERDUE, "verify", "yaodu_gov", "city_ndrc"), (LF_OVERDUE, "verify", "yaodu_gov", "city_gov"),
        (LF_OVERDUE, "rectify", "yaodu_market_regulation", "city_ndrc"),
        (LF_OVERDUE, "rectify", "yaodu_market_regulation", "city_gov"),
        ("市行政审批服务管理局：药品零售许可设置门店间距限制", "handle", "city_approval_bureau", "city_gov")}
    assert issued == {"county_housing": ["关于襄垣县交通运输局在问题线索核查整改中核查逾期的通报"],
                      "city_housing": ["关于临汾市尧都区人民政府在问题线索核查整改中核查逾期的通报"]}
    assert ledger == Counter({("已销号", "襄垣县"): 1, ("已销号", "临汾市"): 1, ("核查中", "襄垣县"): 2,
                              ("核查中", "临汾市"): 1, ("整改中", "临汾市"): 1, ("待移交", "襄垣县"): 1})
    # Closed clues are archived by their own NDRC, beside materials a department submitted.
    assert closed == ["completed", "completed"]
    assert catalogue == {"XY-2026-0001": demo_cases.clue_title(XIANGYUAN, "closed"),
                         "XY-2026-0002": XIANGYUAN.submitted["title"],
                         "LF-2026-0001": demo_cases.clue_title(LINFEN, "closed"),
                         "LF-2026-0002": LINFEN.submitted["title"]}


def test_complaints_notices_and_self_inspections_in_both_places(demo):
    with demo() as s:
        complaints = {r["item_key"]: (r["status"], r["status_text"]) for r in ledgers.items(s, ledger="complaint")}
        problems = {r["item_key"]: (r["status"], r["source"]) for r in ledgers.items(s, ledger="rectification")}
        published = [(n["issue"], n["title"]) for n in notices.published(s)]
        portal = {n["issue"]: n["portal_text"] for n in notices.published(s)}
        campaigns = s.scalars(select(Instance.title).where(Instance.process_id == "self_inspection",
                                                           Instance.status == "running")
                              .order_by(Instance.started_at)).all()
        leads = Counter()
        for case in s.scalars(select(Instance)):
            data = queries.instance_view(s, case.id, NOW)["data"]
            leads[case.process_id, data.get("lead_unit") or data.get("lead")] += 1
    assert complaints == {
        "XY-TS-2026-0001": ("closed", "已销号"), "XY-TS-2026-0002": ("reopened", "不满意重办"),
        "XY-TS-2026-0003": ("dispatched", "已派单"), "XY-TS-2026-0004": ("open", "办理中"),
        "LF-TS-2026-0001": ("closed", "已销号"), "LF-TS-2026-0002": ("dispatched", "已派单"),
        "LF-TS-2026-0003": ("handled", "已答复")}
    # The bad rating entered the rectification ledger; each campaign's problems are there too, one under review.
    assert problems["XY-TS-2026-0002-R1"] == ("rectifying", "投诉差评")
    assert sorted(status for key, (status, _) in problems.items() if "-ZC-" in key) == [
        "rectifying", "rectifying", "reviewing", "reviewing"]
    reopened = "县行政审批服务管理局：道路货物运输经营许可要求提供本地停车场产权证明"
    assert ("核查处理（一案一核查）", reopened, False) in listed(demo, "county_approval_bureau_clerk")
    assert ("提出协办意见", "县住房和城乡建设管理局：施工许可要求外地企业在本县设立分公司", False) in listed(
        demo, "county_market_regulation_clerk")
    assert ("回访", "市住房和城乡建设局：招标文件要求提供本市项目业绩", False) in listed(demo, "city_ndrc_clerk")
    # Published typical-case notices for the public page, each followed by its region's self-inspection.
    assert published == [("2026年第2期", "2026年临汾市违背市场准入负面清单典型案例通报"),
                         ("2026年第1期", "2026年襄垣县违背市场准入负面清单典型案例通报")]
    assert "襄垣县发展改革和科学技术局\n2026年11月" in portal["2026年第1期"]
    assert campaigns == ["对照2026年第1期典型案例通报自查自纠（XY-ZC-2026-0001）",
                         "对照2026年第2期典型案例通报自查自纠（LF-ZC-2026-0001）"]
    assert [t for t, _, _ in listed(demo, "county_ndrc_clerk") if t == "甄别复核"] == ["甄别复核"]
    assert ("自查并登记问题", campaigns[0], False) in listed(demo, "county_justice_clerk")
    assert leads == Counter({("clue_0137", "county_ndrc"): 4, ("clue_0137", "city_ndrc"): 3,
                             ("complaint", "county_ndrc"): 4, ("complaint", "city_ndrc"): 3,
                             ("case_registry", "county_ndrc"): 2, ("case_registry", "city_ndrc"): 2,
                             ("case_notice", "county_ndrc"): 1, ("case_notice", "city_ndrc"): 1,
                             ("self_inspection", "county_ndrc"): 1, ("self_inspection", "city_ndrc"): 1})


def test_a_second_run_adds_nothing_and_every_demo_case_replays(demo):
    before = counts(demo)
    with demo() as s, s.begin():
        assert demo_cases.seed(s, NOW + timedelta(days=3)) is None
    assert counts(demo) == before
    with demo() as s:
        assert replay.verify(s, None) == {"verified": before[0], "failed": []}
