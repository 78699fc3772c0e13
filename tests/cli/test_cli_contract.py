"""The `zhunru` command as other tools use it: --json shapes, exit status 2 with one clear line."""
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import ROOT

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ZHUNRU = str(Path(os.sys.executable).parent / "zhunru")


def test_clue_through_the_command_line(cli, tmp_path):
    started = cli("start", "clue_0137", "--user", "city_ndrc", "--json", now="2026-02-13T09:30:00+08:00")
    assert set(started) >= {"instance_id", "process_id", "version"} and started["version"] == 1
    iid = started["instance_id"]
    tasks = cli("tasks", "--user", "city_ndrc", "--json")
    assert [t["task_name"] for t in tasks] == ["register"]
    assert set(tasks[0]) >= {"task_id", "instance_id", "process_id", "task_name", "title", "lane",
                             "organisation", "due_at"}
    assert tasks[0]["lane"] == "牵头发展改革部门" and tasks[0]["organisation"] == "city_ndrc"
    register = {"source": "national", "summary": "某市直部门限制外地企业资质", "category": "APPROVAL",
                "region": "临汾市"}
    done = cli("complete", tasks[0]["task_id"], "--user", "city_ndrc", "--data", json.dumps(register), "--json",
               now="2026-02-13T09:40:00+08:00")
    assert done == {"instance_id": iid, "status": "running", "error": None}
    view = cli("instance", iid, "--json")
    assert view["status"] == "running" and view["version"] == 1 and view["data"]["category"] == "APPROVAL"
    assert [t["task_name"] for t in view["ready_tasks"]] == ["transfer"]
    assert view["waiting_timers"] == [{"task_name": "transfer_deadline", "due_at": "2026-02-15T00:00:00+08:00",
                                       "attached_to": "transfer", "provisional": False, "rule": "working",
                                       "days": 1, "attempts": 0, "last_error": None}]
    # Sat 02-14 is a make-up workday and the last day: the unit is reminded at its start.
    assert cli("timers", "fire", "--now", "2026-02-14T23:00:00+08:00", "--json") == {
        "fired": [], "reminded": [{"instance_id": iid, "task_name": "transfer"}], "failed": [], "skipped": [],
        "started": [], "failed_starts": [], "cleaned_files": 0}
    fired = cli("timers", "fire", "--now", "2026-02-15T08:00:00+08:00", "--json")
    assert fired["fired"] == [{"instance_id": iid, "task_name": "transfer_deadline"}]
    history = [h for h in cli("history", iid, "--json") if h["kind"] != "service_called"]
    assert [h["kind"] for h in history][:4] == ["instance_started", "task_completed", "reminder_sent", "timer_fired"]
    assert set(history[0]) >= {"seq", "at", "actor", "kind", "task_name", "data"}
    assert history[1]["actor"] == "city_ndrc" and history[1]["at"] == "2026-02-13T09:40:00+08:00"
    users = cli("user", "list", "--json")
    assert {"username": "admin", "organisation": None, "roles": ["admin"]}.items() <= users[0].items()
    assert any(u["username"] == "county_gov" and u["organisation"] == "county_gov" for u in users)


def test_errors_exit_2_with_a_clear_line(cli, tmp_path):
    bad = cli("start", "no_such_process", "--json", expect=2)
    assert "no_such_process" in bad.stderr and bad.stdout == ""
    bad = cli("start", "clue_0137", "--data", "{not json", expect=2)
    assert "--data" in bad.stderr
    bad = cli("complete", "nope", "--user", "admin", expect=2)
    assert "nope" in bad.stderr
    bad = cli("tasks", "--user", "ghost", expect=2)
    assert "ghost" in bad.stderr
    started = cli("start", "clue_0137", "--user", "city_ndrc", "--json")
    task = cli("tasks", "--user", "city_ndrc", "--json")[0]
    bad = cli("complete", task["task_id"], "--user", "city_ndrc", "--data", '{"category": "X"}', expect=2)
    assert "category" in bad.stderr and "summary: 必填" in bad.stderr
    bad = cli("complete", task["task_id"], "--user", "county_gov", "--data", "{}", expect=2)
    assert "不存在" in bad.stderr  # another unit's task answers as a missing one
    assert cli("instance", started["instance_id"], "--json")["ready_tasks"][0]["task_id"] == task["task_id"]


def test_deploy_refuses_invalid_diagram_naming_file_and_element(cli, tmp_path):
    broken = tmp_path / "broken.bpmn"
    xml = (FIXTURES / "lanes_timers_messages.bpmn").read_text()
    broken.write_text(xml.replace("<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", ""))
    result = cli("deploy", str(broken), expect=2)
    assert "broken.bpmn" in result.stderr and "approve" in result.stderr
    assert "probe" not in [p["process_id"] for p in cli("processes", "--json")]
    good = tmp_path / "probe.bpmn"
    good.write_text(xml)
    assert cli("deploy", str(good), "--json") == [{"kind": "process", "id": "probe", "version": 1, "created": True}]
    assert cli("deploy", str(good), "--json")[0]["created"] is False


def test_evidence_file_upload_and_refusal(cli, tmp_path):
    pdf = tmp_path / "evidence.pdf"
    pdf.write_bytes(b"%PDF-1.4 evidence")
    stored = cli("file", "add", str(pdf), "--json")
    assert stored["size"] == 17 and len(stored["sha256"]) == 64
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    assert "不允许" in cli("file", "add", str(exe), expect=2).stderr


def test_calendar_commands(cli, tmp_path):
    deadline = cli("calendar", "deadline", "2026-02-13T15:00:00+08:00", "3", "--json")
    assert deadline == {"due_at": "2026-02-26T00:00:00+08:00", "provisional": False}
    assert cli("calendar", "deadline", "2026-09-26T09:00", "7", "--calendar-days", "--json") == {
        "due_at": "2026-10-09T00:00:00+08:00", "provisional": False}
    assert cli("calendar", "deadline", "2026-12-31T10:00:00+08:00", "1", "--json") == {
        "due_at": "2027-01-02T00:00:00+08:00", "provisional": True}
    shown = cli("calendar", "show", "2026", "--json")
    assert shown["loaded"] and shown["source"].startswith("chinese-calendar")
    assert {"date": "2026-02-14", "weekday": "星期六", "kind": "workday", "kind_text": "调休上班日",
            "name": "春节"} in shown["days"]
    assert "尚未载入" in cli("calendar", "show", "2027").stdout

    notice = tmp_path / "2027.csv"
    notice.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n2027-01-03,holiday,元旦\n")
    imported = cli("calendar", "import", str(notice), "--json")
    assert imported == {"year": 2027, "holidays": 3, "workdays": 0, "recounted": []}
    assert cli("calendar", "deadline", "2026-12-31T10:00:00+08:00", "1", "--json") == {
        "due_at": "2027-01-05T00:00:00+08:00", "provisional": False}

    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name\n2028-01-01,holiday,元旦\n2028-01-35,holiday,元旦\n")
    refused = cli("calendar", "import", str(bad), expect=2)
    assert refused.stderr.strip() == "错误: bad.csv 第 3 行: 日期 '2028-01-35' 无效，应为 YYYY-MM-DD"
    assert "尚未载入" in cli("calendar", "show", "2028").stdout
    assert "FROM" in cli("calendar", "deadline", "yesterday", "1", expect=2).stderr


def test_close_of_business_is_a_setting(cli):
    shown = cli("setting", "show", "--json")
    assert shown["close_of_business"] == "24:00" and shown["complaint_handle_days"] == "5"
    cli("setting", "set", "close_of_business", "17:30")
    assert cli("calendar", "deadline", "2026-02-13T09:00:00+08:00", "1", "--json")["due_at"] == \
        "2026-02-14T17:30:00+08:00"
    assert "HH:MM" in cli("setting", "set", "close_of_business", "25:00", expect=2).stderr
    assert "可用" in cli("setting", "set", "lunch", "12:00", expect=2).stderr
    assert cli("setting", "show", "--json")["close_of_business"] == "17:30"


def test_passwords_and_api_tokens(cli, db_url):
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url}
    set_pw = subprocess.run([ZHUNRU, "user", "passwd", "county_gov"], input="a-new-secret\n", cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert set_pw.returncode == 0, set_pw.stderr
    short = subprocess.run([ZHUNRU, "user", "passwd", "county_gov"], input="short\n", cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert short.returncode == 2 and "至少 8 个字符" in short.stderr
    token = cli("user", "token", "county_gov").stdout.strip()
    assert len(token) >= 40
    from engine.people import credentials, directory
    from engine.store.db import make_engine, make_sessionmaker
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s, s.begin():
        assert credentials.check_password(s, "county_gov", "a-new-secret") == directory.actor(s, "county_gov")
        assert credentials.check_password(s, "county_gov", "zhunru-demo") is None
        assert credentials.actor_for_token(s, token, datetime.now(UTC)).username == "county_gov"
    engine.dispose()
    assert "ghost" in cli("user", "token", "ghost", expect=2).stderr


def test_export_writes_the_deployed_xml(cli, tmp_path):
    target = tmp_path / "out.bpmn"
    assert "v1" in cli("export", "clue_0137", "--output", str(target)).stdout
    assert target.read_bytes() == (ROOT / "processes" / "clue_0137.bpmn").read_bytes()
    assert cli("export", "clue_0137", "--version", "1", "--output", "-").stdout == target.read_text()
    assert "没有版本 v9" in cli("export", "clue_0137", "--version", "9", expect=2).stderr
