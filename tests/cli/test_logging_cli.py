"""Logging as the processes run it (web/logs.py): a diagram's print() reaches the log with its case and step, in
text or JSON lines, at the level ZHUNRU_LOG_LEVEL asks; gunicorn with web/gunicorn_conf.py writes its own lines
and the app's the same way, each request under its id."""
import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

from tests.cli.conftest import ZHUNRU
from tests.cli.lines import Lines
from tests.conftest import ROOT

PROBE = ROOT / "tests" / "fixtures" / "lanes_timers_messages.bpmn"  # its script prints f"total={total}"
GUNICORN = str(Path(os.sys.executable).parent / "gunicorn")


def _run(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "ZHUNRU_DATABASE_URL": db_url, **env}
    full.pop("ZHUNRU_NOW", None)
    return subprocess.run([ZHUNRU, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def _start_probe(cli, db_url: str, **env: str) -> tuple[str, str]:
    cli("deploy", str(PROBE))
    result = _run(db_url, "start", "probe", "--data", '{"numbers": [1, 2, 3], "amount": 5}', "--json", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["instance_id"], result.stderr


def test_a_diagrams_print_reaches_the_log_as_a_json_line_with_its_case(cli, db_url):
    case_id, stderr = _start_probe(cli, db_url, ZHUNRU_LOG_FORMAT="json")
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line of standard error is one JSON object
    printed = [line for line in lines if line["logger"] == "zhunru.script"]
    assert [(p["message"], p["case_id"], p["step"], p["level"]) for p in printed] == [
        ("total=6", case_id, "prepare", "INFO")]


def test_a_diagrams_print_reaches_the_text_log_with_its_case(cli, db_url):
    case_id, stderr = _start_probe(cli, db_url)
    [line] = [line for line in stderr.splitlines() if "zhunru.script" in line]
    assert line.endswith(f"INFO zhunru.script [case_id={case_id} step=prepare]: total=6")
    assert " spiff." not in stderr  # SpiffWorkflow's line per task state change stays out of an INFO log


def test_the_level_comes_from_the_environment(cli, db_url):
    _, quiet = _start_probe(cli, db_url, ZHUNRU_LOG_LEVEL="warning")
    _, debug = _start_probe(cli, db_url, ZHUNRU_LOG_LEVEL="debug")
    assert "total=6" not in quiet and "INFO zhunru.script" in debug and "total=6" in debug


def test_an_unknown_level_or_format_is_refused_in_one_line(cli, db_url):
    for variable, value in (("ZHUNRU_LOG_LEVEL", "LOUD"), ("ZHUNRU_LOG_FORMAT", "xml")):
        result = _run(db_url, "processes", **{variable: value})
        assert result.returncode == 2 and result.stderr.startswith(f"错误: {variable}="), result.stderr
        assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_with_zhunrus_config_logs_json_lines_with_the_request_id(cli, db_url):
    port = _free_port()
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url, "ZHUNRU_SECRET_KEY": "gunicorn-log-test",
           "ZHUNRU_LOG_FORMAT": "json"}
    web = subprocess.Popen([GUNICORN, "-c", "python:web.gunicorn_conf", "-w", "1", "-b", f"127.0.0.1:{port}",
                            "web.app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    lines = Lines(web)
    try:
        lines.until("Booting worker")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/login", headers={"X-Request-Id": "lb-42"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.headers["X-Request-Id"] == "lb-42"
        lines.until('"zhunru.request"')
    finally:
        web.terminate()
        logged = lines.rest()
    records = [json.loads(line) for line in logged]  # gunicorn's own lines too
    assert any(r["logger"] == "gunicorn.error" and "Listening at" in r["message"] for r in records)
    assert not any(r["logger"] == "gunicorn.access" for r in records)  # zhunru.request says it, with the id
    [logged] = [r for r in records if r["logger"] == "zhunru.request"]
    assert (logged["request_id"], logged["method"], logged["path"], logged["status"]) == ("lb-42", "GET", "/login",
                                                                                          200)
