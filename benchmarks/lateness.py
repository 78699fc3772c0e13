"""Timer lateness: how long after its due instant a timer fires, with a worker ticking every few seconds.

Simulated time: timers fall due spread over a window; a tick starts every `interval` seconds; a timer
fires at its tick's start plus the real time the tick took to reach it. Each probe's step also has a
催办 reminder, all already due at the first tick: deadlines must not wait behind them."""
import gc
import statistics
import tempfile
from datetime import timedelta

from engine import definitions, runtime
from engine.people import directory
from engine.timing import timers

from . import scale
from .engine_overhead import START

DIAGRAM = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="due_probe" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="work">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="deadline" cancelActivity="false" attachedToRef="work">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>due</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="late" />
  </bpmn:process>
</bpmn:definitions>"""


def run(quick: bool, interval: int = 3) -> dict[str, float]:
    count, window = (200, 60) if quick else (2000, 600)
    with tempfile.TemporaryDirectory() as tmp:
        db, sessions, _ = scale.database(tmp)
        with sessions() as s, s.begin():
            definitions.deploy(s, [("due_probe.bpmn", DIAGRAM)], "admin", START)
            admin = directory.actor(s, "admin")
            due_at = {}
            for i in range(count):
                due = START + timedelta(seconds=window * i / count)
                due_at[runtime.start_instance(s, "due_probe", {"due": due.isoformat()}, admin, START).id] = due
        gc.collect()  # the set-up's garbage is not the load a worker carries
        late = []
        tick_at = START
        while len(late) < count:
            tick_at += timedelta(seconds=interval)
            tick = timers.fire_due(sessions, tick_at)
            late += [(tick_at - due_at[f["instance_id"]]).total_seconds() + tick.fired_after[f["instance_id"]]
                     for f in tick.fired]
        db.dispose()
    late.sort()
    return {"lateness_timers": count, "lateness_interval_s": interval,
            "lateness_p50_s": round(statistics.median(late), 2),
            "lateness_p95_s": round(late[int(len(late) * 0.95) - 1], 2), "lateness_max_s": round(late[-1], 2)}
