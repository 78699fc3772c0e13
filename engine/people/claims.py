"""Claiming, releasing and reassigning an organisation's tasks; each is recorded in the case's history."""
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import projections
from engine.audit import history
from engine.definitions import LoadedDefinition
from engine.errors import Conflict, InvalidInput, NotEntitled
from engine.people import access, assignment, directory
from engine.people.directory import Actor
from engine.store import task_rows
from engine.store.models import HumanTask, Instance


def _task(session: Session, task_id: str, actor: Actor) -> tuple[HumanTask, Instance]:
    """The task read after its case is locked (task_rows); another organisation's task answers as a missing one."""
    task, instance = task_rows.locked_task(session, task_id)
    task_rows.require_known(session, task, actor)
    return task, instance


def _record(session: Session, *, instance: Instance, kind: str, actor: Actor, now: datetime, task: HumanTask,
            data: dict) -> None:
    history.append(session, instance, kind, actor.username, now, task.id, task.task_name, data)
    access.note(session, instance.id, {(access.USER, actor.username)} |
                ({(access.USER, task.assignee)} if task.assignee else set()))


def claim(session: Session, task_id: str, actor: Actor, now: datetime) -> HumanTask:
    """Take an unclaimed task of one's organisation (or group) as one's own."""
    task, instance = _task(session, task_id, actor)
    if task.assignee == actor.username:
        raise Conflict(f"任务 {task_id} 已由你认领", code="already_claimed")
    if task.assignee is not None:  # never who holds it
        raise Conflict(f"任务 {task_id} 已被认领", code="already_claimed")
    if not assignment.may_act(task, actor):
        raise NotEntitled(f"用户 {actor.username} 无权认领任务 {task_id}")
    task.assignee = actor.username
    _record(session, instance=instance, kind="task_claimed", actor=actor, now=now, task=task,
            data={"assignee": actor.username})
    return task


def release(session: Session, task_id: str, actor: Actor, now: datetime) -> HumanTask:
    """Give a claimed task back to the organisation's pool (its holder, or a leader of the organisation)."""
    task, instance = _task(session, task_id, actor)
    if task.assignee is None:
        raise Conflict(f"任务 {task_id} 未被认领")
    if task.assignee != actor.username and not assignment.leads(actor, task):
        raise NotEntitled(f"用户 {actor.username} 无权退回任务 {task_id}")
    if task.organisation is None and task.group_name is None:
        raise Conflict(f"任务 {task_id} 属于个人，不能退回")
    previous, task.assignee = task.assignee, None
    _record(session, instance=instance, kind="task_released", actor=actor, now=now, task=task,
            data={"previous": previous})
    return task


def reassign(session: Session, task_id: str, username: str, actor: Actor, now: datetime) -> HumanTask:
    """A leader gives an organisation's task to one of its members."""
    task, instance = _task(session, task_id, actor)
    if not assignment.leads(actor, task):
        raise NotEntitled(f"只有本单位负责人可以改派任务 {task_id}")
    target = directory.actor_or_none(session, username)
    if target is None or not assignment.may_hold(task, target):
        raise InvalidInput(f"用户 {username} 不是办理该任务的单位成员")
    previous, task.assignee = task.assignee, username
    _record(session, instance=instance, kind="task_reassigned", actor=actor, now=now, task=task,
            data={"previous": previous, "assignee": username})
    return task


def automatic_steps(definition: LoadedDefinition) -> set[str]:
    """The steps of a version (and of the processes it calls) its diagram gives straight to whoever completed
    the step before (projections.auto_claim)."""
    specs = [definition.spec, *definition.specs.subprocess_specs.values()]
    return {name for spec in specs for name, step in spec.task_specs.items() if projections.auto_claim(step)}


def automatic(definition: LoadedDefinition, new_steps: Iterable[Any], actor: Actor, starter: str,
              known_organisations: Mapping[str, str | None]) -> list[Any]:
    """Of the steps a submission made ready, those the diagram gives to the submitter: each one that falls to
    their own unit or group (never to another's, even for an administrator) and that no one holds."""
    found = []
    for step in new_steps:
        if not projections.auto_claim(step.task_spec):
            continue
        owner = assignment.resolve(definition, step.task_spec.lane, step.data, starter, known_organisations)
        if assignment.falls_to(owner, actor):
            found.append(step)
    return found
