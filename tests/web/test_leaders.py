"""The leaders' view (web/leaders.py) over the demo cases at a fixed now: its figures are the database's, each
number opens a list of exactly those items, a government sees its region and the reports made to it, and
another region's leader sees none of it."""
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from engine import lateness
from engine.people import directory
from engine.store.models import Escalation, HumanTask, Organisation
from handlers import demo_cases
from handlers.demo_content import LINFEN
from tests.integration.test_demo_cases import NOW
from tests.web.conftest import sign_in


@pytest.fixture
def demo(sessions, monkeypatch):
    with sessions() as s, s.begin():
        assert demo_cases.seed(s, NOW)
    monkeypatch.setenv("ZHUNRU_NOW", NOW.isoformat())
    return sessions


def _region(s, code: str) -> set[str]:
    return set(directory.subtree(s, code))


def _open(s, units: set[str], now: datetime) -> dict[str, dict[str, set[str]]]:
    """The open steps of these units by card, straight from the task rows."""
    found: dict[str, dict[str, set[str]]] = {}
    for t in s.scalars(select(HumanTask).where(HumanTask.organisation.in_(units))):
        cards = found.setdefault(t.organisation, {"red": set(), "yellow": set(), "open": set()})
        cards["open"].add(t.id)
        if t.due_at is not None and t.due_at <= now:
            cards["red"].add(t.id)
        elif t.due_at is not None and t.remind_at is not None and t.remind_at <= now:
            cards["yellow"].add(t.id)
    return found


def _row(html: str, table: str, key: str, value: str) -> str:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    match = re.search(rf'<tr {key}="{re.escape(value)}">(.*?)</tr>', body, re.S)
    assert match, (table, value)
    return match.group(1)


def _link(row: str, cls: str) -> tuple[str, int]:
    href, number = re.search(rf'<a class="{cls}" href="([^"]+)">([\d.]+)%?</a>', row).groups()
    return href.replace("&amp;", "&"), float(number) if "." in number else int(number)


def _listed_tasks(client, href: str) -> set[str]:
    html = client.get(href).get_data(as_text=True)
    return set(re.findall(r'data-task="([^"]+)"', html))


def test_a_city_leader_sees_its_region_by_card_and_each_number_opens_exactly_those_steps(demo, client):
    with demo() as s:
        region = _region(s, "city_gov")
        expected = _open(s, region, NOW)
    assert any(cards["red"] for cards in expected.values())  # the demo's overdue clue is in 临汾
    sign_in(client, "city_gov")
    html = client.get("/leaders").get_data(as_text=True)
    assert "逾期与督办" in html and "2026-12-02 10:00" in html
    for unit, cards in expected.items():
        row = _row(html, "units-table", "data-unit", unit)
        with demo() as s:
            assert s.scalar(select(Organisation.name).where(Organisation.code == unit)) in row  # names, not codes
        for card in ("red", "yellow", "open"):
            href, number = _link(row, card)
            assert number == len(cards[card]), (unit, card)
            assert _listed_tasks(client, href) == cards[card], (unit, card)
    # Nothing of 长治/襄垣 (another region) on the city's page.
    assert "county_transport" not in html and "襄垣县" not in html


def test_by_process_counts_and_lists(demo, client):
    with demo() as s:
        region = _region(s, "city_gov")
        rows = s.scalars(select(HumanTask).where(HumanTask.organisation.in_(region))).all()
    sign_in(client, "city_gov")
    html = client.get("/leaders").get_data(as_text=True)
    for process_id in {t.process_id for t in rows}:
        red = {t.id for t in rows if t.process_id == process_id and t.due_at is not None and t.due_at <= NOW}
        href, number = _link(_row(html, "processes-table", "data-process", process_id), "red")
        assert number == len(red)
        assert _listed_tasks(client, href) == red


def test_reports_made_to_a_government_are_on_its_page_with_their_state(demo, client):
    with demo() as s:
        to_city = s.scalars(select(Escalation).where(Escalation.reported_to == "city_gov")).all()
        about_region = s.scalars(select(Escalation).where(Escalation.overdue_unit.in_(_region(s, "city_gov"))
                                                          | Escalation.reported_to.in_(_region(s, "city_gov")))).all()
        states = {e.id: r["state"] for r in lateness.escalations(s, sorted(_region(s, "city_gov")))
                  for e in to_city if r["id"] == e.id}
    assert to_city  # the demo's late clue and complaint were reported to 临汾市人民政府
    sign_in(client, "city_gov")
    html = client.get("/leaders").get_data(as_text=True)
    mine = html.split('id="to-me-table"', 1)[1].split("</table>", 1)[0]
    assert sorted(re.findall(r'data-instance="([^"]+)"', mine)) == sorted(e.instance_id for e in to_city)
    assert f"报告本机关的逾期情况（{len(to_city)} 件）" in html
    assert "临汾市人民政府" in mine and "city_gov" not in mine
    counts = {k: int(v) for k, v in re.findall(r'id="reports-(all|open|handled)">(\d+)<', html)}
    assert counts["all"] == len(about_region) == counts["open"] + counts["handled"]
    assert list(states.values()).count("open") >= 1  # the clue whose rectification is overdue is still late
    for state in ("open", "handled"):
        listed = client.get(f"/leaders?reports={state}").get_data(as_text=True)
        table = listed.split('id="reports-table"', 1)[1].split("</table>", 1)[0]
        assert len(re.findall(r"<tr class=\"report-", table)) == counts[state]
        assert table.count(f"report-{state}") == counts[state]
    # The government opens a case reported to it at once.
    assert client.get(f"/cases/{to_city[0].instance_id}").status_code == 200


def test_on_time_rates_match_the_done_steps_listed_behind_them(demo, client):
    sign_in(client, "city_gov")
    html = client.get("/leaders").get_data(as_text=True)
    body = html.split('id="rates-table"', 1)[1].split("</table>", 1)[0]
    units = re.findall(r'<tr data-unit="([^"]+)">', body)
    assert units, "the demo has done steps with deadlines in 临汾"
    late_total = 0
    for unit in units:
        row = _row(html, "rates-table", "data-unit", unit)
        on_href, on_time = _link(row, "on-time")
        late_href, late = _link(row, "late")
        _, rate = _link(row, "rate")
        assert rate == round(100 * on_time / (on_time + late), 1)
        on_page = client.get(on_href).get_data(as_text=True)
        late_page = client.get(late_href).get_data(as_text=True)
        assert on_page.count('<tr class="on-time"') == on_time and 'class="late"' not in on_page
        assert late_page.count('<tr class="late"') == late and 'class="on-time"' not in late_page
        late_total += late
    assert late_total >= 1  # a demo step was done after its deadline


def test_another_regions_leader_sees_none_of_it(demo, client):
    with demo() as s:
        city_cases = {e.instance_id for e in s.scalars(select(Escalation).where(Escalation.reported_to == "city_gov"))}
        city_units = _region(s, "city_gov")
        city_steps = set(s.scalars(select(HumanTask.id).where(HumanTask.organisation.in_(city_units))))
    sign_in(client, "county_gov")
    html = client.get("/leaders").get_data(as_text=True)
    assert "襄垣县" in html
    assert not any(case in html for case in city_cases)
    assert not any(f'data-unit="{unit}"' in html for unit in city_units)
    assert demo_cases.clue_title(LINFEN, "overdue") not in html
    assert client.get("/leaders/steps?unit=city_ndrc").status_code == 404
    # Another region's unit is no filter of its own: the list stays within 襄垣县.
    assert not _listed_tasks(client, "/tasks?scope=region&unit=yaodu_market_regulation") & city_steps
    assert client.get(f"/cases/{next(iter(city_cases))}").status_code == 404


def test_a_handler_has_no_leaders_view(demo, client):
    sign_in(client, "city_ndrc_clerk")
    assert client.get("/leaders").status_code == 404
    assert "逾期与督办" not in client.get("/tasks").get_data(as_text=True)
