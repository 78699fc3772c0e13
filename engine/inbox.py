"""Notifications as people read them. A notification is addressed to a unit (or a group, or one person); each
of the unit's people reads it on their own, so whether it is read is kept per person (notification_read)."""
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, not_, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.people import access
from engine.people.directory import Actor
from engine.store.db import conflict_insert
from engine.store.models import Instance, Notification, NotificationRead
from engine.timing.clock import local_iso

BADGE_CAP = 100  # the header shows "99+" beyond; counting stops there, so a long-unread unit costs no more


def addressees(actor: Actor) -> tuple[str, ...]:
    """The codes a notification names to reach this person: their unit, their groups, themselves. Another
    system's account reads none."""
    if actor.is_platform:
        return ()
    return tuple(dict.fromkeys(c for c in (actor.organisation, actor.username, *actor.roles) if c))


def _read_by(username: str) -> ColumnElement[bool]:
    return exists().where(NotificationRead.notification_id == Notification.id, NotificationRead.username == username)


def unread_count(session: Session, actor: Actor) -> int:
    """How many notifications addressed to the person they have not read, up to BADGE_CAP: one index range of
    their unit's notifications, each looked up in the reads by primary key."""
    codes = addressees(actor)
    if not codes:
        return 0
    unread = (select(Notification.id).where(Notification.organisation.in_(codes), not_(_read_by(actor.username)))
              .limit(BADGE_CAP))
    return session.scalar(select(func.count()).select_from(unread.subquery())) or 0


def page(session: Session, actor: Actor, page_number: int = 1, per_page: int = 20) -> dict[str, Any]:
    """One page of the person's notifications, unread first, newest first within each; each says whether the
    person may open its case."""
    if page_number < 1 or not 1 <= per_page <= 1000:
        raise InvalidInput("page 从 1 开始，per_page 介于 1 与 1000 之间")
    codes = addressees(actor)
    if not codes:
        return {"items": [], "total": 0, "unread": 0, "page": page_number, "per_page": per_page}
    mine = Notification.organisation.in_(codes)
    total = session.scalar(select(func.count()).select_from(Notification).where(mine)) or 0
    read = _read_by(actor.username)
    rows = session.execute(
        select(Notification, read.label("read"), Instance.title)
        .outerjoin(Instance, Instance.id == Notification.instance_id).where(mine)
        .order_by(read, Notification.id.desc())
        .offset((page_number - 1) * per_page).limit(per_page)).all()
    cases = {n.instance_id for n, _, _ in rows if n.instance_id}
    visible = set(session.scalars(select(Instance.id).where(
        Instance.id.in_(cases), access.visible(actor, access.jurisdiction(session, actor))))) if cases else set()
    items = [{"id": n.id, "title": n.title, "body": n.body, "created_at": local_iso(n.created_at),
              "instance_id": n.instance_id, "case_title": title, "read": bool(was_read),
              "case_visible": n.instance_id in visible} for n, was_read, title in rows]
    return {"items": items, "total": total, "unread": unread_count(session, actor), "page": page_number,
            "per_page": per_page}


def open_notification(session: Session, actor: Actor, notification_id: int, now: datetime) -> Notification:
    """The notification, marked read by this person; one addressed to someone else answers as a missing one."""
    row = session.get(Notification, notification_id)
    if row is None or row.organisation not in addressees(actor):
        raise NotFound(f"消息 {notification_id} 不存在或不是发给你的", what="notification", key=notification_id)
    session.execute(conflict_insert(session, NotificationRead.__table__)
                    .values(username=actor.username, notification_id=row.id, read_at=now)
                    .on_conflict_do_nothing())
    return row


def mark_all_read(session: Session, actor: Actor, now: datetime) -> None:
    """Mark every notification addressed to the person read."""
    codes = addressees(actor)
    if not codes:
        return
    unread = select(literal(actor.username), Notification.id, literal(now, NotificationRead.read_at.type)).where(
        Notification.organisation.in_(codes), not_(_read_by(actor.username)))
    session.execute(conflict_insert(session, NotificationRead.__table__)
                    .from_select(["username", "notification_id", "read_at"], unread)
                    .on_conflict_do_nothing())  # another tab marking at the same moment
