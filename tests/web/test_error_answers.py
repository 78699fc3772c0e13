"""Every failure answers in one JSON shape (`code`, `message`, `errors` when fields are at fault) for the API and
for page scripts, and as an HTML page for a browser: a 400, 404, 405, 413, a CSRF refusal or an unhandled error
never shows JSON or a traceback there; an unhandled error is logged with the request id the page shows."""
import io
import json
import logging

import pytest
from werkzeug.exceptions import BadRequest

from engine import errors as engine_errors
from web import errors, logs
from web.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def app(sessions):
    app = create_app({"SESSIONS": sessions, "SECRET_KEY": "test-secret", "MAX_CONTENT_LENGTH": 4096})

    def fail():
        raise RuntimeError("secret detail of the failure")

    app.add_url_rule("/broken", "broken", fail)
    app.add_url_rule("/api/v1/broken", "api_broken", fail)
    app.add_url_rule("/bad", "bad", lambda: (_ for _ in ()).throw(BadRequest()))
    return app


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logs.handler(stream, "json")
    logging.getLogger().addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logging.getLogger().removeHandler(handler)


def _page(answer) -> str:
    assert answer.mimetype == "text/html", (answer.status_code, answer.get_data(as_text=True)[:200])
    page = answer.get_data(as_text=True)
    assert "Traceback" not in page and '"code"' not in page
    return page


@pytest.mark.parametrize("method,path,status", [
    ("delete", "/tasks", 405), ("get", "/no/such/page", 404), ("post", "/login", 400), ("get", "/bad", 400)])
def test_a_browser_gets_an_error_page(client, method, path, status):
    answer = getattr(client, method)(path, headers=BROWSER)
    assert answer.status_code == status
    assert f"<h1>{status}</h1>" in _page(answer)


def test_a_csrf_failure_and_a_body_too_large_are_pages_for_a_browser_and_json_for_a_script(client):
    refused = client.post("/login", data={"username": "x", "password": "y"}, headers=BROWSER)
    assert refused.status_code == 400 and "CSRF" in _page(refused)
    script = client.post("/login", data={"username": "x"}, headers={"Accept": "application/json"})
    assert (script.status_code, script.json["code"]) == (400, "csrf_failed") and "errors" not in script.json
    large = client.post("/login", data={"username": "x" * 10000}, headers=BROWSER)
    assert large.status_code == 413 and "上传内容过大" in _page(large)
    assert client.post("/login", data={"username": "x" * 10000}, headers={"Accept": "application/json"}).json[
        "code"] == "too_large"


def test_an_unhandled_error_is_a_page_with_the_request_id_and_is_logged_under_it(client, log_lines):
    answer = client.get("/broken", headers={**BROWSER, "X-Request-Id": "req-broken-1"})
    page = _page(answer)
    assert answer.status_code == 500 and "系统出错" in page and "req-broken-1" in page
    assert "secret detail" not in page and "RuntimeError" not in page
    [logged] = [r for r in log_lines() if "exception" in r]
    assert logged["request_id"] == "req-broken-1" and logged["level"] == "ERROR"
    assert "secret detail of the failure" in logged["exception"]


def test_an_unhandled_api_error_is_json_with_the_internal_error_code(client):
    answer = client.get("/api/v1/broken", headers={"X-Request-Id": "req-broken-2"})
    assert answer.status_code == 500 and answer.json["code"] == "internal_error"
    assert "req-broken-2" in answer.json["message"] and "secret" not in answer.json["message"]


def test_every_code_an_engine_error_can_carry_has_a_status():
    base = engine_errors.ZhunruError
    classes = [c for c in vars(engine_errors).values() if isinstance(c, type) and issubclass(c, base) and c is not base]
    assert {"NotFound", "Conflict", "FormInvalid", "DefinitionError"} <= {c.__name__ for c in classes}
    for kind in classes:
        for code in (kind.code, *kind.codes):
            assert code in errors.STATUS, (kind.__name__, code)
    with pytest.raises(ValueError):
        engine_errors.Conflict("x", code="no_such_code")
