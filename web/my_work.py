"""What is mine: the confirmation after a submission (with the next step offered to its submitter when it falls
to their own unit), 已办 (the steps I completed), 消息 (my unit's notifications, read per person) and the
printable 办理单 of a case."""
import math
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import inbox, queries
from engine.people import access, assignment, directory
from engine.people.directory import Actor
from engine.store.models import HumanTask, Instance, Organisation, User
from engine.timing.clock import deadline_text, local_iso, system_now

from .auth import current_actor, login_required
from .db import transaction
from .describe import describe_history

bp = Blueprint("my_work", __name__)
PER_PAGE = 20
MAX_PAGE = 100000  # as the task list's


def _page_arg() -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", 1))))
    except ValueError:
        return 1


def _holder(row: HumanTask, actor: Actor, names: dict[str, str]) -> str:
    if row.assignee == actor.username:
        return "你"
    code = row.assignee or row.organisation or row.group_name or ""
    return names.get(code, code)


def _step_text(row: HumanTask, actor: Actor, names: dict[str, str]) -> str:
    due = f"，期限 {deadline_text(local_iso(row.due_at))}" if row.due_at else ""
    return f"「{row.title}」由 {_holder(row, actor, names)} 办理{due}"


def _names(db: Session, rows: list[HumanTask]) -> dict[str, str]:
    """Units and the people holding the rows by name; read in the command's transaction (the pages' cached
    names would open a second one, which SQLite makes wait for this one)."""
    people = {row.assignee for row in rows if row.assignee}
    return {**directory.names(db), **dict(db.execute(select(User.username, User.display_name)
                                                     .where(User.username.in_(people))).all())}


def confirm(db: Session, actor: Actor, instance: Instance, done: str, before: set[str]) -> None:
    """Tell the submitter what happened and what comes next, from the case's task rows after the command
    (`before`: the ids of its rows before it); each new step that falls to their own unit or group is offered
    to them with one click (认领并办理)."""
    rows = list(db.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                           .order_by(HumanTask.created_at, HumanTask.id)))
    new = [row for row in rows if row.id not in before]
    names = _names(db, rows)
    if new:
        text = "下一步：" + "；".join(_step_text(row, actor, names) for row in new)
    elif instance.status == "completed":
        text = "办件已办结"
    elif instance.status == "error":
        text = "后续自动环节出错，已记录，由管理员处理后继续"
    elif rows:
        text = "其余在办：" + "；".join(_step_text(row, actor, names) for row in rows)
    else:
        text = "目前没有待办环节，办件等待后续事项（期限届满或来文）"
    offers = [{"task_id": row.id, "title": row.title} for row in new if assignment.falls_to(row, actor)]
    flash({"text": f"{done}。{text}", "offers": offers, "case": instance.id}, "submitted")


def unread_notifications() -> int:
    """The header's badge: the signed-in person's unread notifications (read once per request)."""
    if "unread_notifications" not in g:
        actor = current_actor()
        g.unread_notifications = 0
        if actor is not None:
            with transaction() as db:
                g.unread_notifications = inbox.unread_count(db, actor)
    return g.unread_notifications


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


@bp.get("/done")
@login_required
def done_list():
    words = (request.args.get("q") or "").strip()[:100]
    with transaction() as db:
        result = queries.completed_by(db, current_actor(), words, _page_arg(), PER_PAGE)
    return render_template("done.html", result=result, q=words, pages=_pages(result["total"]))


@bp.get("/notifications")
@login_required
def notification_list():
    with transaction() as db:
        result = inbox.page(db, current_actor(), _page_arg(), PER_PAGE)
    return render_template("notifications.html", result=result, pages=_pages(result["total"]))


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Opening a notification marks it read (for this person only) and leads to its case."""
    actor = current_actor()
    with transaction() as db:
        row = inbox.open_notification(db, actor, notification_id, system_now())
        case = row.instance_id and db.scalar(select(Instance.id).where(
            Instance.id == row.instance_id, access.visible(actor, access.jurisdiction(db, actor))))
    if case:
        return redirect(url_for("pages.case_page", instance_id=case))
    return redirect(url_for("my_work.notification_list", _anchor=f"notification-{notification_id}"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    with transaction() as db:
        inbox.mark_all_read(db, current_actor(), system_now())
    return redirect(url_for("my_work.notification_list"))


SHEET_STEPS = ("instance_started", "task_completed", "message_received")
SHEET_DEADLINES = ("timer_fired", "deadline_extended", "deadline_recounted", "escalated", "reminder_sent")


def _sheet_step(event: dict[str, Any], deadlines: dict[str, str], units: dict[str, str]) -> dict[str, Any]:
    due = deadlines.get(event.get("task_id") or "")
    late = due is not None and datetime.fromisoformat(event["at"]) > datetime.fromisoformat(due)
    return {**event, "unit": units.get(event["actor"]), "due_at": due, "late": late}


@bp.get("/cases/<instance_id>/sheet")
@login_required
def case_sheet(instance_id: str):
    """The 办理单: the case's steps in order with who did them, their opinions and deadlines, and its evidence,
    on a page that prints."""
    actor = current_actor()
    now = system_now()
    with transaction() as db:
        access.require_instance(db, actor, instance_id)
        case = queries.instance_view(db, instance_id, now, actor)
        history = describe_history(db, queries.history_view(db, instance_id, actor))
        deadlines = queries.step_deadlines(db, instance_id)
        units = dict(db.execute(select(User.username, Organisation.code)
                                .join(Organisation, Organisation.id == User.organisation_id)).all())
    steps = [_sheet_step(e, deadlines, units) for e in history if e["kind"] in SHEET_STEPS]
    lapses = [e for e in history if e["kind"] in SHEET_DEADLINES]
    return render_template("case_sheet.html", case=case, steps=steps, lapses=lapses, printed_at=local_iso(now))
