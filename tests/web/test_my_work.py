"""My work through Flask's test client: what a submission confirms and offers next, 已办, 消息 with its unread
count, and the printable 办理单."""
import hashlib
import json
import re

import pytest
from sqlalchemy import select

from engine.store.models import Notification
from tests.conftest import at
from tests.driver import Case, upload
from tests.integration import test_clue_0137 as clue
from tests.web.conftest import csrf_of, sign_in


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-24T16:00:00+08:00")


def submit(client, task_id: str, data: dict):
    token = csrf_of(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    answer = client.post(f"/tasks/{task_id}/complete", data={"data": json.dumps(data)},
                         headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["redirect"]


def confirmation(html: str) -> str:
    found = re.search(r'<p id="submitted-text">([^<]*)</p>', html)
    return found.group(1) if found else ""


def test_a_submission_confirms_what_comes_next_with_names_and_deadline(sessions, client):
    case = clue.received_and_transferred(sessions)
    sign_in(client, clue.COMPETENT)
    landing = client.get(submit(client, case.task("verify")["task_id"], clue.VERIFY_YES)).get_data(as_text=True)
    text = confirmation(landing)
    assert text.startswith("已提交「落实责任单位并核查」。下一步：")
    assert "「整改并报送」由 临汾市尧都区市场监督管理局 办理，期限 2026-03-03 24:00" in text
    assert "「接收核查反馈」由 临汾市发展和改革委员会 办理" in text
    assert "认领并办理" not in landing  # none of the next steps is this unit's
    assert not re.search(r"rectify|yaodu_market|acknowledge", text)
    again = client.get("/tasks").get_data(as_text=True)
    assert 'id="submitted"' not in again  # said once


def test_a_next_step_of_ones_own_unit_is_offered_to_claim_and_open(sessions, client):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-24 09:30"))
    sign_in(client, "city_ndrc_clerk")
    landing = client.get(submit(client, case.task("register")["task_id"], clue.REGISTER)).get_data(as_text=True)
    transfer = case.task("transfer")
    assert confirmation(landing).startswith(
        "已提交「登记线索」。下一步：「移交主管单位」由 临汾市发展和改革委员会 办理，期限 ")
    assert "认领并办理「移交主管单位」" in landing and transfer["assignee"] is None
    answer = client.post(f"/tasks/{transfer['task_id']}/claim",
                         data={"csrf_token": csrf_of(landing), "next": f"/tasks/{transfer['task_id']}"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/tasks/{transfer['task_id']}"
    assert case.task("transfer")["assignee"] == "city_ndrc_clerk"


def test_done_lists_the_steps_i_completed_newest_first_and_finds_them(sessions, client):
    case = clue.received_and_transferred(sessions)
    other = clue.received_and_transferred(sessions, received="2026-02-16 09:00", transferred="2026-02-16 10:00",
                                          register=clue.REGISTER | {"summary": "某县限定投标人注册资本"})
    case.complete("verify", clue.COMPETENT, at("2026-02-24 16:00"), clue.VERIFY_YES)
    sign_in(client, "city_ndrc")
    page = client.get("/done").get_data(as_text=True)
    rows = re.findall(r"<tr><td>([^<]*)</td>\s*<td><a href=\"/cases/(\w+)\">([^<]*)</a></td>\s*<td>([^<]*)</td>",
                      page)
    assert [(when, instance, step) for when, instance, _, step in rows] == [
        ("2026-02-16 10:00", other.id, "移交主管单位"), ("2026-02-16 09:00", other.id, "登记线索"),
        ("2026-02-14 10:00", case.id, "移交主管单位"), ("2026-02-13 09:30", case.id, "登记线索")]
    assert rows[0][2] == "尧都区：某县限定投标人注册资本"
    assert not re.search(r"\b(register|transfer)\b", page)
    found = client.get("/done?q=移交").get_data(as_text=True)
    assert found.count("移交主管单位</td>") == 2 and "登记线索</td>" not in found
    by_title = client.get("/done?q=注册资本").get_data(as_text=True)
    assert by_title.count(f'href="/cases/{other.id}"') == 2 and case.id not in by_title
    assert "没有符合条件的已办事项" in client.get("/done?q=不存在的事").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_of(page)})
    sign_in(client, clue.COMPETENT)
    theirs = client.get("/done").get_data(as_text=True)
    assert theirs.count("落实责任单位并核查</td>") == 1 and "登记线索</td>" not in theirs


def _badge(html: str) -> str | None:
    found = re.search(r'<span class="badge" id="unread-count"[^>]*>([^<]*)</span>', html)
    return found.group(1) if found else None


def test_a_notification_to_my_unit_is_counted_until_i_read_it(sessions, client):
    case = clue.received_and_transferred(sessions)  # the transfer tells the competent unit
    with sessions() as s:
        notification = s.scalars(select(Notification).where(Notification.organisation == clue.COMPETENT)).one()
    sign_in(client, "yaodu_gov_clerk")
    tasks = client.get("/tasks").get_data(as_text=True)
    assert _badge(tasks) == "1"
    listing = client.get("/notifications").get_data(as_text=True)
    assert f'id="notification-{notification.id}" class="unread"' in listing
    assert "收到移交的问题线索：" + clue.TITLE in listing and "1 条未读" in listing
    opened = client.get(f"/notifications/{notification.id}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/cases/{case.id}"
    assert _badge(client.get("/tasks").get_data(as_text=True)) is None
    assert f'id="notification-{notification.id}" class="read"' in client.get("/notifications").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_of(tasks)})
    sign_in(client, "yaodu_gov")  # a colleague of the same unit has not read it
    listing = client.get("/notifications").get_data(as_text=True)
    assert _badge(listing) == "1"
    client.post("/notifications/read-all", data={"csrf_token": csrf_of(listing)})
    assert _badge(client.get("/notifications").get_data(as_text=True)) is None
    client.post("/logout", data={"csrf_token": csrf_of(listing)})
    sign_in(client, "county_ndrc_clerk")  # another unit's notification is not theirs to open
    assert client.get(f"/notifications/{notification.id}").status_code == 404
    assert "收到移交的问题线索" not in client.get("/notifications").get_data(as_text=True)


def test_the_case_sheet_prints_steps_opinions_deadlines_and_evidence(sessions, client):
    case = clue.received_and_transferred(sessions)
    case.complete("verify", clue.COMPETENT, at("2026-03-02 09:00"), clue.VERIFY_YES)  # after its three days
    content = b"%PDF-1.4 rectification evidence"
    evidence = upload(sessions, "整改通知.pdf", content, clue.RESPONSIBLE, at("2026-03-03 09:00"))
    case.complete("rectify", clue.RESPONSIBLE, at("2026-03-03 10:00"), clue.RECTIFIED | {"evidence": [evidence]})
    sign_in(client, "city_ndrc_clerk")
    assert 'id="case-sheet"' in client.get(f"/cases/{case.id}").get_data(as_text=True)
    sheet = client.get(f"/cases/{case.id}/sheet").get_data(as_text=True)
    steps = re.search(r'<table class="list sheet-steps" id="sheet-steps">(.*?)</table>', sheet, re.S).group(1)
    rows = re.findall(r"<tr class=\"(late)?\">\s*<td>(\d+)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*"
                      r"<td>([^<]*)</td>\s*<td>([^<]*)</td>", steps)
    assert [(n, step, who, unit, when) for _, n, step, who, unit, when in rows] == [
        ("1", "发起", "临汾市发展和改革委员会负责人", "临汾市发展和改革委员会", "2026-02-13 09:30"),
        ("2", "登记线索", "临汾市发展和改革委员会负责人", "临汾市发展和改革委员会", "2026-02-13 09:30"),
        ("3", "移交主管单位", "临汾市发展和改革委员会负责人", "临汾市发展和改革委员会", "2026-02-14 10:00"),
        ("4", "落实责任单位并核查", "临汾市尧都区人民政府负责人", "临汾市尧都区人民政府", "2026-03-02 09:00"),
        ("5", "整改并报送", "临汾市尧都区市场监督管理局负责人", "临汾市尧都区市场监督管理局", "2026-03-03 10:00")]
    assert [late for late, *_ in rows] == ["", "", "", "late", ""]
    assert "逾期办理" in steps and "按期办理" in steps
    assert "核查情况</span>经核查，区招标文件设置了本地注册要求。" in steps
    assert "临汾市尧都区市场监督管理局" in steps and "整改意见" in steps
    assert 'id="sheet-deadlines"' in sheet and "期限届满" in sheet
    assert "整改通知.pdf" in sheet and hashlib.sha256(content).hexdigest() in sheet
    assert 'id="print"' in sheet and "print.js" in sheet and "onclick" not in sheet
    assert not re.search(r"\b(verify|rectify|yaodu_gov|violation_found)\b", steps)

    client.post("/logout", data={"csrf_token": csrf_of(sheet)})
    sign_in(client, "county_ndrc_clerk")  # another region's NDRC: no such case
    answer = client.get(f"/cases/{case.id}/sheet")
    assert answer.status_code == 404 and clue.TITLE not in answer.get_data(as_text=True)
