"""Commands on instances; each runs in the caller's transaction: load, apply, run steps, save."""
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from marshmallow import ValidationError
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine import case_data, decisions, definitions, files, forms, messages, projections, settings, steps, versions
from engine.audit import history
from engine.bounds import Limits
from engine.errors import Conflict, FormInvalid, HandlerError, LimitExceeded, NotEntitled, NotFound
from engine.operator_context import LiveEffects, OperatorContext
from engine.people import access, assignment, claims, directory
from engine.people.directory import Actor
from engine.sandbox import ZhunruScriptEngine, check_data, describe_failure, original_error
from engine.store import direct, instance_rows, serialization, task_rows, workflow_cache
from engine.store.models import FormDefinition, HumanTask, Instance, Notification, Timer
from engine.timing import calendar, holidays
from engine.timing.clock import local_iso, running_at
from handlers import registry


def _validation_text(exc: ValidationError) -> str:
    messages = exc.messages
    if isinstance(messages, dict):
        return "; ".join(f"{key}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                         for key, v in messages.items())
    return "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)


class _Run:
    """One command on one instance."""

    def __init__(self, session: Session, instance: Instance, now: datetime, actor: str,
                 workflow: BpmnWorkflow | None = None, definition_digest: str | None = None,
                 stored_settings: dict[str, str] | None = None):
        self.session = session
        self.instance = instance
        self.now = now
        self.actor = actor
        self.definition = definitions.load(session, instance.definition_id, definition_digest)
        self.settings = stored_settings or settings.values(session)
        self.calendar = holidays.load(session, self.settings)
        self.known_organisations = directory.codes(session, self.settings)
        # The task and timer rows as they stand, when known without reading them: a new case has none, and
        # this process wrote them at this row version; and the parties it noted for the case.
        self.stored_rows: projections.Rows | None = projections.NO_ROWS if instance.event_seq == 0 else None
        self.noted: frozenset[tuple[str, str]] = frozenset()
        self.script_engine = ZhunruScriptEngine(self._call_service, Limits.of(self.settings), case_id=instance.id)
        if workflow is None:
            saved = workflow_cache.take(instance.id, instance.row_version, instance.state)
            if saved is not None:
                workflow, self.stored_rows, self.noted = saved.workflow, saved.rows, saved.parties
            else:
                workflow = serialization.restore(instance.state, self.definition.specs)
        workflow.script_engine = self.script_engine  # never serialized; attach after every restore
        self.workflow = workflow
        self.pending_events: list[tuple[str, str | None, dict]] = []
        self.event_rows: list[dict[str, Any]] = []  # written together when the command saves
        self.head = (instance.event_seq, instance.event_hash)  # of the history chain, moved by each record
        self.parties: set[tuple[str, str]] = set()
        self.failed = False  # the engine raised in this command, whether or not a task is left in ERROR
        self.over_limit: LimitExceeded | None = None  # the engine stopped diagram code at a limit
        self.claimed: dict[str, str] = {}  # new steps given to their submitter (autoClaim): task id -> username

    def start_child(self, process_id: str, data: dict[str, Any]) -> str:
        """Another case started by this one's service task, in the same transaction (naming its lanes' units)."""
        check_data(data, "启动数据")
        row = versions.latest_version(self.session, process_id)
        definition = definitions.load(self.session, row.id, row.sha256)
        data, named = assignment.lane_data(definition, data)
        return _start(self.session, row=row, definition=definition, data=data, started_by=self.actor, now=self.now,
                      engine_data={**named, "source_instance": self.instance.id}, stored_settings=self.settings).id

    def catch_up(self) -> list[str]:
        """Let what fell due before `now` happen first, as the worker would have: fire those timers, run
        their consequences and record them, before the command's own action."""
        if not projections.any_timer_due(self.workflow, self.now):
            return []
        due = steps.due_timers(self.workflow, self.now)
        path = self.advance(self.workflow.refresh_timers)
        fired = []
        for task, due_at, activity in steps.mark_lapsed(due):
            fired.append(task.task_spec.bpmn_id)
            self.record("timer_fired", str(task.id), task.task_spec.bpmn_id,
                        {"due_at": local_iso(due_at), "fired_at": local_iso(self.now),
                         "attached_to": activity.task_spec.bpmn_id if activity else None, "path": path},
                        actor="system")
        self._flush_events("system")
        return fired

    def _call_service(self, task: Any, operator_name: str, params: dict[str, Any]) -> Any:
        name = task.task_spec.bpmn_id
        operator = registry.get(operator_name)
        if operator is None:
            raise HandlerError(operator_name, name, "operator 未注册")
        try:
            clean = operator.load(params)
        except ValidationError as exc:
            raise HandlerError(operator_name, name, f"参数无效: {_validation_text(exc)}") from exc
        effects = LiveEffects(session=self.session, now=self.now, actor=self.actor, case_id=self.instance.id,
                              workflow=self.workflow, start=self.start_child, send=deliver_message)
        ctx = OperatorContext(session=self.session, now=self.now, actor=self.actor, case_id=self.instance.id,
                              case_title=self.instance.title, step=name, data=dict(task.data), effects=effects,
                              known_organisations=self.known_organisations,
                              specs=(task.workflow.spec.task_specs, self.workflow.spec.task_specs))
        try:
            with self.session.begin_nested():  # a failed handler leaves none of its writes
                result = operator.handle(clean, ctx)
        except Exception as exc:
            failure = exc if isinstance(exc, HandlerError) else HandlerError(
                operator_name, name, _validation_text(exc) if isinstance(exc, ValidationError)
                else str(exc) or type(exc).__name__)
            self.pending_events.append(("service_called", name, {"operator": operator_name,
                                                                 "error": str(failure)}))
            raise failure from exc
        self.pending_events.extend(effects.events)
        # What the outside world answered is recorded, so a replay can give the same answer.
        self.pending_events.append(("service_called", name, {"operator": operator_name, "result": result}))
        return result

    def advance(self, action: Callable[[], None] | None = None) -> list[str]:
        """Apply the action and run engine steps; returns the elements completed, in order."""
        before = projections.completed_ids(self.workflow)
        with running_at(self.now), calendar.using(self.calendar):
            try:
                if action is not None:
                    action()
                self.workflow.do_engine_steps()
            except Exception as exc:
                self.failed = True
                failed = next(iter(self.workflow.get_tasks(state=TaskState.ERROR)), None)
                self.instance.error_task = failed.task_spec.bpmn_id if failed is not None else None
                self.instance.error_message = describe_failure(exc, failed)
                original = original_error(exc)
                self.over_limit = original if isinstance(original, LimitExceeded) else None
                self.pending_events.append(("error", self.instance.error_task,
                                            {"message": self.instance.error_message}))
        self.pending_events += decisions.evaluated(self.workflow, before, self.definition.decisions)
        return projections.path_since(self.workflow, before)

    def record(self, kind: str, task_id: str | None, task_name: str | None, data: dict,
               actor: str | None = None) -> None:
        actor = actor or self.actor
        if actor != "system":
            self.parties.add((access.USER, actor))
        # The calendar it ran under is part of the record, so a replay counts deadlines the same way.
        data = {**data, "calendar": self.calendar.revision}
        row = history.chain(self.instance.id, self.head, kind, actor, self.now, task_id, task_name, data)
        self.head = (row["seq"], row["hash"])
        self.event_rows.append(row)

    def _flush_events(self, actor: str | None = None) -> None:
        for kind, task_name, data in self.pending_events:
            self.record(kind, None, task_name, data, actor)
        self.pending_events.clear()

    def save(self) -> Instance:
        wf, inst = self.workflow, self.instance
        self._flush_events()
        tasks = projections.snapshot(wf)
        finished = wf.is_completed()
        values = {"state": serialization.dump(wf, self.definition.specs), "updated_at": self.now,
                  "event_seq": self.head[0], "event_hash": self.head[1]}
        if finished:
            values |= {"status": "completed", "completed_at": self.now}
        elif self.failed or tasks.errors:
            values["status"] = "error"
        else:
            values |= {"status": "running", "error_task": None, "error_message": None}
        data = instance_data(wf)
        values["title"] = str(data.get("case_title") or inst.title)[:300]
        values["subject_key"] = str(data["subject_key"])[:200] if data.get("subject_key") else None
        self.session.flush()  # what handlers left pending in the session, before the rows below
        instance_rows.write(self.session, inst, values)
        rows, holders = projections.sync(self.session, inst, self.definition, tasks, self.now,
                                         self.known_organisations, self.calendar, self.stored_rows,
                                         self.claimed)
        self.parties |= holders
        access.note(self.session, inst.id, self.parties - self.noted)
        history.write(self.session, self.event_rows)
        if not finished:  # a finished case takes no more commands: it would only weigh on memory and GC
            workflow_cache.offer(self.session, inst.id, inst.row_version,
                                 workflow_cache.Saved(inst.state, wf, rows, self.noted | self.parties))
        return inst


def instance_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case data as a user sees it: the end's data when finished, else the latest step's on its own path."""
    return case_data.main_path(workflow)


# Built once: a statement built per call costs more than running it, and every command runs it.
_FORMS = FormDefinition.__table__


def _lock_instance(session: Session, instance_id: str) -> tuple[Instance, str]:
    found = instance_rows.locked(session, instance_id)
    if found is None:
        raise NotFound(f"实例 {instance_id} 不存在", what="instance", key=instance_id)
    return found


def start_instance(session: Session, process_id: str, data: dict[str, Any], actor: Actor,
                   now: datetime) -> Instance:
    """Start the newest version of a process with the given data (the message, when the process starts
    on a message: then it is checked against the start event's form)."""
    check_data(data, "启动数据")
    row = versions.latest_version(session, process_id)
    definition = definitions.load(session, row.id, row.sha256)
    stored = settings.values(session)
    if not assignment.may_start(definition, actor, directory.codes(session, stored)):
        raise NotEntitled(f"用户 {actor.username} 所在单位不能发起流程 {process_id}")
    if process_id in versions.called_processes(session):
        raise NotEntitled(f"流程 {definition.name} 由其他流程调用发起，不能单独发起")
    data, own = assignment.starting_data(definition, data, actor.organisation)  # it starts in the starter's lane
    return _start(session, row=row, definition=definition, data=data, started_by=actor.username, now=now,
                  engine_data=own, stored_settings=stored)


def start_scheduled(session: Session, process_id: str, trigger: str, scheduled_for: datetime,
                    now: datetime) -> Instance:
    """Start the newest version of a process by its timer start event `trigger`, as the system."""
    row = versions.latest_version(session, process_id)
    definition = definitions.load(session, row.id, row.sha256)
    return _start(session, row=row, definition=definition, data={"scheduled_for": local_iso(scheduled_for)},
                  started_by="system", now=now,
                  trigger=trigger)


def _start(session: Session, *, row: Any, definition: definitions.LoadedDefinition, data: dict[str, Any],
           started_by: str, now: datetime, engine_data: dict[str, Any] | None = None,
           trigger: str | None = None, stored_settings: dict[str, str] | None = None) -> Instance:
    key = projections.start_form_key(definition.spec) if trigger is None else None
    schema = form_schema(session, key, definition.form_versions.get(key or ""))
    stored_files = _stored_files(session, schema, data, started_by, None, (engine_data or {}).get("source_instance"))
    if schema is not None:
        data, errors = forms.validate(schema, data, stored_files.__contains__)
        if errors:
            raise FormInvalid("start", errors)
    # Local deadlines in force when the case starts are part of its record (and of its replay).
    stored = stored_settings or settings.values(session)
    data = {**data, **(engine_data or {}), **settings.for_process(stored, row.process_id)}
    # Inserted at once: its task, timer and event rows refer to it, and carry no relationship to order them.
    instance = instance_rows.create(session, id=uuid.uuid4().hex, process_id=row.process_id, definition_id=row.id,
                                    status="running", title=str(data.get("case_title") or definition.name)[:300],
                                    state="", started_by=started_by, started_at=now, updated_at=now,
                                    event_seq=0, event_hash=history.GENESIS)
    workflow = definition.specs.new_workflow()
    run = _Run(session, instance, now, started_by, workflow, row.sha256, stored)
    path = run.advance(lambda: projections.seed_start(workflow, data, trigger))
    evidence = _link_files(session, schema=schema, data=data, instance_id=instance.id, task_name="start", now=now,
                           stored_files=stored_files)
    run.record("instance_started", None, None,
               {"process_id": row.process_id, "version": row.version, "data": data, "path": path, **evidence,
                **({"trigger": trigger} if trigger else {})})
    return run.save()


def _file_ids(schema: dict[str, Any], data: dict[str, Any]) -> list[str]:
    return [f for key in forms.file_fields(schema) if isinstance(data.get(key), list) for f in data[key]
            if isinstance(f, str)]


def _stored_files(session: Session, schema: dict | None, data: dict[str, Any], actor: str, *cases: Any) -> dict:
    """The SHA-256 by id of each file a submission names that its submitter may link to the case (files.usable)."""
    return files.usable(session, _file_ids(schema, data), actor, *cases) if schema is not None else {}


def _link_files(session: Session, *, schema: dict[str, Any] | None, data: dict[str, Any], instance_id: str,
                task_name: str, now: datetime, stored_files: dict[str, str]) -> dict[str, Any]:
    """Link the evidence a validated submission references to the case; returns {"files": {id: sha256}} for
    its event (`stored_files` as the submission's check read them)."""
    if schema is None:
        return {}
    ids = _file_ids(schema, data)
    files.link(session, ids, instance_id, task_name, now)
    unread = [f for f in ids if f not in stored_files]
    digests = stored_files | files.digests(session, unread) if unread else stored_files
    return {"files": {f: digests[f] for f in ids if f in digests}} if ids else {}


_FORM_VERSION = select(_FORMS.c.schema).where(_FORMS.c.form_key == bindparam("key"),
                                              _FORMS.c.version == bindparam("version"))
_FORM_NEWEST = (select(_FORMS.c.schema).where(_FORMS.c.form_key == bindparam("key"))
                .order_by(_FORMS.c.version.desc()).limit(1))


def form_schema(session: Session, form_key: str | None, version: int | None = None) -> dict[str, Any] | None:
    """A form's schema: the version a process version was deployed with, else the newest."""
    if not form_key:
        return None
    found = (direct.rows(session, _FORM_VERSION, {"key": form_key, "version": version}) if version is not None
             else direct.rows(session, _FORM_NEWEST, {"key": form_key}))
    return found[0][0] if found else None


def complete_task(session: Session, task_id: str, data: dict[str, Any], actor: Actor,
                  now: datetime) -> Instance:
    """Complete a ready user task with validated form data, then run the engine until it waits."""
    check_data(data, "任务数据")
    human, schema, instance, digest = task_rows.locked(session, task_id)  # the case locked, then the task read
    task_rows.require_known(session, human, actor)
    if not assignment.may_act(human, actor):
        raise NotEntitled(f"用户 {actor.username} 无权办理任务 {task_id}")
    if schema is None and human.form_version is None:
        schema = form_schema(session, human.form_key)
    run = _Run(session, instance, now, actor.username, definition_digest=digest)
    run.catch_up()
    task = run.workflow.get_task_from_id(uuid.UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict(f"任务 {task_id} 已不在待办状态", code="task_closed")
    stored_files = _stored_files(session, schema, data, actor.username, instance.id)
    if schema is not None:
        data, errors = forms.validate(schema, data, stored_files.__contains__, current=steps.form_data(task), now=now)
        if errors:
            raise FormInvalid(human.task_name, errors)
    # Task ids are new in a replay: of several ready instances of one step (multi-instance), the
    # record names which one by its place in the task tree, the same in every run.
    ordinal: dict[str, int] = {}
    if sum(t.state == TaskState.READY and t.task_spec.manual and t.task_spec.bpmn_id == human.task_name
           for t in projections.every_task(run.workflow)) > 1:
        twins = [t for t in projections.ready_human_tasks(run.workflow) if t.task_spec.bpmn_id == human.task_name]
        if len(twins) > 1:
            ordinal["ordinal"] = twins.index(task)

    automatic = claims.automatic_steps(run.definition)
    ready_before = {t.id for t in projections.ready_human_tasks(run.workflow)} if automatic else set()
    path = run.advance(steps.submit(task, data))
    evidence = _link_files(session, schema=schema, data=data, instance_id=instance.id, task_name=human.task_name,
                           now=now, stored_files=stored_files)
    run.record("task_completed", task_id, human.task_name, {"data": data, "path": path, **evidence, **ordinal})
    if automatic:
        new_steps = [t for t in projections.ready_human_tasks(run.workflow) if t.id not in ready_before]
        for step in claims.automatic(run.definition, new_steps, actor, instance.started_by, run.known_organisations):
            # Recorded as a claim, so the history says who holds it and the audit finds the row as recorded.
            run.record("task_claimed", str(step.id), step.task_spec.bpmn_id,
                       {"assignee": actor.username, "automatic": True})
            run.claimed[str(step.id)] = actor.username
    return run.save()


def _lane_units(run: _Run, lanes: Any, data: dict[str, Any]) -> set[str | None]:
    return {assignment.resolve(run.definition, lane, data, run.instance.started_by,
                               run.known_organisations).organisation for lane in lanes}


def deliver_message(session: Session, *, instance_id: str, name: str, payload: dict[str, Any], actor: Actor,
                    now: datetime) -> Instance:
    """Deliver a named message to an instance that is waiting for it."""
    check_data(payload, "消息内容")
    instance, digest = _lock_instance(session, instance_id)
    run = _Run(session, instance, now, actor.username, definition_digest=digest)
    run.catch_up()
    lane, data = messages.sender_lane(run.workflow, name) or (None, instance_data(run.workflow))  # its sender's
    if not (actor.is_admin or (lane is None and actor.username == instance.started_by) or (actor.organisation and (
            actor.organisation in _lane_units(run, [lane] if lane else run.definition.lanes, data)))):
        raise NotEntitled(f"用户 {actor.username} 不能发送办件 {instance_id} 的消息 {name} ({lane or '非参与单位'})")
    matching = messages.awaiting(run.workflow, name)
    key = projections.form_key(matching[0].task_spec) if matching else None
    schema = form_schema(session, key, run.definition.form_versions.get(key) if key else None)
    stored_files = _stored_files(session, schema, payload, actor.username, instance_id)
    if schema is not None:
        payload, errors = forms.validate(schema, payload, stored_files.__contains__)
        if errors:
            raise FormInvalid(name, errors)
    event = messages.event_for(run.workflow, name, payload)
    path = run.advance(lambda: run.workflow.catch(event))
    evidence = _link_files(session, schema=schema, data=payload, instance_id=instance_id, task_name=name, now=now,
                           stored_files=stored_files)
    run.record("message_received", None, name, {"payload": payload, "path": path, **evidence})
    return run.save()


class Fired(NamedTuple):
    timers: list[str]  # timer elements that fired
    reminders: list[str]  # steps whose unit got a 催办 reminder


def _send_reminders(run: _Run) -> list[str]:
    """催办: tell the unit on the last working day before its step falls due."""
    # Read by the instance's index and filtered here: a condition on kind and due_at would lead SQLite to the
    # tick's (kind, due_at) index, through every due reminder of every case.
    due = [t for t in run.session.scalars(select(Timer).where(Timer.instance_id == run.instance.id))
           if t.kind == "reminder" and t.due_at < run.now]
    sent = []
    for timer in due:
        human = run.session.get(HumanTask, timer.id.removeprefix(projections.REMINDER_PREFIX))
        if human is None or human.reminded_at is not None or human.due_at is None:
            continue
        human.reminded_at = run.now
        run.stored_rows = None  # changed here: the save reads the rows afresh
        if human.due_at <= run.now:
            continue  # already overdue: the deadline's own escalation speaks now
        recipient = human.organisation or human.group_name or human.assignee or "admin"
        body = f"办件「{run.instance.title}」的环节「{human.title}」将于 {local_iso(human.due_at)} 到期，请抓紧办理。"
        run.session.add(Notification(organisation=recipient, instance_id=run.instance.id,
                                     title=f"催办：{human.title}", body=body, created_at=run.now))
        run.record("reminder_sent", human.id, human.task_name,
                   {"to": recipient, "due_at": local_iso(human.due_at), "remind_at": local_iso(timer.due_at)})
        sent.append(human.task_name)
    return sent


def fire_timers(session: Session, instance_id: str, now: datetime) -> Fired | None:
    """Fire what is due on one instance, or return None when another worker holds the instance
    (that worker fires them; never both)."""
    found = instance_rows.locked(session, instance_id, skip_locked=True)
    if found is None:
        return None if session.get(Instance, instance_id) is not None else Fired([], [])
    instance, digest = found
    if instance.status == "error":
        raise Conflict(f"实例 {instance_id} 处于出错状态 (环节 {instance.error_task}: {instance.error_message})，"
                       "管理员重试后定时器再触发")
    if instance.status != "running":
        return Fired([], [])
    run = _Run(session, instance, now, "system", definition_digest=digest)
    reminders = _send_reminders(run)
    fired = run.catch_up()
    if run.over_limit is not None:  # rolled back: the tick lists it as an incident and retries with backoff
        raise run.over_limit
    run.save()
    return Fired(fired, reminders)


def retry(session: Session, instance_id: str, actor: Actor, now: datetime) -> Instance:
    """Run the failed steps of an instance in the error state again."""
    if not actor.is_admin:
        raise NotEntitled("只有管理员可以重试出错的实例")
    instance, digest = _lock_instance(session, instance_id)
    if instance.status != "error":
        raise Conflict(f"实例 {instance_id} 不在出错状态 (当前: {instance.status})")
    run = _Run(session, instance, now, actor.username, definition_digest=digest)
    run.catch_up()
    failed = run.workflow.get_tasks(state=TaskState.ERROR)
    names = [t.task_spec.bpmn_id for t in failed]
    path = run.advance(steps.retry(failed))
    run.record("retried", None, ",".join(names), {"tasks": names, "path": path})
    run.save()
    # Timers held back while the instance was in error fire at the next tick.
    session.execute(update(Timer).where(Timer.instance_id == instance_id)
                    .values(attempts=0, next_attempt_at=None, last_error=None))
    return instance


def cancel(session: Session, instance_id: str, actor: Actor, now: datetime, reason: str) -> Instance:
    """Withdraw a case: every open step is cancelled and nothing more runs."""
    if not actor.is_admin:
        raise NotEntitled("只有管理员可以撤销实例")
    instance, digest = _lock_instance(session, instance_id)
    if instance.status in ("completed", "cancelled"):
        raise Conflict(f"实例 {instance_id} 已{'办结' if instance.status == 'completed' else '撤销'}")
    run = _Run(session, instance, now, actor.username, definition_digest=digest)
    run.catch_up()
    run.workflow.cancel()
    run.record("instance_cancelled", None, None, {"reason": reason})
    run.save()
    instance.status = "cancelled"
    return instance
