"""The outbox to the credit-information sharing platform (L§14, X-A8 三): records wait in a table and
are collected as an export file the platform picks up; each record is exported once."""
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.timing.clock import local_iso
from handlers.registers.models import CreditRecord


def share(session: Session, *, instance_id: str, kind: str, subject: str, payload: dict[str, Any],
          now: datetime) -> CreditRecord:
    if not subject.strip():
        raise InvalidInput("信用记录缺少主体")
    row = CreditRecord(kind=kind, subject=subject[:300], payload=payload, instance_id=instance_id, created_at=now)
    session.add(row)
    session.flush()
    return row


def pending(session: Session) -> list[CreditRecord]:
    return list(session.scalars(select(CreditRecord).where(CreditRecord.exported_at.is_(None))
                                .order_by(CreditRecord.id)))


def export(session: Session, directory: Path, now: datetime) -> tuple[Path | None, int]:
    """Write the records not yet collected to one JSON Lines file in `directory`; returns the file and count."""
    rows = pending(session)
    if not rows:
        return None, 0
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"credit-{now.strftime('%Y%m%dT%H%M%S')}-{rows[0].id}-{rows[-1].id}.jsonl"
    lines = [json.dumps({"id": r.id, "kind": r.kind, "subject": r.subject, "payload": r.payload,
                         "case": r.instance_id, "created_at": local_iso(r.created_at)}, ensure_ascii=False)
             for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for row in rows:
        row.exported_at, row.export_file = now, path.name
    return path, len(rows)
