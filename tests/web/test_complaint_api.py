"""Complaints pushed by the 12345 platform through the API, as its integration would send them."""
import pytest

from engine import credentials, ledgers
from tests.conftest import at
from tests.driver import Case
from tests.integration.test_complaint import INTAKE
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
    assert first.json["complaint_no"] == "TS-2026-0001" and first.json["repeat_of"] is None
    assert first.json["status"] == "running"
    repeat = client.post("/api/v1/complaints", headers=platform,
                         json=dict(INTAKE, hotline_ref="12345-20260302-0099", complainant="赵先生"))
    assert repeat.json["repeat_of"] == first.json["instance_id"] and repeat.json["status"] == "completed"
    instance = client.get(f"/api/v1/instances/{first.json['instance_id']}", headers=platform).json
    assert [t["task_name"] for t in instance["ready_tasks"]] == ["dispatch"]
    with sessions() as s:
        assert [(r["item_key"], r["status"]) for r in ledgers.items(s, "complaint")] == [
            ("TS-2026-0001", "open"), ("TS-2026-0002", "merged")]


def test_bad_pushes_get_field_errors_and_store_nothing(client, platform, sessions):
    bad = client.post("/api/v1/complaints", headers=platform, json=dict(INTAKE, channel="fax", phone="", extra="x"))
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"channel", "phone", "extra"}
    assert client.post("/api/v1/complaints", json=INTAKE).status_code == 401
    with sessions() as s, s.begin():
        county = {"Authorization": f"Bearer {credentials.issue_token(s, 'county_housing', at('2026-03-01 08:00'))}"}
    assert client.post("/api/v1/complaints", headers=county, json=INTAKE).status_code == 403
    with sessions() as s:
        assert ledgers.items(s, "complaint") == []


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
