"""Workflows this process saved, kept in memory so the next command on the instance skips the restore, and
the reads of the rows it wrote with them.

An entry is keyed by the instance's row version and holds the state it was saved as: any other writer
(another process, another host, a claim) bumps the version, and an entry is used only when the stored state
is exactly the one it was saved as. Entries are offered when a command saves and admitted only when its
transaction commits; a command takes its entry out, so a command that fails leaves no half-changed
workflow behind.
"""
import threading
from collections import OrderedDict
from typing import Any, NamedTuple

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.store import restore_mode

_SIZE = 512
_PENDING = "zhunru_saved_workflows"


class Saved(NamedTuple):
    state: str
    workflow: BpmnWorkflow
    rows: Any  # projections.Rows: the task and timer rows written with this state
    parties: frozenset[tuple[str, str]]  # the case's parties this process has noted (access.note)


_entries: "OrderedDict[tuple[str, int], Saved]" = OrderedDict()
_lock = threading.Lock()


def take(instance_id: str, row_version: int, state: str) -> Saved | None:
    """What was saved as this state at this row version, removed from the cache; None when not held."""
    if restore_mode.COLD:
        return None
    with _lock:
        entry = _entries.pop((instance_id, row_version), None)
    return entry if entry is not None and entry.state == state else None


def offer(session: Session, instance_id: str, row_version: int, saved: Saved) -> None:
    """Keep what a command saved once the session's transaction commits."""
    if restore_mode.COLD:
        return
    session.info.setdefault(_PENDING, []).append(((instance_id, row_version), saved))


def clear() -> None:
    with _lock:
        _entries.clear()


@event.listens_for(Session, "after_commit")
def _admit(session: Session) -> None:
    pending: list[tuple[tuple[str, int], Saved]] = session.info.pop(_PENDING, [])
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
