"""Regions of the organisation tree: a government and the organisations under it up to the next government.

A process that runs in any city or county names its units by function ("the ndrc of this region") and
finds them here from the organisation that runs the case, never by a fixed code."""
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.store.models import Organisation


@dataclass(frozen=True)
class _Org:
    code: str
    name: str
    kind: str
    parent: str | None
    function: str | None
    number_prefix: str | None


def _tree(session: Session) -> dict[str, _Org]:
    rows = session.execute(select(Organisation.id, Organisation.code, Organisation.name, Organisation.kind,
                                  Organisation.parent_id, Organisation.function, Organisation.number_prefix)).all()
    code_of = {row.id: row.code for row in rows}
    return {row.code: _Org(row.code, row.name, row.kind, code_of.get(row.parent_id), row.function,
                           row.number_prefix) for row in rows}


def _government(tree: dict[str, _Org], code: str | None) -> _Org | None:
    """The nearest government at or above `code`: the region the organisation belongs to."""
    while code is not None:
        org = tree[code]
        if org.kind == "government":
            return org
        code = org.parent
    return None


def _member(tree: dict[str, _Org], region: _Org | None, function: str) -> str | None:
    if region is None:
        return None
    return next((o.code for o in sorted(tree.values(), key=lambda o: o.code)
                 if o.parent == region.code and o.function == function), None)


def units(session: Session, of: str, lead_function: str = "ndrc", also: tuple[str, ...] = ()) -> dict[str, Any]:
    """The region of organisation `of` and the organisations a process there works with: its government, its
    lead (the member with `lead_function`), the region above and its lead, the region's number prefix (its
    own, else the nearest above), the units a matter can be passed down to (the region's departments
    other than the lead, and the governments of the regions below) as form options, the region's member
    of each function (e.g. its justice department), and the Chinese name of each of these (and of `also`) for
    texts."""
    tree = _tree(session)
    if of not in tree:
        raise NotFound(f"单位 {of} 不存在", what="organisation", key=of)
    region = _government(tree, of)
    upper = _government(tree, region.parent) if region else None
    prefix_from = region
    while prefix_from is not None and not prefix_from.number_prefix:
        prefix_from = _government(tree, prefix_from.parent)
    lead = _member(tree, region, lead_function)
    below = [o for o in tree.values() if region and o.parent == region.code and o.code != lead]
    below.sort(key=lambda o: (o.kind == "government", o.code))
    upper_lead = _member(tree, upper, lead_function)
    functions: dict[str, str] = {}
    for o in sorted(tree.values(), key=lambda o: o.code):
        if region and o.parent == region.code and o.function:
            functions.setdefault(o.function, o.code)
    # What texts name: the region, its members and the region above, by their Chinese names (never codes).
    named = [tree[of], *(o for o in (region, upper) if o), *(tree[c] for c in (lead, upper_lead) if c), *below,
             *(tree[c] for c in also if c in tree)]
    return {
        "region": region.code if region else None,
        "region_name": region.name if region else None,
        "government": region.code if region else None,
        "lead": lead,
        "upper_government": upper.code if upper else None,
        "upper_lead": upper_lead,
        "number_prefix": prefix_from.number_prefix if prefix_from else None,
        "units": [{"label": o.name, "value": o.code} for o in below],
        "departments": [o.code for o in below if o.kind != "government"],
        "functions": functions,
        "names": {o.code: o.name for o in named},
    }


def governments_above(session: Session, code: str | None) -> list[str]:
    """Every region `code` lies in, nearest first: its own government, then each one above it."""
    tree = _tree(session)
    found: list[str] = []
    region = _government(tree, code) if code in tree else None
    while region is not None:
        found.append(region.code)
        region = _government(tree, region.parent)
    return found

