"""Event logs for process mining, read back by an independent tool (pm4py)."""
import csv
import io
import os
import subprocess
from pathlib import Path

import pm4py
from sqlalchemy import select

from engine.audit import access_log, process_mining
from engine.store.models import Event, Instance
from tests.conftest import ROOT
from tests.integration import test_clue_0137 as clue

ZHUNRU = str(Path(os.sys.executable).parent / "zhunru")


def test_xes_read_by_pm4py_matches_the_record(sessions, db_url, tmp_path):
    clue.test_happy_path_transfers_verifies_rectifies_and_closes(sessions)
    clue.test_one_day_transfer_counts_from_the_day_the_clue_was_received(sessions)
    clue.test_no_violation_is_reviewed_and_closed_with_reasons(sessions)
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url}
    target = tmp_path / "clues.xes"
    done = subprocess.run([ZHUNRU, "audit", "export-xes", str(target), "--process", "clue_0137"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    log = pm4py.read_xes(str(target))
    with sessions() as s:
        instances = list(s.scalars(select(Instance.id).where(Instance.process_id == "clue_0137")))
        expected = {i: [e for e in s.scalars(select(Event).where(Event.instance_id == i,
                                                                 Event.kind.in_(process_mining.ACTIVITIES))
                                             .order_by(Event.seq))] for i in instances}
    assert log["case:concept:name"].nunique() == len(instances) == 3
    assert len(log) == sum(len(v) for v in expected.values())
    for case_id, events in expected.items():
        trace = log[log["case:concept:name"] == case_id]
        assert list(trace["org:resource"]) == [e.actor for e in events]
        assert list(trace["time:timestamp"].map(lambda t: t.timestamp())) == [e.at.timestamp() for e in events]
    for case_id in instances:
        assert list(log[log["case:concept:name"] == case_id]["concept:name"])[:2] == ["发起", "登记线索"]
    assert {"移交主管单位", "一个工作日（自收到之日起）", "整改并报送"} <= set(log["concept:name"])
    assert set(log["org:group"]) >= {"city_ndrc", "yaodu_gov"}
    with sessions() as s:
        logged = access_log.entries(s)
    assert logged[0]["action"] == "export_xes" and logged[0]["detail"]["cases"] == 3


def test_csv_has_the_same_events(sessions, tmp_path):
    clue.test_happy_path_transfers_verifies_rectifies_and_closes(sessions)
    with sessions() as s:
        entries = process_mining.rows(s)
    parsed = list(csv.DictReader(io.StringIO(process_mining.to_csv(entries).decode("utf-8-sig"))))
    assert [r["activity"] for r in parsed] == [e["activity"] for e in entries]
    assert parsed[1]["resource"] == "city_ndrc" and parsed[1]["organisation"] == "city_ndrc"
