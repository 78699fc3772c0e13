"""Sequential numbers per prefix and year (archive numbers, notice issues): gap-free under concurrency,
never reused, because one statement both takes and records the number under the row's lock."""
from sqlalchemy.orm import Session

from engine.store.db import conflict_insert
from handlers.registers.models import ArchiveCounter


def next_number(session: Session, prefix: str, year: int) -> int:
    statement = conflict_insert(session, ArchiveCounter).values(prefix=prefix, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ArchiveCounter.prefix, ArchiveCounter.year],
        set_={"last": ArchiveCounter.last + 1}).returning(ArchiveCounter.last)
    return session.execute(statement).scalar_one()


def last_number(session: Session, prefix: str, year: int) -> int:
    row = session.get(ArchiveCounter, (prefix, year))
    return row.last if row is not None else 0

