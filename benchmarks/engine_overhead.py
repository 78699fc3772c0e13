"""The 0137 happy path through the engine (SQLite file, history on) against SpiffWorkflow alone in memory,
doing the same BPMN work: the case the archive step starts runs on both sides."""
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select

from engine import definitions, files, runtime
from engine.people import directory
from engine.sandbox import DIAGRAM_FUNCTIONS
from engine.store import schema
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import HumanTask
from engine.timing import holidays
from engine.timing.clock import SHANGHAI, running_at
from handlers import demo_directory

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 2, 13, 9, 30, tzinfo=SHANGHAI)
STEPS = [
    ("register", "city_ndrc", {"source": "province", "summary": "要求外地企业在本地设立分公司",
                               "category": "HIDDEN_BARRIER", "region": "尧都区"}),
    ("transfer", "city_ndrc", {"competent_unit": "yaodu_gov"}),
    ("verify", "yaodu_gov", {"verification": "经核查存在本地注册要求。", "violation_found": "yes",
                             "responsible_unit": "yaodu_market_regulation", "rectification_opinion": "删除条款。"}),
    ("acknowledge_feedback", "city_ndrc", {}),
    ("rectify", "yaodu_market_regulation", {"rectification_report": "已删除本地注册条款。", "evidence": None}),
    ("competent_review", "yaodu_gov", {"competent_decision": "forward", "competent_opinion": "同意报送。"}),
    ("check_report", "city_ndrc", {"report_decision": "complete", "check_opinion": "同意销号。"}),
]
# What the engine puts in a clue's start data: its lead (the starter's NDRC) and the settings its diagram reads.
START_DATA = {"lead_unit": "city_ndrc", "clue_rectify_days": 7, "clue_rectify_day_unit": "calendar",
              "clue_supervise_days": 2}


def _specs(process_id: str) -> tuple:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "processes" / f"{process_id}.bpmn"))
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


# What region_units answers for the city NDRC's region (a case a closed clue starts asks it).
_REGION = {"region": "city_gov", "region_name": "临汾市人民政府", "government": "city_gov", "lead": "city_ndrc",
           "upper_government": "province_gov", "upper_lead": "province_ndrc", "number_prefix": "LF", "units": [],
           "departments": [], "functions": {"ndrc": "city_ndrc"}, "names": {}}


class _RawEnvironment(TaskDataEnvironment):
    """Service tasks answer at once, except that a started case runs, as the engine runs it: the closed
    clue's archive step starts a case_registry workflow, carried to its first wait."""

    def __init__(self, globals_, started: tuple | None):
        super().__init__(globals_)
        self.started = started
        self.engine: PythonScriptEngine | None = None

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        if operation_name == "start_process" and self.started is not None:
            child = BpmnWorkflow(*self.started, script_engine=self.engine)
            data = operation_params["data"]["value"]
            for task in child.get_tasks(state=TaskState.READY):
                task.data.update(data)
            child.do_engine_steps()
            for task in child.get_tasks(state=TaskState.WAITING, spec_class=StartEvent):
                child.catch(BpmnEvent(task.task_spec.event_definition, dict(data)))
            child.do_engine_steps()
            assert child.get_tasks(state=TaskState.READY, manual=True), "the started case waits for its first step"
        if operation_name == "region_units":  # the engine's handler reads the organisation tree
            return json.dumps(_REGION)
        if operation_name == "unit_choices":
            return json.dumps({"options": [], "names": {}})
        return json.dumps({"ok": True})


class _Raw:
    """The same work in SpiffWorkflow alone, in memory: diagrams parsed once, a fresh workflow per case."""

    def __init__(self, with_started_case: bool = True):
        self.spec, self.subs = _specs("clue_0137")
        environment = _RawEnvironment(dict(DIAGRAM_FUNCTIONS), _specs("case_registry") if with_started_case else None)
        self.script_engine = PythonScriptEngine(environment=environment)
        environment.engine = self.script_engine

    def seconds(self, n: int) -> float:
        began = time.perf_counter()
        with running_at(START):
            for _ in range(n):
                wf = BpmnWorkflow(self.spec, self.subs, script_engine=self.script_engine)
                for task in wf.get_tasks(state=TaskState.READY):
                    task.data.update(START_DATA)
                wf.do_engine_steps()
                for name, _user, data in STEPS:
                    task = wf.get_tasks(state=TaskState.READY, manual=True, spec_name=name)[0]
                    task.data.update({k: (v if v is not None else ["f"]) for k, v in data.items()})
                    task.run()
                    wf.do_engine_steps()
                assert wf.is_completed()
        return time.perf_counter() - began


# The client finds its step as the task list would: a row of human_task (a statement built once).
_READY_STEP = select(HumanTask.__table__.c.id).where(HumanTask.__table__.c.instance_id == bindparam("instance_id"),
                                                     HumanTask.__table__.c.task_name == bindparam("task_name"))


class _Engine:
    """The engine on a SQLite file set up as `zhunru init` does; each case is eight commands, each its own
    transaction, as the task list's users would send them."""

    def __init__(self, directory_path: str):
        self.db = make_engine(f"sqlite:///{directory_path}/bench.db")
        schema.upgrade(self.db)
        self.sessions = make_sessionmaker(self.db)
        with self.sessions() as s, s.begin():
            holidays.seed(s, "admin", START)
            demo_directory.load_demo(s, START)
            definitions.deploy(s, definitions.project_files(ROOT), "admin", START)
            self.actors = {u: directory.actor(s, u) for u in ("city_ndrc", "yaodu_gov", "yaodu_market_regulation")}

    def seconds(self, n: int) -> float:
        began = time.perf_counter()
        for _ in range(n):
            with self.sessions() as s, s.begin():
                iid = runtime.start_instance(s, "clue_0137", {}, self.actors["city_ndrc"], START).id
            for name, user, data in STEPS:
                with self.sessions() as s, s.begin():
                    task_id = s.execute(_READY_STEP, {"instance_id": iid, "task_name": name}).scalar()
                    # Evidence is the submitter's own upload, new for each case (it cannot be borrowed).
                    evidence = [files.store(s, filename="e.pdf", content=b"%PDF-1.4 " + iid.encode(), actor=user,
                                            now=START).id] \
                        if None in data.values() else None
                    payload = {k: (v if v is not None else evidence) for k, v in data.items()}
                    status = runtime.complete_task(s, task_id, payload, self.actors[user], START).status
            assert status == "completed"
        return time.perf_counter() - began


def run(quick: bool) -> dict[str, float]:
    """Rounds alternate the sides, so a machine that slows down or speeds up during the run (a shared host)
    weighs on both alike; each side's rate is its cases over its own time summed over the rounds."""
    n, rounds = (60, 3) if quick else (200, 10)  # rounds of 20 cases a side: long against one GC pass
    per_round = n // rounds
    raw, alone = _Raw(), _Raw(with_started_case=False)
    with tempfile.TemporaryDirectory() as tmp:
        eng = _Engine(tmp)
        for side in (raw, alone, eng):  # warm: caches and the first compilations of statements
            side.seconds(5)
        spent = {"raw": 0.0, "alone": 0.0, "engine": 0.0}
        for _ in range(rounds):
            spent["raw"] += raw.seconds(per_round)
            spent["engine"] += eng.seconds(per_round)
            spent["alone"] += alone.seconds(per_round)
        eng.db.dispose()
    cases = per_round * rounds
    engine_rate, raw_rate, alone_rate = (cases / spent[k] for k in ("engine", "raw", "alone"))
    # engine_vs_raw compares the same BPMN work; the clue alone, without the archive case it starts, is shown too.
    return {"engine_per_s": round(engine_rate, 1), "raw_per_s": round(raw_rate, 1),
            "engine_vs_raw": round(engine_rate / raw_rate, 3), "raw_clue_alone_per_s": round(alone_rate, 1),
            "engine_vs_raw_clue_alone": round(engine_rate / alone_rate, 3)}
