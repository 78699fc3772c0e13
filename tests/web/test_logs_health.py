"""Each web request has an id (taken from a sane X-Request-Id, else made), answered in X-Request-Id, carried by what
is logged while it runs, and logged with method, path, status and duration; /healthz checks the database and the
schema's revision, without signing in."""
import io
import json
import logging

import pytest
from sqlalchemy import create_engine, text

from engine.store import schema
from engine.store.db import make_engine, make_sessionmaker
from web import logs
from web.app import create_app


@pytest.fixture
def log_lines():
    """What Zhunru's handler writes in JSON lines while the test runs."""
    stream = io.StringIO()
    handler = logs.handler(stream, "json")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_request_is_logged_under_the_id_its_proxy_gave(app, client, log_lines):
    @app.get("/_probe_log")
    def probe():
        logging.getLogger("zhunru.probe").warning("inside the view")
        return "ok"

    answer = client.get("/_probe_log?x=1", headers={"X-Request-Id": "req-7f3a.9:b"})
    assert answer.headers["X-Request-Id"] == "req-7f3a.9:b"
    inside = [r for r in log_lines() if r["logger"] == "zhunru.probe"]
    assert [r["request_id"] for r in inside] == ["req-7f3a.9:b"]
    [line] = [r for r in log_lines() if r["logger"] == "zhunru.request"]
    assert line["request_id"] == "req-7f3a.9:b" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/_probe_log", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["message"].startswith("GET /_probe_log 200 ")


@pytest.mark.parametrize("offered", [None, "", "two words", "x" * 200, "<script>", "id\u00e9"])
def test_a_request_without_a_sane_id_gets_a_new_one(client, log_lines, offered):
    headers = {"X-Request-Id": offered} if offered is not None else {}
    first = client.get("/login", headers=headers).headers["X-Request-Id"]
    second = client.get("/login", headers=headers).headers["X-Request-Id"]
    assert first != second and len(first) == 32 and int(first, 16) >= 0
    assert [r["request_id"] for r in log_lines() if r["logger"] == "zhunru.request"] == [first, second]


def test_refused_and_missing_pages_are_logged_with_their_status(client, log_lines):
    client.get("/no/such/page")
    client.post("/login", data={"username": "x"})  # no CSRF token: 400
    assert [(r["method"], r["path"], r["status"]) for r in log_lines() if r["logger"] == "zhunru.request"] == [
        ("GET", "/no/such/page", 404), ("POST", "/login", 400)]


def test_no_request_id_outside_a_request(app, client, log_lines):
    client.get("/login")
    logging.getLogger("zhunru.probe").warning("after the request")
    [after] = [r for r in log_lines() if r["logger"] == "zhunru.probe"]
    assert "request_id" not in after


def test_text_lines_show_the_context_in_brackets():
    stream = io.StringIO()
    record = logging.LogRecord("zhunru.script", logging.INFO, __file__, 1, "%s", ("total=6",), None)
    record.case_id, record.step = "abc123", "prepare"
    logs.handler(stream, "text").handle(record)
    assert stream.getvalue().rstrip().endswith("INFO zhunru.script [case_id=abc123 step=prepare]: total=6")


def test_healthz_names_the_schema_revision_without_signing_in(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "schema": schema.head_revision()}


def test_healthz_answers_503_on_an_older_schema(app, client, sessions):
    with sessions() as s, s.begin():
        s.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["status"], body["code"], body["schema"], body["expected"]) == (
        "error", "schema_outdated", "0001", schema.head_revision())
    assert "zhunru init" in body["message"]


def test_healthz_answers_503_on_an_empty_database(tmp_path):
    app = create_app({"SESSIONS": make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")),
                      "SECRET_KEY": "test-secret"})
    body = app.test_client().get("/healthz")
    assert body.status_code == 503
    assert body.get_json()["code"] == "schema_outdated" and body.get_json()["schema"] is None


def test_healthz_answers_503_when_the_database_cannot_be_reached(tmp_path, log_lines):
    unreachable = tmp_path / "missing"  # a directory that is not there: SQLite cannot open the file
    app = create_app({"SESSIONS": make_sessionmaker(create_engine(f"sqlite:///{unreachable}/x.db")),
                      "SECRET_KEY": "test-secret"})
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["status"], body["code"], body["schema"]) == ("error", "database_unavailable", None)
    assert str(unreachable) not in json.dumps(body)  # the driver's words stay in the log
    assert any(r["logger"] == "zhunru.health" and r["level"] == "WARNING" for r in log_lines())
