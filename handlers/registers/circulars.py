"""Circulars (通报) a region issues to its own units: numbered per region and year (第N期) like the typical-case
notices, kept with the case that issued them, and read in the product by every unit of the region (the
government's subtree), not on the public page."""
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.people import directory, regions
from engine.store.models import Organisation
from engine.timing.clock import local_iso
from handlers.registers import counters
from handlers.registers.models import Circular


def issue(session: Session, *, instance_id: str, region: str, issuer: str, title: str, body: str, actor: str,
          now: datetime) -> Circular:
    """Number the circular within its region and year and issue it."""
    if not title.strip() or not body.strip():
        raise InvalidInput("通报的标题和正文不能为空")
    government = session.scalars(select(Organisation).where(Organisation.code == region)).first()
    if government is None or government.kind != "government":
        raise InvalidInput(f"通报须在一个地区（人民政府）内发布，{region} 不是")
    # Each region numbers its own circulars: TB and the region's prefix (TBLF, TBXY), apart from its archive numbers.
    counter = f"TB{government.number_prefix}" if government.number_prefix else f"TB-{region}"[:16]
    number = counters.next_number(session, counter, now.year)
    circular = Circular(region=region, year=now.year, number=number, title=title.strip()[:300], body=body.strip(),
                        issuer=issuer, instance_id=instance_id, published_at=now, published_by=actor)
    session.add(circular)
    session.flush()
    return circular


def issue_text(circular: Circular) -> str:
    return f"{circular.year}年第{circular.number}期"


def _as_dict(c: Circular, names: dict[str, str]) -> dict[str, Any]:
    return {"id": c.id, "region": c.region, "region_name": names.get(c.region, c.region),
            "issue": issue_text(c), "title": c.title, "body": c.body, "issuer": c.issuer,
            "issuer_name": names.get(c.issuer, c.issuer), "instance_id": c.instance_id,
            "published_at": local_iso(c.published_at)}


def regions_of(session: Session, organisation: str | None) -> list[str]:
    """The governments whose circulars a member of `organisation` reads: every region it lies in."""
    return regions.governments_above(session, organisation)


def readable(session: Session, organisation: str | None, everything: bool = False) -> list[dict[str, Any]]:
    """The circulars a user reads, newest first: those of every region their organisation lies in (all, for an
    administrator)."""
    query = select(Circular).order_by(Circular.published_at.desc(), Circular.number.desc())
    if not everything:
        query = query.where(Circular.region.in_(regions_of(session, organisation) or [""]))
    names = directory.names(session)
    return [_as_dict(c, names) for c in session.scalars(query)]


def one(session: Session, circular_id: int, organisation: str | None, everything: bool = False) -> dict[str, Any]:
    """One circular, to a member of its region (else as if it did not exist)."""
    circular = session.get(Circular, circular_id)
    if circular is None or not (everything or circular.region in regions_of(session, organisation)):
        raise NotFound(f"通报 {circular_id} 不存在", what="circular", key=circular_id)
    return _as_dict(circular, directory.names(session))
