"""Read-side views shared by the CLI and the web: task lists, instances, history."""
import uuid
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, Row, and_, false, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from engine import case_data, definitions, files, forms, instructions, privacy, projections, runtime, settings, steps
from engine.audit import history
from engine.bounds import Limits
from engine.errors import InvalidInput, NotFound
from engine.people import assignment
from engine.people.directory import Actor
from engine.store import serialization
from engine.store.models import Definition, Escalation, Event, HumanTask, Instance, Timer
from engine.timing import deadlines
from engine.timing.clock import local_iso


def _iso(value: datetime | None) -> str | None:
    return local_iso(value) if value else None


SCOPES = ("mine", "organisation")
CARDS = (deadlines.GREEN, deadlines.YELLOW, deadlines.RED)


def task_view(task: HumanTask, now: datetime, case_title: str | None = None,
              process_name: str | None = None) -> dict[str, Any]:
    state = deadlines.card(task.due_at, task.remind_at, now)
    return {"task_id": task.id, "instance_id": task.instance_id, "process_id": task.process_id,
            "process_name": process_name, "task_name": task.task_name, "title": task.title,
            "case_title": case_title, "lane": task.lane, "organisation": task.organisation,
            "group": task.group_name, "assignee": task.assignee, "form_key": task.form_key,
            "form_version": task.form_version,
            "received_at": _iso(task.created_at), "due_at": _iso(task.due_at),
            "provisional": bool(task.due_at and task.due_provisional), "remind_at": _iso(task.remind_at),
            "reminded_at": _iso(task.reminded_at), "card": state, "overdue": state == deadlines.RED}


def _scope(actor: Actor, scope: str | None) -> ColumnElement[bool]:
    if actor.is_platform:
        return false()
    if scope is None:
        return assignment.visible_to(actor)
    if scope == "mine":
        return or_(HumanTask.assignee == actor.username,
                   and_(HumanTask.assignee.is_(None), HumanTask.organisation.is_(None),
                        HumanTask.group_name.in_(actor.roles or ("",))))
    if scope == "organisation":
        if actor.is_admin:
            return true()
        if not actor.organisation:
            return false()
        group_ok = or_(HumanTask.group_name.is_(None), HumanTask.group_name.in_(actor.roles or ("",)))
        # Handlers see the unclaimed pool; a leader also sees what colleagues hold, to reassign it.
        held = true() if actor.is_leader else HumanTask.assignee.is_(None)
        return and_(HumanTask.organisation == actor.organisation, group_ok, held)
    raise InvalidInput(f"scope 必须是 {' / '.join(SCOPES)}")


def _card_filter(card: str, now: datetime) -> ColumnElement[bool]:
    if card == deadlines.RED:
        return HumanTask.due_at <= now
    if card == deadlines.YELLOW:
        return and_(HumanTask.due_at > now, HumanTask.remind_at <= now)
    if card == deadlines.GREEN:
        return or_(HumanTask.due_at.is_(None),
                   and_(HumanTask.due_at > now, or_(HumanTask.remind_at.is_(None), HumanTask.remind_at > now)))
    raise InvalidInput(f"status 必须是 {' / '.join(CARDS)}")


def task_page(session: Session, actor: Actor, now: datetime, scope: str | None = None,
              process_id: str | None = None, status: str | None = None, text: str | None = None,
              page: int = 1, per_page: int = 20, within: list[str] | None = None,
              unit: str | None = None) -> dict[str, Any]:
    """One page of the tasks the actor may see, soonest due first, filtered; with `within` (a leader's units,
    engine.lateness.units) the steps those units hold instead, or one `unit` of them."""
    if page < 1 or not 1 <= per_page <= 1000:
        raise InvalidInput("page 从 1 开始，per_page 介于 1 与 1000 之间")
    if within is not None:
        held = [code for code in within if unit in (None, code)]
        conditions: list[ColumnElement[bool]] = [HumanTask.organisation.in_(held) if held else false()]
    else:
        conditions = [_scope(actor, scope)]
    if process_id:
        conditions.append(HumanTask.process_id == process_id)
    if status:
        conditions.append(_card_filter(status, now))
    if text and text.strip():
        words = text.strip()
        conditions.append(or_(HumanTask.title.contains(words, autoescape=True),
                              Instance.title.contains(words, autoescape=True),
                              HumanTask.instance_id.startswith(words, autoescape=True)))
    counted = select(func.count(), func.count(HumanTask.due_at)).select_from(HumanTask)
    if text and text.strip():  # every task has its case: the join filters only when the case title is searched
        counted = counted.join(Instance, Instance.id == HumanTask.instance_id)
    total, with_due = session.execute(counted.where(*conditions)).one()
    base = (select(HumanTask, Instance.title, Definition.name)
            .join(Instance, Instance.id == HumanTask.instance_id)
            .join(Definition, Definition.id == Instance.definition_id).where(*conditions))
    # Tasks with a deadline first, soonest due; each part read in index order, so a page costs its own rows.
    offset = (page - 1) * per_page
    rows: list[Row[HumanTask, str, str]] = []
    if offset < with_due:
        rows += session.execute(base.where(HumanTask.due_at.is_not(None))
                                .order_by(HumanTask.due_at, HumanTask.created_at, HumanTask.id)
                                .offset(offset).limit(per_page)).all()
    if len(rows) < per_page and total > with_due:
        rows += session.execute(base.where(HumanTask.due_at.is_(None))
                                .order_by(HumanTask.created_at, HumanTask.id)
                                .offset(max(0, offset - with_due)).limit(per_page - len(rows))).all()
    return {"items": [task_view(task, now, title, name) for task, title, name in rows],
            "total": total, "page": page, "per_page": per_page}


def tasks_for(session: Session, actor: Actor, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """Ready tasks the actor may act on, soonest due first."""
    return task_page(session, actor, now, per_page=limit)["items"]


def instance_view(session: Session, instance_id: str, now: datetime, viewer: Actor | None = None) -> dict[str, Any]:
    """The case as `viewer` may see it (personal data masked unless theirs to see; None: the console)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound(f"实例 {instance_id} 不存在", what="instance", key=instance_id)
    loaded = definitions.load(session, instance.definition_id)
    specs = _steps(loaded)
    workflow = serialization.restore(instance.state, loaded.specs)
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                            .order_by(HumanTask.created_at, HumanTask.id))
    ready = [task_view(t, now, instance.title, loaded.name) for t in tasks]
    timers = session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.kind == "event")
                             .order_by(Timer.due_at))
    escalations = session.scalars(select(Escalation).where(Escalation.instance_id == instance_id)
                                  .order_by(Escalation.id))
    waiting_messages = sorted({t.task_spec.event_definition.name
                               for t in projections.waiting_message_tasks(workflow)})
    data = case_data.with_objects(workflow)
    shown = privacy.shown_to(viewer, privacy.policy(session, loaded, data), data)
    return {
        "instance_id": instance.id, "process_id": instance.process_id, "process_name": loaded.name,
        "version": loaded.version,
        "status": instance.status, "title": instance.title, "started_by": instance.started_by,
        "started_at": _iso(instance.started_at), "completed_at": _iso(instance.completed_at),
        "data": shown(data),
        "ready_tasks": ready,
        "overdue": any(t["overdue"] for t in ready),
        "waiting_timers": [{"task_name": t.task_name, "due_at": _iso(t.due_at),
                            "attached_to": t.attached_to, "provisional": t.provisional,
                            "rule": t.rule, "days": t.rule_days, "attempts": t.attempts,
                            "last_error": t.last_error} for t in timers],
        "escalations": [{"step": e.step, "step_title": _step_title(specs, e.step), "overdue_unit": e.overdue_unit,
                         "reported_to": e.reported_to, "due_at": _iso(e.due_at),
                         "escalated_at": _iso(e.escalated_at)} for e in escalations],
        "waiting_messages": waiting_messages,
        "error": ({"task_name": instance.error_task, "message": instance.error_message}
                  if instance.status == "error" else None),
        "completed_steps": [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                            if t.task_spec.bpmn_id],
        "active_steps": _step_ids(workflow, TaskState.READY),
        "waiting_steps": _step_ids(workflow, TaskState.WAITING),
        "files": [dict(f, step_title=_step_title(specs, f["task_name"]))
                  for f in files.of_instance(session, instance_id)],
    }


def _steps(loaded: Any) -> dict[str, Any]:
    """Every step of a version by its id, those of the processes it calls too (a campaign's department steps):
    so each is named by its title, never by its id."""
    called = {name: sp for sub in loaded.specs.subprocess_specs.values() for name, sp in sub.task_specs.items()}
    steps = {**called, **loaded.spec.task_specs}
    # A message is recorded by its name: it is the step of the event that caught it (named, with its form).
    caught = {sp.event_definition.name: sp for sp in steps.values()
              if isinstance(getattr(sp, "event_definition", None), MessageEventDefinition) and sp.bpmn_name}
    return {**caught, **steps}


def _step_title(specs: dict[str, Any], name: str | None) -> str | None:
    return projections.task_title(specs[name]) if name in specs else name


def _step_ids(workflow: Any, state: TaskState) -> list[str]:
    return sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=state) if t.task_spec.bpmn_id})


def history_view(session: Session, instance_id: str, viewer: Actor | None = None) -> list[dict[str, Any]]:
    """The case's events as `viewer` may see them (personal data masked unless theirs to see)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound(f"实例 {instance_id} 不存在", what="instance", key=instance_id)
    loaded = definitions.load(session, instance.definition_id)
    spec = loaded.spec
    specs = _steps(loaded)
    # The start data were filled in on the start event's form, when it has one.
    start_form = next((projections.form_key(s) for s in spec.start.outputs if projections.form_key(s)), None)
    events = list(history.events(session, instance_id))
    started = next((e.data.get("data") or {} for e in events if e.kind == "instance_started"), {})
    shown = privacy.shown_to(viewer, privacy.policy(session, loaded, started), [e.data for e in events])
    return [{"seq": e.seq, "at": _iso(e.at), "actor": e.actor, "kind": e.kind, "task_id": e.task_id,
             "task_name": e.task_name,
             "step_title": _step_title(specs, e.task_name),
             "form_key": (projections.form_key(specs[e.task_name]) if e.task_name in specs
                          else start_form if e.kind == "instance_started" else None),
             "data": shown(e.data), "hash": e.hash}
            for e in events]


def step_deadlines(session: Session, instance_id: str) -> dict[str, str]:
    """The deadline each completed step of the case had, by task id (the task_completed event's)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound(f"实例 {instance_id} 不存在", what="instance", key=instance_id)
    workflow = serialization.restore(instance.state, definitions.load(session, instance.definition_id).specs)
    return {str(t.id): local_iso(due) for t in workflow.get_tasks(state=TaskState.COMPLETED, manual=True)
            if (due := projections.step_deadline(t)) is not None}


# A literal, not a parameter: so SQLite (and PostgreSQL's generic plans) may read the partial index on it.
_COMPLETED = Event.kind == literal_column("'task_completed'")


def _steps_named(session: Session, username: str, words: str) -> ColumnElement[bool]:
    """SQL: the completion events of the steps whose names contain `words`, among the versions of the processes
    the person completed steps in (step names live in the diagrams, not in the rows)."""
    versions = session.scalars(select(Instance.definition_id).distinct()
                               .join(Event, Event.instance_id == Instance.id)
                               .where(Event.actor == username, _COMPLETED))
    matches = []
    for definition_id in versions:
        named = [name for name, spec in _steps(definitions.load(session, definition_id)).items()
                 if getattr(spec, "manual", False) and words in projections.task_title(spec)]
        if named:
            matches.append(and_(Instance.definition_id == definition_id, Event.task_name.in_(named)))
    return or_(false(), *matches)


def completed_by(session: Session, actor: Actor, text: str | None = None, page: int = 1,
                 per_page: int = 20) -> dict[str, Any]:
    """The steps a person completed (已办), newest first; `text` finds a case title or a step name."""
    if page < 1 or not 1 <= per_page <= 1000:
        raise InvalidInput("page 从 1 开始，per_page 介于 1 与 1000 之间")
    conditions = [Event.actor == actor.username, _COMPLETED]
    words = (text or "").strip()
    if words:
        conditions.append(or_(Instance.title.contains(words, autoescape=True),
                              _steps_named(session, actor.username, words)))
    total = session.scalar(select(func.count()).select_from(Event)
                           .join(Instance, Instance.id == Event.instance_id).where(*conditions)) or 0
    rows = session.execute(
        select(Event.at, Event.task_name, Event.instance_id, Instance.title, Instance.status,
               Instance.definition_id, Definition.name)
        .join(Instance, Instance.id == Event.instance_id).join(Definition, Definition.id == Instance.definition_id)
        .where(*conditions).order_by(Event.at.desc(), Event.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    specs = {d: _steps(definitions.load(session, d)) for d in {row.definition_id for row in rows}}
    items = [{"completed_at": _iso(row.at), "instance_id": row.instance_id, "case_title": row.title,
              "status": row.status, "process_name": row.name,
              "step_title": _step_title(specs[row.definition_id], row.task_name)} for row in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def _instructions(session: Session, spec: Any, data: dict[str, Any]) -> str | None:
    """The step's instructions with case variables filled in (Jinja, sandboxed and bounded)."""
    return instructions.render(spec, data, Limits.of(settings.values(session)))


def task_detail(session: Session, actor: Actor, task_id: str, now: datetime) -> dict[str, Any]:
    """What the task page shows: the task, its instructions, form and prefill, and the case so far.

    The actor must be entitled to act on the task or lead its organisation; otherwise it does not exist."""
    task = session.get(HumanTask, task_id)
    if task is None or not (assignment.may_act(task, actor) or assignment.leads(actor, task)):
        raise NotFound(f"任务 {task_id} 不存在或无权查看", what="task", key=task_id)
    instance = session.get_one(Instance, task.instance_id)
    loaded = definitions.load(session, instance.definition_id)
    workflow = serialization.restore(instance.state, loaded.specs)
    spiff_task = workflow.get_task_from_id(uuid.UUID(task_id))
    data = dict(spiff_task.data) if spiff_task is not None else {}
    schema = runtime.form_schema(session, task.form_key, task.form_version)
    shown = set(forms.input_keys(schema)) - set(forms.file_fields(schema)) | set(forms.option_keys(schema)) \
        if schema else set()
    opened_on = steps.form_data(spiff_task) if spiff_task is not None else {}
    # What the form and its instructions receive is masked already: a unit that may not see a person's name and
    # telephone never gets them, whatever the page does with the data.
    whole = case_data.with_objects(workflow)
    masked = privacy.shown_to(actor, privacy.policy(session, loaded, whole), whole, data)
    prefill = masked({k: opened_on[k] for k in shown if k in opened_on})
    return {
        "task": task_view(task, now, instance.title, loaded.name),
        "may_act": assignment.may_act(task, actor),
        "instructions": _instructions(session, spiff_task.task_spec, masked(data)) if spiff_task is not None
        else None,
        "schema": schema, "prefill": prefill,
    }
