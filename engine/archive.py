"""The case archive (L§13): registered case materials with an archive number, classified and catalogued."""
import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from handlers import vocabulary

from . import counters, integrity
from .clock import local_iso
from .errors import InvalidInput
from .models import ArchiveEntry, Instance, StoredFile

PREFIX = "LF"  # 临汾: archive numbers read LF-2026-0001
CATEGORIES = vocabulary.CASE_CATEGORIES
IMPORTANCE = vocabulary.CASE_IMPORTANCE


def allocate(session: Session, year: int, prefix: str = PREFIX) -> str:
    """The next archive number of the year; numbers are sequential and never reused."""
    if not prefix.isalnum() or not prefix.isascii() or len(prefix) > 8:
        raise InvalidInput(f"编号前缀 {prefix!r} 只能是 1–8 个字母或数字")
    return f"{prefix}-{year}-{counters.next_number(session, prefix, year):04d}"


def register(session: Session, instance_id: str, archive_no: str, values: dict[str, Any], actor: str,
             now: datetime) -> ArchiveEntry:
    """Enter a case in the catalogue under its number (L§13(四): 标号、登记，并建立档案目录)."""
    category = values.get("category")
    if category not in CATEGORIES:
        raise InvalidInput(f"案例类别 {category!r} 无效 (可选: {', '.join(CATEGORIES)})")
    importance = values.get("importance") or "general"
    if importance not in IMPORTANCE:
        raise InvalidInput(f"重要程度 {importance!r} 无效 (可选: {', '.join(IMPORTANCE)})")
    try:
        case_date = date.fromisoformat(str(values.get("case_date") or now.date().isoformat())[:10])
    except ValueError as exc:
        raise InvalidInput(f"案例时间 {values.get('case_date')!r} 不是有效日期") from exc
    entry = ArchiveEntry(archive_no=archive_no, year=int(archive_no.split("-")[1]), category=category,
                         importance=importance, title=str(values.get("title") or "")[:300],
                         summary=str(values.get("summary") or ""), source_unit=values.get("source_unit"),
                         source_instance=values.get("source_instance"), case_date=case_date,
                         files=list(values.get("files") or []), instance_id=instance_id,
                         registered_at=now, registered_by=actor)
    session.add(entry)
    session.flush()
    return entry


def mark_reviewed(session: Session, archive_no: str, now: datetime) -> None:
    entry = session.get(ArchiveEntry, archive_no)
    if entry is not None:
        entry.reviewed_at = now


def choices(session: Session, limit: int) -> list[dict[str, str]]:
    """The newest archived cases as form choices: number, title and category (to pick cases for a notice)."""
    rows = session.execute(select(ArchiveEntry.archive_no, ArchiveEntry.title, ArchiveEntry.category)
                           .order_by(ArchiveEntry.registered_at.desc(), ArchiveEntry.archive_no.desc()).limit(limit))
    return [{"value": no, "label": f"{no} {title}（{CATEGORIES[category]}）"} for no, title, category in rows]


def catalogue(session: Session, text: str | None = None, category: str | None = None, year: int | None = None,
              importance: str | None = None, visible: ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
    """The archive catalogue (档案目录), newest first, searchable by number, title and summary (the words as
    written: `%` and `_` are themselves). `visible` (access.visible) keeps the entries whose case the reader
    may see: a title and its facts are the case's."""
    query = select(ArchiveEntry)
    if text:
        query = query.where(or_(*(column.contains(text, autoescape=True) for column in (
            ArchiveEntry.archive_no, ArchiveEntry.title, ArchiveEntry.summary))))
    if visible is not None:
        query = query.join(Instance, Instance.id == ArchiveEntry.instance_id).where(visible)
    if category:
        query = query.where(ArchiveEntry.category == category)
    if year:
        query = query.where(ArchiveEntry.year == year)
    if importance:
        query = query.where(ArchiveEntry.importance == importance)
    rows = session.scalars(query.order_by(ArchiveEntry.registered_at.desc(), ArchiveEntry.archive_no.desc()))
    return [{"archive_no": e.archive_no, "year": e.year, "category": e.category,
             "category_text": CATEGORIES[e.category], "importance": e.importance,
             "importance_text": IMPORTANCE[e.importance], "title": e.title, "summary": e.summary,
             "source_unit": e.source_unit, "source_instance": e.source_instance,
             "case_date": e.case_date.isoformat(), "files": e.files, "instance_id": e.instance_id,
             "registered_at": local_iso(e.registered_at), "registered_by": e.registered_by,
             "reviewed_at": local_iso(e.reviewed_at) if e.reviewed_at else None} for e in rows]


def security_check(session: Session) -> dict[str, Any]:
    """L§13(六): every archived case's record still matches its hash chain and its evidence, and every
    catalogued material is present with the content it was stored with. Returns what a person checks
    next: {"checked": N, "problems": [{"archive_no", "reason"}]}."""
    problems, checked = [], 0
    for entry in session.scalars(select(ArchiveEntry).order_by(ArchiveEntry.archive_no)):
        checked += 1
        instance = session.get(Instance, entry.instance_id)
        if instance is None:
            problems.append({"archive_no": entry.archive_no, "reason": "登记办件的记录已不存在"})
            continue
        events = integrity.events_of(session, instance.id)
        failure = integrity.check_chain(instance, events) or integrity.check_evidence(session, instance, events)
        if failure is not None:
            problems.append({"archive_no": entry.archive_no, "reason": f"第 {failure.seq} 号记录：{failure.reason}"})
        evidence = {file_id for event in events for file_id in (event.data.get("files") or {})}
        for file_id in sorted(set(entry.files or []) - evidence):  # the others were checked with the record
            stored = session.get(StoredFile, file_id)
            if stored is None:
                problems.append({"archive_no": entry.archive_no, "reason": f"案例材料 {file_id} 已不存在"})
            elif hashlib.sha256(stored.content).hexdigest() != stored.sha256:
                problems.append({"archive_no": entry.archive_no,
                                 "reason": f"案例材料 {stored.filename} 的内容与登记时的 SHA-256 不符"})
    return {"checked": checked, "problems": problems}
