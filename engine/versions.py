"""The deployed versions of each process as stored: to list them and to pick the one a command runs on.

Kept apart from `definitions` (which parses and checks diagrams) so that listing them imports no parser."""
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.store import direct
from engine.store.models import Definition, Instance
from engine.timing.clock import local_iso

_DEFINITIONS = Definition.__table__
# Built once: every start reads it. Without the XML, which the loaded (cached) definition holds.
_NEWEST = (select(_DEFINITIONS.c.id, _DEFINITIONS.c.process_id, _DEFINITIONS.c.version, _DEFINITIONS.c.sha256)
           .where(_DEFINITIONS.c.process_id == bindparam("process_id"))
           .order_by(_DEFINITIONS.c.version.desc()).limit(1))


class Version(NamedTuple):
    id: int
    process_id: str
    version: int
    sha256: str


def latest_version(session: Session, process_id: str) -> Version:
    """The newest deployed version of a process."""
    found = direct.rows(session, _NEWEST, {"process_id": process_id})
    if not found:
        known = ", ".join(session.scalars(select(Definition.process_id).distinct().order_by(Definition.process_id)))
        raise NotFound(f"流程 {process_id} 未部署 (已部署: {known or '无'})", what="process", key=process_id)
    return Version(*found[0])


def latest_definition(session: Session, process_id: str) -> Definition:
    return session.get_one(Definition, latest_version(session, process_id).id)


def process_summaries(session: Session) -> list[dict[str, Any]]:
    """Each deployed process with its newest version, for listings."""
    newest = (select(Definition.process_id, func.max(Definition.version).label("v"))
              .group_by(Definition.process_id).subquery())
    rows = session.scalars(select(Definition).join(
        newest, (Definition.process_id == newest.c.process_id) & (Definition.version == newest.c.v))
        .order_by(Definition.process_id))
    return [{"process_id": r.process_id, "name": r.name, "version": r.version, "sha256": r.sha256,
             "deployed_at": r.deployed_at.isoformat(), "deployed_by": r.deployed_by} for r in rows]


def of_process(session: Session, process_id: str) -> list[dict[str, Any]]:
    """Every deployed version of a process, newest first, with its running and finished instance counts."""
    counts: dict[int, dict[str, int]] = {}
    for definition_id, status, count in session.execute(
            select(Instance.definition_id, Instance.status, func.count()).where(Instance.process_id == process_id)
            .group_by(Instance.definition_id, Instance.status)):
        bucket = counts.setdefault(definition_id, {"running": 0, "finished": 0})
        bucket["running" if status in ("running", "error") else "finished"] += count
    rows = session.scalars(select(Definition).where(Definition.process_id == process_id)
                           .order_by(Definition.version.desc()))
    return [{"version": r.version, "name": r.name, "filename": r.filename, "sha256": r.sha256,
             "deployed_at": local_iso(r.deployed_at), "deployed_by": r.deployed_by,
             "form_versions": r.form_versions, **counts.get(r.id, {"running": 0, "finished": 0})} for r in rows]


def version_row(session: Session, process_id: str, version: int | None = None) -> Definition:
    """One deployed version (the newest when none is named)."""
    if version is None:
        return latest_definition(session, process_id)
    row = session.scalars(select(Definition).where(Definition.process_id == process_id,
                                                   Definition.version == version)).first()
    if row is None:
        raise NotFound(f"流程 {process_id} 没有版本 v{version}", what="process", key=process_id)
    return row


def called_processes(session: Session) -> set[str]:
    """Processes the newest version of another process calls (call activities): such a process is started by
    its caller, which hands it the data its lanes need, never by hand."""
    newest = (select(Definition.process_id, func.max(Definition.version).label("v"))
              .group_by(Definition.process_id).subquery())
    called_ids = {dep for deps in session.scalars(select(Definition.dependencies).join(
        newest, (Definition.process_id == newest.c.process_id) & (Definition.version == newest.c.v)))
        for dep in deps or []}
    if not called_ids:
        return set()
    return set(session.scalars(select(Definition.process_id).where(Definition.id.in_(called_ids))))
