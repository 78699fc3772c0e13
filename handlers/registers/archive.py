"""The case archive (L§13): registered case materials with an archive number, classified and catalogued."""
import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, extract, or_, select
from sqlalchemy.orm import Session

from engine.audit import integrity
from engine.errors import InvalidInput
from engine.store.models import Instance, StoredFile
from engine.timing.clock import SHANGHAI, local_iso
from handlers import vocabulary
from handlers.registers import counters
from handlers.registers.models import ArchiveEntry

CATEGORIES = vocabulary.CASE_CATEGORIES
IMPORTANCE = vocabulary.CASE_IMPORTANCE


def allocate(session: Session, year: int, prefix: str) -> str:
    """The next number of the year under a prefix: the registering region's (LF-2026-0001 in 临汾, XY-2026-0001
    in 襄垣), or the region's and a kind's (XY-ZC-2026-0001); sequential and never reused, per prefix and year."""
    parts = prefix.split("-")
    if len(prefix) > 16 or not all(part.isalnum() and part.isascii() for part in parts):
        raise InvalidInput(f"编号前缀 {prefix!r} 只能是字母或数字 (可用 - 连接，不超过 16 个字符)")
    return f"{prefix}-{year}-{counters.next_number(session, prefix, year):04d}"


def prefix_of(archive_no: str) -> str:
    """XY of XY-2026-0001: the region that registered it."""
    return archive_no.rsplit("-", 2)[0]


def _of_region(prefix: str) -> ColumnElement[bool]:
    return ArchiveEntry.archive_no.startswith(f"{prefix}-", autoescape=True)


def register(session: Session, *, instance_id: str, archive_no: str, values: dict[str, Any], actor: str,
             now: datetime) -> ArchiveEntry:
    """Enter a case in the catalogue under its number (L§13(四): 标号、登记，并建立档案目录)."""
    category = values.get("category")
    if category not in CATEGORIES:
        raise InvalidInput(f"案例类别 {category!r} 无效 (可选: {', '.join(CATEGORIES)})")
    importance = values.get("importance") or "general"
    if importance not in IMPORTANCE:
        raise InvalidInput(f"重要程度 {importance!r} 无效 (可选: {', '.join(IMPORTANCE)})")
    case_date = values.get("case_date") or now.astimezone(SHANGHAI).date()
    entry = ArchiveEntry(archive_no=archive_no, year=int(archive_no.rsplit("-", 2)[1]), category=category,
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


def choices(session: Session, limit: int, prefix: str | None = None) -> list[dict[str, str]]:
    """The newest archived cases (of the region whose numbers carry `prefix`) as form choices: number, title and
    category (to pick cases for a notice)."""
    query = select(ArchiveEntry.archive_no, ArchiveEntry.title, ArchiveEntry.category)
    if prefix:
        query = query.where(_of_region(prefix))
    rows = session.execute(query.order_by(ArchiveEntry.registered_at.desc(), ArchiveEntry.archive_no.desc())
                           .limit(limit))
    return [{"value": no, "label": f"{no} {title}（{CATEGORIES[category]}）"} for no, title, category in rows]


def catalogue(session: Session, *, text: str | None = None, category: str | None = None, year: int | None = None,
              importance: str | None = None, visible: ColumnElement[bool] | None = None,
              quarter: int | None = None) -> list[dict[str, Any]]:
    """The archive catalogue (档案目录), newest first, searchable by number, title and summary (the words as
    written: `%` and `_` are themselves) and classified as L§13(三) says, by category, by time (the year and
    quarter the case happened) and by importance. `visible` (access.visible) keeps the entries whose case the
    reader may see: a title and its facts are the case's."""
    query = select(ArchiveEntry)
    if text:
        query = query.where(or_(*(column.contains(text, autoescape=True) for column in (
            ArchiveEntry.archive_no, ArchiveEntry.title, ArchiveEntry.summary))))
    if visible is not None:
        query = query.join(Instance, Instance.id == ArchiveEntry.instance_id).where(visible)
    if category:
        query = query.where(ArchiveEntry.category == category)
    if year:
        query = query.where(extract("year", ArchiveEntry.case_date) == year)
    if quarter:
        query = query.where(extract("month", ArchiveEntry.case_date).in_([3 * quarter - 2, 3 * quarter - 1,
                                                                           3 * quarter]))
    if importance:
        query = query.where(ArchiveEntry.importance == importance)
    rows = session.scalars(query.order_by(ArchiveEntry.registered_at.desc(), ArchiveEntry.archive_no.desc()))
    return [{"archive_no": e.archive_no, "year": e.year, "category": e.category,
             "category_text": CATEGORIES[e.category], "importance": e.importance,
             "importance_text": IMPORTANCE[e.importance], "title": e.title, "summary": e.summary,
             "source_unit": e.source_unit, "source_instance": e.source_instance,
             "case_date": e.case_date.isoformat(), "period": period(e.case_date), "files": e.files,
             "instance_id": e.instance_id,
             "registered_at": local_iso(e.registered_at), "registered_by": e.registered_by,
             "reviewed_at": local_iso(e.reviewed_at) if e.reviewed_at else None} for e in rows]


def period(day: date) -> str:
    """The time a case is filed under (L§13(三)): the year and quarter it happened."""
    return f"{day.year}年第{'一二三四'[(day.month - 1) // 3]}季度"


def security_check(session: Session, prefix: str | None = None) -> dict[str, Any]:
    """L§13(六): every archived case (of the region whose numbers carry `prefix`) still matches its hash chain
    and its evidence, and every catalogued material is present with the content it was stored with. Returns
    what a person checks next: {"checked": N, "problems": [{"archive_no", "reason"}]}."""
    problems, checked = [], 0
    query = select(ArchiveEntry).order_by(ArchiveEntry.archive_no)
    for entry in session.scalars(query.where(_of_region(prefix)) if prefix else query):
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
