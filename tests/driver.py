"""Drives cases through the engine as users would, one transaction per step, with time injected."""
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import definitions, files, queries, runtime
from engine.people import directory
from engine.store import serialization
from engine.store.models import Event, HumanTask, Instance, Notification, StoredFile, Timer


class Case:
    def __init__(self, sessions: sessionmaker[Session], process_id: str, user: str, now: datetime,
                 data: dict[str, Any] | None = None):
        self.sessions = sessions
        self.now = now  # the latest instant this case was acted on; views are taken as of then
        with sessions() as s, s.begin():
            self.id = runtime.start_instance(s, process_id, data or {}, directory.actor(s, user), now).id
        self.assert_round_trip()

    @classmethod
    def of(cls, sessions: sessionmaker[Session], instance_id: str, now: datetime) -> "Case":
        """A case the engine started by itself (a scheduled start, a called process)."""
        case = cls.__new__(cls)
        case.sessions, case.now, case.id = sessions, now, instance_id
        case.assert_round_trip()
        return case

    def assert_round_trip(self) -> None:
        """Saved state restores into a workflow that serializes to the very same state."""
        with self.sessions() as s:
            inst = s.get(Instance, self.id)
            specs = definitions.load(s, inst.definition_id).specs
            # The same state; key order may differ (Spiff merges multi-instance data in arrival order).
            assert json.loads(serialization.dump(serialization.restore(inst.state, specs), specs)) == json.loads(
                inst.state)

    def view(self, now: datetime | None = None) -> dict[str, Any]:
        with self.sessions() as s:
            return queries.instance_view(s, self.id, now or self.now)

    def task(self, task_name: str) -> dict[str, Any]:
        ready = [t for t in self.view()["ready_tasks"] if t["task_name"] == task_name]
        assert ready, f"{task_name} not ready; ready: {[t['task_name'] for t in self.view()['ready_tasks']]}"
        return ready[0]

    def ready(self) -> list[str]:
        return sorted(t["task_name"] for t in self.view()["ready_tasks"])

    def complete(self, task_name: str, user: str, now: datetime, data: dict[str, Any] | None = None) -> str:
        self.now = now
        task_id = self.task(task_name)["task_id"]
        with self.sessions() as s, s.begin():
            status = runtime.complete_task(s, task_id, data or {}, directory.actor(s, user), now).status
        self.assert_round_trip()
        return status

    def message(self, name: str, user: str, now: datetime, payload: dict[str, Any]) -> str:
        self.now = now
        with self.sessions() as s, s.begin():
            status = runtime.deliver_message(s, instance_id=self.id, name=name, payload=payload,
                                             actor=directory.actor(s, user), now=now).status
        self.assert_round_trip()
        return status

    def fire(self, now: datetime) -> list[str]:
        self.now = now
        with self.sessions() as s, s.begin():
            fired = runtime.fire_timers(s, self.id, now).timers
        self.assert_round_trip()
        return fired

    def history(self, services: bool = False) -> list[dict[str, Any]]:
        """The case's events; the records of service calls (kept for replay) only when asked."""
        with self.sessions() as s:
            return [e for e in queries.history_view(s, self.id) if services or e["kind"] != "service_called"]

    def timers(self) -> dict[str, datetime]:
        with self.sessions() as s:
            return {t.task_name: t.due_at for t in s.scalars(select(Timer).where(Timer.instance_id == self.id))}

    def notifications(self) -> list[tuple[str, str]]:
        with self.sessions() as s:
            return [(n.organisation, n.title) for n in s.scalars(
                select(Notification).where(Notification.instance_id == self.id).order_by(Notification.id))]


def upload(sessions: sessionmaker[Session], name: str, content: bytes, user: str, now: datetime) -> str:
    with sessions() as s, s.begin():
        return files.store(s, filename=name, content=content, actor=user, now=now).id


def snapshot(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Everything a failed command must leave untouched."""
    with sessions() as s:
        return {
            "instances": [(i.id, i.status, i.state, i.row_version, i.event_seq, i.event_hash)
                          for i in s.scalars(select(Instance).order_by(Instance.id))],
            "tasks": [(t.id, t.task_name, t.organisation, t.due_at)
                      for t in s.scalars(select(HumanTask).order_by(HumanTask.id))],
            "timers": [(t.id, t.due_at) for t in s.scalars(select(Timer).order_by(Timer.id))],
            "events": s.scalar(select(func.count()).select_from(Event)),
            "notifications": s.scalar(select(func.count()).select_from(Notification)),
            "files": s.scalar(select(func.count()).select_from(StoredFile)),
        }
