"""What a service-task handler may touch: the clock, the case, the outbox and the records it keeps
(ledgers, archive, notices, credit outbox). Every write joins the command's transaction."""
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from engine import files, projections
from engine.errors import ZhunruError
from engine.people import directory, regions
from engine.store import direct
from engine.store.models import Escalation, Instance, Notification, Organisation, Timer
from engine.timing.clock import local_iso
from handlers.registers import archive, circulars, credit, ledgers, notices

if TYPE_CHECKING:
    from engine.runtime import _Run


_NOTIFY = insert(Notification.__table__)  # built once: most steps notify a unit


class HandlerContext:
    def __init__(self, run: "_Run", task: Any):
        self._run = run
        self._session = run.session
        self.now = run.now
        self.instance_id = run.instance.id
        self.task_name = task.task_spec.bpmn_id
        self.data = dict(task.data)
        self.case_title = run.instance.title
        self._specs = (task.workflow.spec.task_specs, run.workflow.spec.task_specs)
        self.events: list[tuple[str, str | None, dict]] = []

    def organisation_exists(self, code: str) -> bool:
        return code in self._run.known_organisations

    def units(self, under: str, kind: str | None = None) -> list[str]:
        """The organisations below `under` (not itself), optionally of one kind, in code order."""
        below = directory.subtree(self._session, under) - {under}
        query = select(Organisation.code).where(Organisation.code.in_(below))
        if kind:
            query = query.where(Organisation.kind == kind)
        return sorted(self._session.scalars(query))

    def unit_name(self, code: str | None) -> str | None:
        """An organisation's name, for texts people read (never its code)."""
        if code is None:
            return None
        return self._session.scalar(select(Organisation.name).where(Organisation.code == code)) or code

    def step_title(self, step: str) -> str:
        """A step's name in its diagram (the process of this service task, else the case's own)."""
        spec = next((specs[step] for specs in self._specs if step in specs), None)
        return projections.task_title(spec) if spec is not None else step

    def region(self, of: str, lead_function: str, also: tuple[str, ...] = ()) -> dict[str, Any]:
        return regions.units(self._session, of, lead_function, also)

    def notify(self, organisation: str, title: str, body: str) -> None:
        direct.execute(self._session, _NOTIFY, {"organisation": organisation, "instance_id": self.instance_id,
                                        "title": title, "body": body, "created_at": self.now})

    def escalate(self, step: str, overdue_unit: str | None, reported_to: str) -> int:
        due = next((t.due_at for t in self._session.scalars(
            select(Timer).where(Timer.instance_id == self.instance_id, Timer.attached_to == step))), None)
        row = Escalation(instance_id=self.instance_id, step=step, overdue_unit=overdue_unit,
                         reported_to=reported_to, due_at=due, escalated_at=self.now)
        self._session.add(row)
        self._session.flush()
        self.events.append(("escalated", step, {"overdue_unit": overdue_unit, "reported_to": reported_to,
                                                "due_at": local_iso(due) if due else None}))
        return row.id

    def extend_deadline(self, task_name: str, new_due: datetime, approved_by: str | None,
                        variable: str | None = None) -> dict:
        moved = projections.move_deadline(self._run.workflow, task_name, new_due, variable)
        self.events.append(("deadline_extended", task_name, {
            "timers": moved, "approved_by": approved_by, "approver": self._run.actor}))
        return {"task": task_name, "new_due": local_iso(new_due), "moved": len(moved)}

    def unit_choices(self, of: str) -> list[dict[str, str]]:
        """The unit and every organisation below it, by name, as form options (whom a competent unit designates
        as responsible: itself or one of its own)."""
        names = directory.names(self._session)
        below = sorted(directory.subtree(self._session, of) - {of})
        return [{"label": names.get(code, code), "value": code} for code in [of, *below] if code in names]

    def publish_circular(self, region: str, issuer: str, title: str, body: str) -> dict[str, Any]:
        circular = circulars.issue(self._session, self.instance_id, region, issuer, title, body, self._run.actor,
                                   self.now)
        return {"circular_id": circular.id, "issue": circulars.issue_text(circular)}

    def record_ledger(self, ledger: str, item_key: str, **values: Any) -> int:
        return ledgers.record(self._session, self.instance_id, ledger, item_key, self.now, **values).id

    def allocate_number(self, prefix: str) -> str:
        return archive.allocate(self._session, self.now.year, prefix)

    def register_archive(self, archive_no: str, values: dict[str, Any]) -> str:
        return archive.register(self._session, self.instance_id, archive_no, values, self._run.actor,
                                self.now).archive_no

    def archive_choices(self, limit: int, prefix: str | None = None) -> list[dict[str, str]]:
        return archive.choices(self._session, limit, prefix)

    def check_archive(self, prefix: str | None = None) -> dict[str, Any]:
        return archive.security_check(self._session, prefix)

    def mark_archive_reviewed(self, archive_no: str) -> None:
        archive.mark_reviewed(self._session, archive_no, self.now)

    def publish_notice(self, title: str, cases: list[dict[str, Any]], issuer: str | None = None) -> dict[str, Any]:
        notice = notices.publish(self._session, self.instance_id, title, cases, self._run.actor, self.now, issuer)
        return {"notice_id": notice.id, "issue": notices.issue_text(notice)}

    def share_credit(self, kind: str, subject: str, payload: dict[str, Any]) -> int:
        return credit.share(self._session, self.instance_id, kind, subject, payload, self.now).id

    def export_ledger(self, ledger: str, item_prefix: str | None) -> str:
        """The ledger's rows of this case (or whose item key starts with the prefix) as an .xlsx file
        linked to the case; returns the file id."""
        rows = ledgers.items(self._session, ledger, case=self.instance_id, key_prefix=item_prefix)
        content = ledgers.workbook(ledger, rows, directory.names(self._session), self.now)
        stored = files.store(self._session, f"{ledgers.LEDGERS[ledger]}-{self.now:%Y%m%d}.xlsx", content,
                             self._run.actor, self.now)
        files.link(self._session, [stored.id], self.instance_id, self.task_name, self.now)
        return stored.id

    def start_process(self, process_id: str, data: dict[str, Any]) -> str:
        """Start another case (e.g. register a closed clue in the archive); it starts in this transaction."""
        return self._run.start_child(process_id, data)

    def open_case_with_subject(self, process_id: str, subject_key: str) -> str | None:
        """The oldest running case of the process about the same subject, other than this one."""
        return self._session.scalars(
            select(Instance.id).where(Instance.process_id == process_id, Instance.subject_key == subject_key,
                                      Instance.status == "running", Instance.id != self.instance_id)
            .order_by(Instance.started_at)).first()

    def deliver(self, instance_id: str, name: str, payload: dict[str, Any]) -> str | None:
        """Deliver a message to another case in this command's transaction, as this command's user; None when
        delivered, else why not (that case does not wait for it, e.g. it runs a version without it), and then
        nothing of it is kept."""
        from engine import runtime  # runtime builds this context

        if instance_id == self.instance_id:
            return "不能向本办件自身发送消息"
        actor = directory.actor_or_none(self._session, self._run.actor) or directory.SYSTEM
        try:
            with self._session.begin_nested():
                runtime.deliver_message(self._session, instance_id, name, payload, actor, self.now)
        except ZhunruError as exc:
            return str(exc)
        return None
