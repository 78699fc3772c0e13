"""Complaints pushed by the 12345 platform through the API, as its integration would send them; what each unit
reads of them there and on the pages (a complainant's name and telephone only for the NDRC that leads it)."""
import io
import json

import pytest
from openpyxl import load_workbook

from engine import definitions
from engine.people import credentials
from handlers.registers import ledgers
from tests.conftest import ROOT, at
from tests.driver import Case
from tests.integration.test_complaint import ASSIST, HANDLE, INTAKE, RAW, REPLY
from tests.web.conftest import sign_in


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")


@pytest.fixture
def platform(sessions):
    with sessions() as s, s.begin():
        return {"Authorization": f"Bearer {credentials.issue_token(s, 'hotline_12345', at('2026-03-01 08:00'))}"}


def test_the_hotline_platform_pushes_complaints_and_repeats_are_merged(client, platform, sessions):
    first = client.post("/api/v1/complaints", headers=platform, json=INTAKE)
    assert first.status_code == 201, first.json
    assert first.json["complaint_no"] == "XY-TS-2026-0001" and first.json["repeat_of"] is None
    assert first.json["status"] == "running"
    repeat = client.post("/api/v1/complaints", headers=platform,
                         json=dict(INTAKE, hotline_ref="12345-20260302-0099", complainant="赵先生"))
    assert repeat.json["repeat_of"] == first.json["instance_id"] and repeat.json["status"] == "completed"
    instance = client.get(f"/api/v1/instances/{first.json['instance_id']}", headers=platform).json
    assert [t["task_name"] for t in instance["ready_tasks"]] == ["dispatch"]
    assert [t["organisation"] for t in instance["ready_tasks"]] == ["county_ndrc"]  # its organisation's NDRC leads
    # The repeat's complainant is on the open complaint, to be answered with the first.
    assert [p["complainant"] for p in instance["data"]["complainant_list"]["people"]] == ["王女士", "赵先生"]
    with sessions() as s:
        assert [(r["item_key"], r["status"]) for r in ledgers.items(s, ledger="complaint")] == [
            ("XY-TS-2026-0001", "open"), ("XY-TS-2026-0002", "merged")]


def test_the_answer_is_the_ledger_row_whatever_the_diagram_names_its_variables(client, platform, sessions):
    xml = (ROOT / "processes" / "complaint.bpmn").read_text()
    for variable, renamed in (("number_result", "numbering"), ("find_repeat_result", "earlier_case"),
                              ("merge_result", "merge_answer")):  # as a process owner may in the modeller
        xml = xml.replace(variable, renamed)
    with sessions() as s, s.begin():
        [deployed] = definitions.deploy(s, [("processes/complaint.bpmn", xml.encode())], "admin",
                                        at("2026-03-01 08:00"))
        assert deployed.created
    first = client.post("/api/v1/complaints", headers=platform, json=INTAKE)
    repeat = client.post("/api/v1/complaints", headers=platform,
                         json=dict(INTAKE, hotline_ref="12345-20260302-0099", complainant="赵先生"))
    assert (first.status_code, repeat.status_code) == (201, 201), (first.json, repeat.json)
    with sessions() as s:
        rows = {row["instance_id"]: row for row in ledgers.items(s, ledger="complaint")}
    opened, merged = rows[first.json["instance_id"]], rows[repeat.json["instance_id"]]
    assert first.json == {"instance_id": opened["instance_id"], "complaint_no": opened["item_key"], "status": "running",
                          "repeat_of": None}
    assert repeat.json == {"instance_id": merged["instance_id"], "complaint_no": merged["item_key"],
                           "status": "completed", "repeat_of": first.json["instance_id"]}
    assert (opened["item_key"], merged["item_key"]) == ("XY-TS-2026-0001", "XY-TS-2026-0002")


def test_bad_pushes_get_field_errors_and_store_nothing(client, platform, sessions):
    bad = client.post("/api/v1/complaints", headers=platform, json=dict(INTAKE, channel="fax", phone="", extra="x"))
    assert bad.status_code == 422 and bad.json["code"] == "form_invalid"
    assert set(bad.json["errors"]) == {"channel", "phone", "extra"}
    assert client.post("/api/v1/complaints", json=INTAKE).status_code == 401
    with sessions() as s, s.begin():
        county = {"Authorization": f"Bearer {credentials.issue_token(s, 'county_housing', at('2026-03-01 08:00'))}"}
    assert client.post("/api/v1/complaints", headers=county, json=INTAKE).status_code == 403
    with sessions() as s:
        assert ledgers.items(s, ledger="complaint") == []


def test_the_complaint_endpoint_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/complaints"]["post"]
    assert {"201", "401", "403", "422"} <= set(post["responses"])
    assert "respondent" in spec["components"]["schemas"]["Complaint"]["properties"]


def test_the_platform_account_holds_no_task_and_sees_only_the_complaints_it_pushed(client, platform, sessions):
    pushed = client.post("/api/v1/complaints", headers=platform, json=INTAKE).json["instance_id"]
    entered = Case(sessions, "complaint", "county_ndrc_clerk", at("2026-03-02 09:30"),
                   dict(INTAKE, subject="窗口要求提供无关证明", hotline_ref=""))
    # The county NDRC's clerks see both dispatch steps; the platform sees none.
    assert client.get("/api/v1/tasks?scope=organisation", headers=platform).json["total"] == 0
    [dispatch] = [t for t in entered.view()["ready_tasks"] if t["task_name"] == "dispatch"]
    refused = client.post(f"/api/v1/tasks/{dispatch['task_id']}/complete", headers=platform,
                          json={"data": {"lead_department": "county_housing"}})
    assert refused.status_code == 404  # a case it did not push: its tasks answer as missing ones
    assert client.get(f"/api/v1/instances/{pushed}", headers=platform).status_code == 200
    assert client.get(f"/api/v1/instances/{entered.id}", headers=platform).status_code == 404
    assert entered.ready() == ["dispatch"]


def test_a_platform_account_cannot_sign_in_to_the_pages(client, sessions):
    with sessions() as s, s.begin():
        credentials.set_password(s, "hotline_12345", "a-long-platform-secret")
    answer = sign_in(client, "hotline_12345", "a-long-platform-secret")
    assert answer.status_code == 403 and "不能登录网页" in answer.get_data(as_text=True)
    assert client.get("/tasks").status_code == 302


def _token(sessions, username):
    with sessions() as s, s.begin():
        return {"Authorization": f"Bearer {credentials.issue_token(s, username, at('2026-03-01 08:00'))}"}


def _leaks(text) -> list[str]:
    """The raw values found in a page's text, or in a JSON answer (whose Chinese may come escaped)."""
    text = text if isinstance(text, str) else json.dumps(text.json, ensure_ascii=False)
    return [raw for raw in RAW if raw in text or json.dumps(raw)[1:-1] in text]  # as written, or JSON-escaped


def test_the_department_reads_a_pushed_complaint_with_the_complainant_masked(client, platform, sessions):
    pushed = client.post("/api/v1/complaints", headers=platform, json=INTAKE).json["instance_id"]
    case = Case.of(sessions, pushed, at("2026-03-02 09:00"))
    case.complete("dispatch", "county_ndrc_clerk", at("2026-03-02 10:00"),
                  {"department": "county_housing", "co_departments": ["county_justice"]})
    case.complete("acknowledge", "county_housing", at("2026-03-02 11:00"), {"ack_decision": "acknowledge"})
    department, lead = _token(sessions, "county_housing"), _token(sessions, "county_ndrc_clerk")
    seen = client.get(f"/api/v1/instances/{pushed}", headers=department)
    assert seen.status_code == 200
    assert (seen.json["data"]["complainant"], seen.json["data"]["phone"]) == ("王某", "138****0000")
    assert _leaks(seen) == []
    assert _leaks(client.get(f"/api/v1/instances/{pushed}/history", headers=department)) == []
    assert _leaks(client.get(f"/api/v1/instances/{pushed}", headers=lead)) == list(RAW)
    assert _leaks(client.get(f"/api/v1/instances/{pushed}/history", headers=lead)) == list(RAW)


def _signed_in(app, username):
    client = app.test_client()
    sign_in(client, username)
    return client


def test_pages_and_the_excel_ledger_mask_the_complainant_for_every_unit_but_the_lead(app, sessions):
    case = Case(sessions, "complaint", "county_ndrc_clerk", at("2026-03-02 09:00"), INTAKE)
    case.complete("dispatch", "county_ndrc_clerk", at("2026-03-02 10:00"),
                  {"department": "county_housing", "co_departments": ["county_justice"]})
    case.complete("acknowledge", "county_housing", at("2026-03-02 11:00"), {"ack_decision": "acknowledge"})
    assist = case.task("assist")["task_id"]
    client = _signed_in(app, "county_justice")
    page = client.get(f"/tasks/{assist}").get_data(as_text=True)
    assert "提出协办意见" in page and _leaks(page) == []  # the form's data, instructions and the history alike
    case.complete("assist", "county_justice", at("2026-03-02 14:00"), ASSIST)
    case.complete("handle", "county_housing", at("2026-03-02 15:00"), HANDLE)
    case.complete("reply", "county_ndrc_clerk", at("2026-03-02 16:00"), REPLY)
    client = _signed_in(app, "county_housing")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "王某" in page and _leaks(page) == []
    listed = client.get("/ledgers/complaint").get_data(as_text=True)
    assert "王某 138****0000（XY-TS-2026-0001，已答复）" in listed and _leaks(listed) == []
    sheet = load_workbook(io.BytesIO(client.get("/ledgers/complaint.xlsx").data)).active
    cells = json.dumps([[c.value for c in r] for r in sheet.iter_rows()], ensure_ascii=False, default=str)
    assert "王某 138****0000" in cells and "投诉举报人（答复情况）" in cells and _leaks(cells) == []
    client = _signed_in(app, "county_ndrc_clerk")
    assert _leaks(client.get(f"/cases/{case.id}").get_data(as_text=True)) == list(RAW)
    listed = client.get("/ledgers/complaint").get_data(as_text=True)
    assert "王女士 13800000000（XY-TS-2026-0001，已答复）" in listed
    sheet = load_workbook(io.BytesIO(client.get("/ledgers/complaint.xlsx").data)).active
    assert "王女士 13800000000" in json.dumps([[c.value for c in r] for r in sheet.iter_rows()], ensure_ascii=False,
                                           default=str)


def test_the_auditor_replays_a_linfen_complaint_without_the_complainants_contact(app, sessions):
    case = Case(sessions, "complaint", "city_ndrc_clerk", at("2026-03-02 09:00"), INTAKE)
    case.complete("dispatch", "city_ndrc_clerk", at("2026-03-02 10:00"), {"department": "city_housing"})
    replay = _signed_in(app, "city_auditor").get(f"/audit/cases/{case.id}")
    assert replay.status_code == 200
    page = replay.get_data(as_text=True)
    assert "王某" in page or json.dumps("王某")[1:-1] in page
    assert _leaks(page) == []
