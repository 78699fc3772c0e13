"""The task row a command acts on (complete, claim, release, reassign), read under its case's lock.

The case is locked first and the task read after, in a statement of its own: on PostgreSQL a statement
reads the rows committed when it began, so a task read in the statement that waits for the lock (or
before it) is the task as it was before the transaction that held the lock claimed, reassigned or
completed it, and two users claiming one task at once would both succeed."""
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.people import access, assignment
from engine.people.directory import Actor
from engine.store import direct, instance_rows
from engine.store.models import Definition, FormDefinition, HumanTask, Instance

_TASKS, _FORMS = HumanTask.__table__, FormDefinition.__table__
# Built once: a statement built per call costs more than running it, and every command runs them.
_LOCK = (select(*instance_rows.LOCKED)
         .join(Definition, Definition.id == instance_rows.TABLE.c.definition_id)
         .where(instance_rows.TABLE.c.id == select(_TASKS.c.instance_id)
                .where(_TASKS.c.id == bindparam("task_id")).scalar_subquery())
         .with_for_update(of=instance_rows.TABLE))
_TASK_AND_FORM = (select(*_TASKS.columns, _FORMS.c.schema)
                  .outerjoin(_FORMS, and_(_FORMS.c.form_key == _TASKS.c.form_key,
                                          _FORMS.c.version == _TASKS.c.form_version))
                  .where(_TASKS.c.id == bindparam("task_id")))


class TaskRow(NamedTuple):
    """A human_task row, its columns in the table's order (checked below)."""

    id: str
    instance_id: str
    process_id: str
    task_name: str
    title: str
    lane: str | None
    organisation: str | None
    group_name: str | None
    assignee: str | None
    form_key: str | None
    form_version: int | None
    created_at: datetime
    due_at: datetime | None
    due_provisional: bool
    remind_at: datetime | None
    reminded_at: datetime | None


assert TaskRow._fields == tuple(column.key for column in _TASKS.columns), "TaskRow differs from human_task"


def _gone(task_id: str) -> NotFound:
    return NotFound(f"任务 {task_id} 不存在或已办结", what="task", key=task_id)


def lock_case(session: Session, task_id: str) -> tuple[Instance, str]:
    """The case of a ready task, locked for this transaction, with its version's digest."""
    found = direct.rows(session, _LOCK, {"task_id": task_id})
    if not found:
        raise _gone(task_id)
    return instance_rows.attach_locked(session, found[0])


def locked(session: Session, task_id: str) -> tuple[TaskRow, dict[str, Any] | None, Instance, str]:
    """The task as it is now and its form's schema (None when it has none, or its version is not recorded),
    with its case locked and that case's version digest. NotFound when the task is not ready (any more)."""
    instance, digest = lock_case(session, task_id)
    found = direct.rows(session, _TASK_AND_FORM, {"task_id": task_id})
    if not found:  # completed by the transaction that held the lock
        raise _gone(task_id)
    width = len(TaskRow._fields)
    return TaskRow(*found[0][:width]), found[0][width], instance, digest


def locked_task(session: Session, task_id: str) -> tuple[HumanTask, Instance]:
    """The session's copy of the task, to change, read fresh after its case was locked."""
    instance, _ = lock_case(session, task_id)
    task = session.get(HumanTask, task_id, populate_existing=True)
    if task is None:
        raise _gone(task_id)
    return task, instance


def require_known(session: Session, task: Any, actor: Actor) -> None:
    """Refuse a task the actor may not know of as if it did not exist: one of another organisation, in a
    case the actor is no party to. (Whether they may act on it is asked after, and may be refused as such.)"""
    if assignment.concerns(task, actor):
        return
    try:
        access.require_instance(session, actor, task.instance_id)
    except NotFound:
        raise _gone(task.id) from None
