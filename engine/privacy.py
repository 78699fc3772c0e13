"""Personal data a process takes in (a complainant's name and telephone): seen in full only by the organisation the
case starts in, the one that took the data in and handles the person (a complaint's lead NDRC), and masked for
everyone else (王某, 138****0000) in whatever the engine hands out: case data, history, the data a task's form
and instructions receive, ledger rows. Masking is done on the data before they leave the engine, so neither a
page's HTML nor a JSON answer carries the raw values.

Which fields are personal the start form says: a field with the form-js property `personal` set to `name` or
`phone`. Its key is masked wherever it occurs in the case's data (also inside lists and nested objects, e.g. a
list of complainants), and the values found under it are masked inside any text as well (a reply typed by
staff that names the person)."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import definitions, projections
from engine.people.directory import Actor
from engine.store.models import Event, Instance

KINDS = ("name", "phone")


def mask_name(value: str) -> str:
    """王女士 → 王某: the surname stays, so staff can address the person without knowing who it is."""
    text = value.strip()
    return f"{text[0]}某" if text else text


def mask_phone(value: str) -> str:
    """13800000000 → 138****0000; a short number keeps its last two digits only."""
    text = value.strip()
    if len(text) >= 11:
        return f"{text[:3]}****{text[-4:]}"
    if len(text) >= 5:
        return f"****{text[-2:]}"
    return "****" if text else text


_MASK: dict[str, Callable[[str], str]] = {"name": mask_name, "phone": mask_phone}


@dataclass(frozen=True)
class Policy:
    fields: dict[str, str]  # data key → kind (name | phone)
    holder: str | None  # the organisation that sees the values in full
    start: Any = None  # the data the case started with, whose personal values are masked in any text

    def sees(self, viewer: Actor | None) -> bool:
        """None is the server's own console (the command line run without a user): it reads the record."""
        return viewer is None or (viewer.organisation is not None and viewer.organisation == self.holder)


def _walk(components: list[dict[str, Any]] | None) -> Iterable[dict[str, Any]]:
    for comp in components or []:
        yield comp
        yield from _walk(comp.get("components"))


def personal_fields(session: Session, definition: definitions.LoadedDefinition) -> dict[str, str]:
    """The start form's fields marked personal (property `personal`: name | phone)."""
    from engine.runtime import form_schema  # runtime reads the views' modules; this one is read by them

    key = projections.start_form_key(definition.spec)
    schema = form_schema(session, key, definition.form_versions.get(key or "")) if key else None
    found = {}
    for comp in _walk((schema or {}).get("components")):
        kind = (comp.get("properties") or {}).get("personal")
        if kind in _MASK and comp.get("key"):
            found[comp["key"]] = kind
    return found


def _holder(definition: definitions.LoadedDefinition, data: dict[str, Any]) -> str | None:
    """The organisation of the lane the case starts in: fixed, or named in its data."""
    for spec in definition.spec.start.outputs:
        rule = definition.lanes.get(spec.lane) if getattr(spec, "lane", None) else None
        if rule is not None:
            value = rule.organisation or data.get(rule.organisation_variable or "")
            return value if isinstance(value, str) else None
    return None


def policy(session: Session, definition: definitions.LoadedDefinition, data: dict[str, Any]) -> Policy | None:
    """The case's policy, None when its process takes in nothing personal."""
    fields = personal_fields(session, definition)
    return Policy(fields, _holder(definition, data)) if fields else None


def of_instances(session: Session, instance_ids: Iterable[str]) -> dict[str, Policy]:
    """The policy of each of these cases that has one (for lists: ledgers, exports), its holder read from the
    data the case started with."""
    ids = sorted(set(instance_ids))
    if not ids:
        return {}
    definition_of = dict(session.execute(select(Instance.id, Instance.definition_id)
                                         .where(Instance.id.in_(ids))).all())
    loaded = {d: definitions.load(session, d) for d in set(definition_of.values())}
    fields = {d: personal_fields(session, definition) for d, definition in loaded.items()}
    concerned = [i for i, d in definition_of.items() if fields[d]]
    if not concerned:
        return {}
    started: dict[str, Any] = {row[0]: row[1] for row in session.execute(select(Event.instance_id, Event.data).where(
        Event.instance_id.in_(concerned), Event.kind == "instance_started"))}
    start = {i: (started.get(i) or {}).get("data") or {} for i in concerned}
    return {i: Policy(fields[definition_of[i]], _holder(loaded[definition_of[i]], start[i]), start[i])
            for i in concerned}


def _found(value: Any, fields: dict[str, str], out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in fields and isinstance(item, str) and len(item.strip()) >= 2:
                out[item.strip()] = _MASK[fields[key]](item)
            else:
                _found(item, fields, out)
    elif isinstance(value, list):
        for item in value:
            _found(item, fields, out)


class Masker:
    """Masks personal values in any JSON-like value: under their keys, and inside text."""

    def __init__(self, fields: dict[str, str], *sources: Any):
        self.fields = fields
        self.replacements: dict[str, str] = {}
        for source in sources:
            _found(source, fields, self.replacements)

    def learn(self, value: Any) -> None:
        _found(value, self.fields, self.replacements)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (_MASK[self.fields[k]](v) if k in self.fields and isinstance(v, str) else self(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str) and self.replacements:
            for raw in sorted(self.replacements, key=len, reverse=True):
                if raw in value:
                    value = value.replace(raw, self.replacements[raw])
        return value


def shown_to(viewer: Actor | None, found: Policy | None, *sources: Any) -> Callable[[Any], Any]:
    """What a viewer may see of values from this case: themselves, or masked."""
    if found is None or found.sees(viewer):
        return lambda value: value
    return Masker(found.fields, found.start, *sources)
