"""Workflows this process saved, kept in memory so the next command on the instance skips the restore.

An entry is keyed by the instance's row version and holds the state it was saved as: any other writer
(another process, another host) bumps the version, and an entry is used only when the stored state is
exactly the one it was saved as. Entries are offered when a command saves and admitted only when its
transaction commits; a command takes its entry out, so a command that fails leaves no half-changed
workflow behind.
"""
import threading
from collections import OrderedDict
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import event
from sqlalchemy.orm import Session

_SIZE = 512
_entries: "OrderedDict[tuple[str, int], tuple[str, BpmnWorkflow]]" = OrderedDict()
_lock = threading.Lock()
_PENDING = "zhunru_saved_workflows"


def take(instance_id: str, row_version: int, state: str) -> BpmnWorkflow | None:
    """The workflow saved as this state at this row version, removed from the cache; None when not held."""
    with _lock:
        entry = _entries.pop((instance_id, row_version), None)
    return entry[1] if entry is not None and entry[0] == state else None


def offer(session: Session, instance_id: str, row_version: int, state: str, workflow: BpmnWorkflow) -> None:
    """Keep the workflow once the session's transaction commits."""
    session.info.setdefault(_PENDING, []).append(((instance_id, row_version), (state, workflow)))


def clear() -> None:
    with _lock:
        _entries.clear()


@event.listens_for(Session, "after_commit")
def _admit(session: Session) -> None:
    pending: list[tuple[tuple[str, int], Any]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    with _lock:
        for key, entry in pending:
            _entries[key] = entry
            _entries.move_to_end(key)
        while len(_entries) > _SIZE:
            _entries.popitem(last=False)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
