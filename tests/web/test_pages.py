"""Pages through Flask's test client: sign-in, CSRF, claiming, and nobody reaching another unit's case."""
import re

import pytest
from sqlalchemy import select

from engine.store.models import HumanTask
from tests.conftest import at
from tests.driver import Case, upload
from tests.web.conftest import csrf_of, sign_in

REGISTER = {"source": "national", "summary": "某部门设置隐性门槛", "category": "OTHER", "region": "临汾市"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-13T11:00:00+08:00")


def transferred_clue(sessions) -> Case:
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    attachment = upload(sessions, "线索.pdf", b"%PDF-1.4 clue", "city_ndrc", at("2026-02-13 09:35"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), dict(REGISTER, attachments=[attachment]))
    case.complete("transfer", "city_ndrc", at("2026-02-13 10:00"), {"competent_unit": "yaodu_gov"})
    return case


def test_wrong_password_is_refused_and_pages_need_sign_in(client):
    assert client.get("/tasks").status_code == 302
    answer = sign_in(client, "city_ndrc", "wrong-password")
    assert answer.status_code == 401 and "用户名或密码不正确" in answer.get_data(as_text=True)
    assert sign_in(client, "nobody").status_code == 401
    assert sign_in(client, "city_ndrc").status_code == 302
    assert client.get("/tasks").status_code == 200


def test_every_form_needs_its_csrf_token(sessions, client):
    case = transferred_clue(sessions)
    sign_in(client, "yaodu_gov")
    task_id = case.task("verify")["task_id"]
    assert client.post(f"/tasks/{task_id}/claim").status_code == 400
    assert client.post(f"/tasks/{task_id}/complete", data={"data": "{}"}).status_code == 400
    assert case.task("verify")["assignee"] is None


def test_claim_release_and_a_leader_reassigns(sessions, client):
    case = transferred_clue(sessions)
    task_id = case.task("verify")["task_id"]
    sign_in(client, "yaodu_gov_clerk")
    listing = client.get("/tasks?scope=organisation").get_data(as_text=True)
    token = csrf_of(listing)
    assert "认领" in listing and "card-green" in listing
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token, "next": "/tasks?scope=mine"})
    assert case.task("verify")["assignee"] == "yaodu_gov_clerk"
    assert task_id in client.get("/tasks?scope=mine").get_data(as_text=True)
    client.post(f"/tasks/{task_id}/release", data={"csrf_token": token})
    assert case.task("verify")["assignee"] is None

    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "yaodu_gov")  # the organisation's leader
    token = csrf_of(client.get("/tasks?scope=organisation").get_data(as_text=True))
    client.post(f"/tasks/{task_id}/reassign", data={"csrf_token": token, "username": "yaodu_gov_clerk"})
    assert case.task("verify")["assignee"] == "yaodu_gov_clerk"
    kinds = [e["kind"] for e in case.history()]
    assert kinds[-3:] == ["task_claimed", "task_released", "task_reassigned"]
    refused = client.post(f"/tasks/{task_id}/reassign", data={"csrf_token": token, "username": "city_ndrc"})
    assert refused.status_code == 400 and "不是办理该任务的单位成员" in refused.get_data(as_text=True)


def test_the_server_validates_the_form_and_answers_field_errors(sessions, client):
    case = transferred_clue(sessions)
    task_id = case.task("verify")["task_id"]
    sign_in(client, "yaodu_gov")
    token = csrf_of(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    answer = client.post(f"/tasks/{task_id}/complete", headers={"X-CSRFToken": token, "Accept": "application/json"},
                         data={"data": '{"violation_found": "maybe"}'})
    assert answer.status_code == 422
    assert set(answer.json["errors"]) >= {"verification", "violation_found"}
    assert case.ready() == ["verify"]


def test_another_unit_cannot_see_the_task_the_case_or_its_files(sessions, client):
    case = transferred_clue(sessions)
    task_id = case.task("verify")["task_id"]
    with sessions() as s:
        assert s.scalar(select(HumanTask.id).where(HumanTask.id == task_id))
    file_id = case.history()[1]["data"]["data"]["attachments"][0]
    sign_in(client, "county_transport")
    for url in (f"/tasks/{task_id}", f"/cases/{case.id}", f"/cases/{case.id}/diagram.xml", f"/files/{file_id}"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "隐性门槛" not in answer.get_data(as_text=True) and "线索.pdf" not in answer.get_data(as_text=True)
    assert case.id not in client.get("/cases").get_data(as_text=True)
    token = csrf_of(client.get("/tasks").get_data(as_text=True))
    answer = client.post(f"/tasks/{task_id}/complete", headers={"X-CSRFToken": token, "Accept": "application/json"},
                         data={"data": "{}"})
    missing = client.post("/tasks/no-such-task/complete", data={"data": "{}"},
                          headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert answer.status_code == missing.status_code == 404  # another unit's task answers as a missing one
    for action in ("claim", "release"):
        assert client.post(f"/tasks/{task_id}/{action}", data={"csrf_token": token}).status_code == 404

    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "yaodu_gov")  # the competent unit took part: it sees the case and the evidence
    assert client.get(f"/cases/{case.id}").status_code == 200
    download = client.get(f"/files/{file_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 clue"
    assert re.fullmatch(r"[0-9a-f]{64}", download.headers["X-Content-SHA256"])


def test_only_the_city_ndrc_may_start_a_clue(client):
    sign_in(client, "county_transport")
    page = client.get("/start").get_data(as_text=True)
    assert "start-clue_0137" not in page
    answer = client.post("/start/clue_0137", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 403


def test_an_installation_gets_its_own_secret_key(sessions, tmp_path, monkeypatch):
    from web.app import create_app
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHUNRU_SECRET_KEY", raising=False)
    app = create_app({"SESSIONS": sessions})
    assert app.test_client().get("/login").status_code == 200
    key = (tmp_path / "instance" / "secret_key").read_text()
    assert len(key) == 64 and create_app({"SESSIONS": sessions}).config["SECRET_KEY"] == key
