"""Whether a case's stored record still matches its hashes: the event chain and the evidence files.

The audit's replay builds on these; the archive's periodic security check (L§13(六)) runs them alone."""
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import history
from engine.store.models import Event, Instance, StoredFile


@dataclass(frozen=True)
class Failure:
    instance_id: str
    seq: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "seq": self.seq, "reason": self.reason}


def check_chain(instance: Instance, events: list[Event]) -> Failure | None:
    """Every event's hash covers the previous hash and its own content; the head is on the instance."""
    previous, expected = history.GENESIS, 1
    for event in events:
        if event.seq != expected:
            reason = (f"缺少第 {expected} 号事件（被删除）" if event.seq > expected
                      else f"第 {event.seq} 号事件重复")
            return Failure(instance.id, expected, reason)
        if event.prev_hash != previous:
            return Failure(instance.id, event.seq, "事件与前一事件的哈希链接不符（事件被删除、插入或调换了顺序）")
        digest = history.event_hash(event.prev_hash, instance.id, event.seq, event.at, event.actor, event.kind,
                                    event.task_id, event.task_name, event.data)
        if digest != event.hash:
            return Failure(instance.id, event.seq, "事件内容与其哈希不符（被修改）")
        previous, expected = event.hash, expected + 1
    if instance.event_seq != len(events) or instance.event_hash != previous:
        return Failure(instance.id, len(events) + 1, "记录末尾与办件登记的链尾不符（末尾事件被删除）")
    return None


def check_evidence(session: Session, instance: Instance, events: list[Event]) -> Failure | None:
    """Each evidence file an event names still has the SHA-256 the event recorded."""
    for event in events:
        for file_id, digest in (event.data.get("files") or {}).items():
            row = session.get(StoredFile, file_id)
            if row is None:
                return Failure(instance.id, event.seq, f"证明材料 {file_id} 已不存在")
            if hashlib.sha256(row.content).hexdigest() != digest or row.sha256 != digest:
                return Failure(instance.id, event.seq, f"证明材料 {row.filename} 的内容与记录的 SHA-256 不符")
    return None


def events_of(session: Session, instance_id: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq, Event.id)))

