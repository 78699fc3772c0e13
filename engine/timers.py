"""Firing due timers: one transaction per instance, so one failure never blocks the others."""
import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from . import runtime

log = logging.getLogger("zhunru.timers")


def fire_due(sessions: sessionmaker[Session], now: datetime, batch: int = 100) -> list[dict[str, str]]:
    """Fire every timer due before `now`; returns what fired as {instance_id, task_name}."""
    fired: list[dict[str, str]] = []
    done: set[str] = set()
    while True:
        with sessions() as session, session.begin():
            pending = [i for i in runtime.due_instances(session, now, batch + len(done)) if i not in done]
        if not pending:
            return fired
        for instance_id in pending:
            done.add(instance_id)
            with sessions() as session, session.begin():
                names = runtime.fire_timers(session, instance_id, now)
            fired.extend({"instance_id": instance_id, "task_name": n} for n in names)
