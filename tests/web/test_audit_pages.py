"""Auditors: the replay page stepped in real Chromium, jurisdiction, exports and the access log."""
import pytest
from playwright.sync_api import expect

from engine.audit import access_log
from tests.conftest import at
from tests.driver import Case
from tests.integration import test_clue_0137 as clue
from tests.web.conftest import screenshot
from tests.web.conftest import sign_in as sign_in_client
from tests.web.test_browser import sign_in


def an_extended_case(sessions) -> Case:
    """Transferred, verified, an extension requested and approved, then rectified late: a rich record."""
    clue.test_an_approved_extension_is_told_to_all_three_and_survives_a_return(sessions)
    from sqlalchemy import select

    from engine.store.models import Instance
    with sessions() as s:
        instance_id = s.scalar(select(Instance.id))
    case = Case.__new__(Case)
    case.sessions, case.id, case.now = sessions, instance_id, at("2026-03-21 09:00")
    return case


def test_the_replay_page_steps_through_the_case(live_server, page, sessions):
    case = an_extended_case(sessions)
    sign_in(page, live_server, "city_auditor")
    page.click("text=审计")
    page.locator("#audit-cases tr", has_text="尧都区").locator("a", has_text="回放").click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_visible(timeout=15000)
    events = [e for e in case.history()]
    expect(page.locator("#position")).to_have_text(f"{len(events)} / {len(events)}")
    page.click("#first")
    expect(page.locator("#position")).to_have_text(f"1 / {len(events)}")
    assert page.locator("g.djs-element.zr-active[data-element-id=register]").count() == 1
    assert page.locator("g.djs-element.zr-done[data-element-id=register]").count() == 0
    page.click("#forward")
    page.click("#forward")  # register, then transfer done
    expect(page.locator("#event")).to_contain_text("移交主管单位")
    assert page.locator("g.djs-element.zr-done[data-element-id=transfer]").count() == 1
    assert page.locator("g.djs-element.zr-active[data-element-id=verify]").count() == 1
    assert page.locator(".djs-connection.zr-taken").count() >= 2
    expect(page.locator("#deadlines")).to_contain_text("落实责任单位并核查")
    expect(page.locator("#changed")).to_contain_text("competent_unit")
    extended = next(i for i, e in enumerate(events) if e["kind"] == "deadline_extended")
    page.select_option("#jump", str(extended))
    expect(page.locator("#event")).to_contain_text("延期")
    expect(page.locator("#deadlines")).to_contain_text("2026-03-20 24:00")
    expect(page.locator("#deadlines .card-green")).to_be_visible()  # as of the extension, on time
    page.click("#last")
    expect(page.locator("#event")).to_contain_text("逾期上报")
    screenshot(page, "20-audit-replay")
    with sessions() as s:
        logged = access_log.entries(s)
    assert logged[0]["username"] == "city_auditor" and logged[0]["action"] == "view_replay"
    assert logged[0]["target"] == case.id

    page.goto(f"{live_server}/audit/processes/clue_0137/v1")
    expect(page.locator("#diagram[data-ready=true]")).to_be_visible(timeout=15000)
    expect(page.locator(".zr-count[data-element=register]")).to_have_text("1 / 0 / 0h")
    expect(page.locator(".zr-count[data-element=rectify]")).to_contain_text("/ 1 /")
    screenshot(page, "21-audit-counts")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-21T09:00:00+08:00")


def test_auditors_see_their_jurisdiction_only_and_exports_are_logged(sessions, client):
    from engine.people import directory
    case = an_extended_case(sessions)
    with sessions() as s, s.begin():
        directory.add_organisation(s, code="other_city_gov", name="另一市人民政府", kind="government",
                                   parent="province_gov", now=at("2026-03-01 08:00"))
        directory.add_user(s, username="other_auditor", display_name="另一市审计员", organisation_code="other_city_gov",
                           roles=["auditor"], now=at("2026-03-01 08:00"),
                           password_hash=__import__("engine.people.credentials", fromlist=["x"]).demo_password_hash())
    sign_in_client(client, "other_auditor")
    assert client.get(f"/audit/cases/{case.id}").status_code == 404
    assert case.id not in client.get("/audit/").get_data(as_text=True)
    xes = client.get("/audit/export.xes").get_data(as_text=True)
    assert case.id not in xes
    client.get("/logout")
    client = client.application.test_client()
    sign_in_client(client, "city_auditor")
    assert client.get(f"/audit/cases/{case.id}").status_code == 200
    assert client.get(f"/cases/{case.id}").status_code == 200  # read-only case page within jurisdiction
    exported = client.get("/audit/export.csv?process=clue_0137")
    assert exported.status_code == 200 and case.id in exported.get_data(as_text=True)
    with sessions() as s:
        actions = [(r["username"], r["action"]) for r in access_log.entries(s)]
    assert ("city_auditor", "export_csv") in actions and ("other_auditor", "export_xes") in actions
    log_page = client.get("/audit/log").get_data(as_text=True)
    assert "export_csv" in log_page and "view_replay" in log_page
    sign_in_client(client, "county_transport")
    assert client.get("/audit/").status_code == 404
