"""What a service-task operator may touch, and nothing else: the command's session and clock, who acts, the
case (its id, title, step and data), and the case's effects on the world (notifications, escalations, an
extended deadline, a child case, a message to another case).

The runtime builds it for a command with `LiveEffects`; the audit replay builds the same object with effects
that change only the workflow being replayed, so an operator meets one typed interface in both. The registers
an operator writes (handlers/registers) take this context and the session it carries."""
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine import projections
from engine.errors import ZhunruError
from engine.people import directory, regions
from engine.store import direct
from engine.store.models import Escalation, Instance, Notification, Organisation, Timer
from engine.timing.clock import local_iso

Event = tuple[str, str | None, dict[str, Any]]  # kind, step, data: what the case's history records


class CaseEffects(Protocol):
    """What an operator does beyond reading: a command performs it, a replay re-does only its effect on the
    workflow (the record answers for the rest)."""

    def notify(self, organisation: str, title: str, body: str) -> None: ...

    def escalate(self, step: str, overdue_unit: str | None, reported_to: str) -> int: ...

    def extend_deadline(self, step: str, new_due: datetime, approved_by: str | None,
                        variable: str | None) -> dict[str, Any]: ...

    def start_case(self, process_id: str, data: dict[str, Any]) -> str: ...

    def deliver(self, case_id: str, name: str, payload: dict[str, Any]) -> str | None: ...


@dataclass(frozen=True, kw_only=True)
class RegisterWrite:
    """A write to a register made while replaying, for the register's own check against what it keeps."""

    register: str
    key: str
    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class OperatorContext:
    session: Session
    now: datetime
    actor: str
    case_id: str
    case_title: str
    step: str
    data: Mapping[str, Any]
    effects: CaseEffects
    known_organisations: Container[str]
    specs: tuple[Mapping[str, Any], ...]  # the step's own process first, then the case's
    replay_writes: list[RegisterWrite] | None = None  # set while replaying: registers note here, never write

    @property
    def replaying(self) -> bool:
        return self.replay_writes is not None

    def notify(self, organisation: str, title: str, body: str) -> None:
        self.effects.notify(organisation, title, body)

    def escalate(self, step: str, overdue_unit: str | None, reported_to: str) -> int:
        return self.effects.escalate(step, overdue_unit, reported_to)

    def extend_deadline(self, step: str, new_due: datetime, approved_by: str | None,
                        variable: str | None = None) -> dict[str, Any]:
        return self.effects.extend_deadline(step, new_due, approved_by, variable)

    def start_case(self, process_id: str, data: dict[str, Any]) -> str:
        """Start another case in this command's transaction (e.g. register a closed clue in the archive)."""
        return self.effects.start_case(process_id, data)

    def deliver(self, case_id: str, name: str, payload: dict[str, Any]) -> str | None:
        """Deliver a message to another case; None when delivered, else why not (nothing of it is kept)."""
        return self.effects.deliver(case_id, name, payload)

    def organisation_exists(self, code: str) -> bool:
        return code in self.known_organisations

    def unit_name(self, code: str | None) -> str | None:
        """An organisation's name, for texts people read (never its code)."""
        if code is None:
            return None
        return self.session.scalar(select(Organisation.name).where(Organisation.code == code)) or code

    def step_title(self, step: str) -> str:
        """A step's name in its diagram (the process of this step, else the case's own)."""
        spec = next((specs[step] for specs in self.specs if step in specs), None)
        return projections.task_title(spec) if spec is not None else step

    def units(self, under: str, kind: str | None = None) -> list[str]:
        """The organisations below `under` (not itself), optionally of one kind, in code order."""
        below = directory.subtree(self.session, under) - {under}
        query = select(Organisation.code).where(Organisation.code.in_(below))
        if kind:
            query = query.where(Organisation.kind == kind)
        return sorted(self.session.scalars(query))

    def region(self, of: str, lead_function: str, also: tuple[str, ...] = ()) -> dict[str, Any]:
        return regions.units(self.session, of, lead_function, also)

    def unit_choices(self, of: str) -> list[dict[str, str]]:
        """The unit and every organisation below it, by name, as form options."""
        names = directory.names(self.session)
        below = sorted(directory.subtree(self.session, of) - {of})
        return [{"label": names.get(code, code), "value": code} for code in [of, *below] if code in names]

    def open_case_with_subject(self, process_id: str, subject_key: str) -> str | None:
        """The oldest running case of the process about the same subject, other than this one."""
        return self.session.scalars(
            select(Instance.id).where(Instance.process_id == process_id, Instance.subject_key == subject_key,
                                      Instance.status == "running", Instance.id != self.case_id)
            .order_by(Instance.started_at)).first()


_NOTIFY = insert(Notification.__table__)  # built once: most steps notify a unit


@dataclass(kw_only=True)
class LiveEffects:
    """A command's effects, in its transaction; the history events they make wait in `events` until the
    operator has succeeded."""

    session: Session
    now: datetime
    actor: str
    case_id: str
    workflow: BpmnWorkflow
    start: Callable[[str, dict[str, Any]], str]
    send: Callable[..., Any]  # runtime.deliver_message
    events: list[Event] = field(default_factory=list)

    def notify(self, organisation: str, title: str, body: str) -> None:
        direct.execute(self.session, _NOTIFY, {"organisation": organisation, "instance_id": self.case_id,
                                               "title": title, "body": body, "created_at": self.now})

    def escalate(self, step: str, overdue_unit: str | None, reported_to: str) -> int:
        due = next((t.due_at for t in self.session.scalars(
            select(Timer).where(Timer.instance_id == self.case_id, Timer.attached_to == step))), None)
        row = Escalation(instance_id=self.case_id, step=step, overdue_unit=overdue_unit,
                         reported_to=reported_to, due_at=due, escalated_at=self.now)
        self.session.add(row)
        self.session.flush()
        self.events.append(("escalated", step, {"overdue_unit": overdue_unit, "reported_to": reported_to,
                                                "due_at": local_iso(due) if due else None}))
        return row.id

    def extend_deadline(self, step: str, new_due: datetime, approved_by: str | None,
                        variable: str | None) -> dict[str, Any]:
        moved = projections.move_deadline(self.workflow, step, new_due, variable)
        self.events.append(("deadline_extended", step, {
            "timers": moved, "approved_by": approved_by, "approver": self.actor}))
        return {"task": step, "new_due": local_iso(new_due), "moved": len(moved)}

    def start_case(self, process_id: str, data: dict[str, Any]) -> str:
        return self.start(process_id, data)

    def deliver(self, case_id: str, name: str, payload: dict[str, Any]) -> str | None:
        if case_id == self.case_id:
            return "不能向本办件自身发送消息"
        actor = directory.actor_or_none(self.session, self.actor) or directory.SYSTEM
        try:
            with self.session.begin_nested():
                self.send(self.session, instance_id=case_id, name=name, payload=payload, actor=actor, now=self.now)
        except ZhunruError as exc:
            return str(exc)
        return None


@dataclass(kw_only=True)
class ReplayEffects:
    """A replay's effects: an extension moves the replayed workflow's deadline; the rest happened outside the
    case, and the record's answer stands for it."""

    workflow: BpmnWorkflow

    def notify(self, organisation: str, title: str, body: str) -> None:
        return None

    def escalate(self, step: str, overdue_unit: str | None, reported_to: str) -> int:
        return 0

    def extend_deadline(self, step: str, new_due: datetime, approved_by: str | None,
                        variable: str | None) -> dict[str, Any]:
        projections.move_deadline(self.workflow, step, new_due, variable)
        return {}

    def start_case(self, process_id: str, data: dict[str, Any]) -> str:
        return ""

    def deliver(self, case_id: str, name: str, payload: dict[str, Any]) -> str | None:
        return None


class AnyOrganisation:
    """Whether an organisation existed then is the record's answer, not today's tree."""

    def __contains__(self, code: object) -> bool:
        return True
