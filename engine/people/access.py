"""Who may see a case: its parties (organisations, groups and users that held or did a step)."""
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.people import directory
from engine.people.directory import Actor
from engine.store import direct
from engine.store.db import conflict_insert
from engine.store.models import FileUse, Instance, InstanceParty, StoredFile

ORGANISATION, GROUP, USER = "organisation", "group", "user"


_NOTE: dict[str, Any] = {}  # by dialect, built once: statements built per call cost more than they run


def note(session: Session, instance_id: str, parties: Iterable[tuple[str, str]]) -> None:
    """Remember these parties of the case (idempotent)."""
    wanted = [{"instance_id": instance_id, "kind": kind, "code": code} for kind, code in set(parties) if code]
    if wanted:
        dialect = session.get_bind().dialect.name
        if dialect not in _NOTE:
            _NOTE[dialect] = conflict_insert(session, InstanceParty.__table__).on_conflict_do_nothing()
        direct.execute(session, _NOTE[dialect], wanted)


def jurisdiction(session: Session, actor: Actor) -> frozenset[str]:
    """An auditor sees the cases of their organisation and every organisation below it; so does a leader, who
    answers for what is late there (a government's leader, their whole region)."""
    if ("auditor" in actor.roles or actor.is_leader) and actor.organisation:
        return directory.subtree(session, actor.organisation)
    return frozenset()


def visible(actor: Actor, within: frozenset[str] = frozenset()) -> ColumnElement[bool]:
    """SQL: the instances the actor may see (use with a query over Instance); `within` is an auditor's
    jurisdiction."""
    if actor.is_admin:
        return true()
    mine = [and_(InstanceParty.kind == USER, InstanceParty.code == actor.username)]
    if actor.is_platform:
        return exists().where(InstanceParty.instance_id == Instance.id, *mine)
    if within:
        mine.append(and_(InstanceParty.kind == ORGANISATION, InstanceParty.code.in_(within)))
    if actor.organisation:
        mine.append(and_(InstanceParty.kind == ORGANISATION, InstanceParty.code == actor.organisation))
    if actor.roles:
        mine.append(and_(InstanceParty.kind == GROUP, InstanceParty.code.in_(actor.roles)))
    return exists().where(InstanceParty.instance_id == Instance.id, or_(*mine))


def require_instance(session: Session, actor: Actor, instance_id: str) -> Instance:
    """The instance, if the actor may see it; otherwise the same answer as for one that does not exist."""
    instance = session.scalars(select(Instance).where(Instance.id == instance_id,
                                                      visible(actor, jurisdiction(session, actor)))).first()
    if instance is None:
        raise NotFound(f"办件 {instance_id} 不存在或无权查看", what="instance", key=instance_id)
    return instance


def require_file(session: Session, actor: Actor, file_id: str) -> StoredFile:
    """A file its uploader may fetch, and anyone who may see a case that uses it."""
    row = session.get(StoredFile, file_id)
    if row is not None and (actor.is_admin or row.uploaded_by == actor.username):
        return row
    used_in = select(FileUse.instance_id).where(FileUse.file_id == file_id)
    within = jurisdiction(session, actor)
    if row is not None and session.scalars(select(Instance.id).where(Instance.id.in_(used_in), visible(actor, within))
                                           .limit(1)).first():
        return row
    raise NotFound(f"文件 {file_id} 不存在或无权下载", what="file", key=file_id)
