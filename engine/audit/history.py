"""Append-only, hash-chained history of every instance."""
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.store import direct
from engine.store.models import Event, Instance

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, instance_id: str, seq: int, at: datetime, actor: str, kind: str,
               task_id: str | None, task_name: str | None, data: dict[str, Any]) -> str:
    """The hash covers the previous hash and the event's canonical content."""
    content = canonical({"instance_id": instance_id, "seq": seq, "at": at.astimezone(UTC).isoformat(),
                         "actor": actor, "kind": kind, "task_id": task_id, "task_name": task_name,
                         "data": data})
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def chain(instance_id: str, head: tuple[int, str], kind: str, actor: str, at: datetime,
          task_id: str | None = None, task_name: str | None = None,
          data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The next event's row after `head` (the chain's last seq and hash); its seq and hash are the new head."""
    data = json.loads(canonical(data or {}))
    seq, prev_hash = head[0] + 1, head[1]
    digest = event_hash(prev_hash, instance_id, seq, at, actor, kind, task_id, task_name, data)
    return {"instance_id": instance_id, "seq": seq, "at": at, "actor": actor, "kind": kind, "task_id": task_id,
            "task_name": task_name, "data": data, "prev_hash": prev_hash, "hash": digest}


_INSERT = insert(Event.__table__)


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert chained rows in one statement (a Core insert: it flushes nothing else first)."""
    if rows:
        direct.execute(session, _INSERT, rows)


def append(session: Session, instance: Instance, kind: str, actor: str, at: datetime,
           task_id: str | None = None, task_name: str | None = None,
           data: dict[str, Any] | None = None) -> None:
    """Record one event; the chain head lives on the instance row, which the caller holds locked."""
    row = chain(instance.id, (instance.event_seq, instance.event_hash), kind, actor, at, task_id, task_name, data)
    instance.event_seq, instance.event_hash = row["seq"], row["hash"]
    write(session, [row])


def events(session: Session, instance_id: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))
