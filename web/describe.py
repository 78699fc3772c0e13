"""History events as staff read them: the step, who, when, and what was submitted, with form labels, option
texts and the names of units and people (never their codes). Values no field of the step's form holds
(settings copied into the case, service results) are the engine's, not the step's: they are not shown."""
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import forms, runtime
from engine.store.models import Organisation, StoredFile, User

_PLAIN = {"type": "textfield", "options": {}}
SHOWN = ("instance_started", "task_completed", "message_received", "timer_fired", "reminder_sent", "escalated",
         "deadline_extended", "deadline_recounted", "task_claimed", "task_released", "task_reassigned", "error",
         "retried", "instance_cancelled")


def _value(value: Any, field: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    if field["type"] == forms.LIST:
        return {"text": "；".join(_row(i, row, field["fields"], names) for i, row in enumerate(value or [], 1))}
    if field["type"] == "filepicker":
        return {"files": [{"file_id": f, "filename": names.get(f, f)} for f in (value or [])]}
    if isinstance(value, bool):
        return {"text": "是" if value else "否"}
    if value is None:
        return {"text": ""}
    if isinstance(value, list):
        return {"text": "、".join(_text(v, field, names) for v in value)}
    return {"text": _text(value, field, names)}


def _text(value: Any, field: dict[str, Any], names: dict[str, str]) -> str:
    """An option's label, else the unit or person a code names (choices filled from case data), else itself."""
    option = field["options"].get(str(value))
    if option is not None:
        return str(option)
    return names.get(value, str(value)) if isinstance(value, str) else str(value)


def _row(number: int, row: Any, fields: dict[str, dict[str, Any]], names: dict[str, str]) -> str:
    if not isinstance(row, dict):
        return f"第 {number} 行 {row}"
    parts = (f"{fields[k]['label'] if k in fields else k}：{_value(v, fields.get(k, _PLAIN), names)['text']}"
             for k, v in row.items())
    return f"第 {number} 行 " + "，".join(parts)


def describe_history(session: Session, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for event in events:
        key = event.get("form_key")
        if key and key not in schemas:
            schemas[key] = forms.labels(runtime.form_schema(session, key) or {"components": []})
    file_ids = [f for e in events for f in _file_ids(e, schemas)]
    # Values a choice took from case data are units (or, less often, people): units win where a leader's
    # username is its unit's code.
    names = dict(session.execute(select(User.username, User.display_name)).all())
    names.update(session.execute(select(Organisation.code, Organisation.name)).all())
    if file_ids:
        names.update(session.execute(select(StoredFile.id, StoredFile.filename)
                                     .where(StoredFile.id.in_(file_ids))).all())
    shown = []
    for event in events:
        if event["kind"] not in SHOWN:
            continue
        submitted = event["data"].get("data") or event["data"].get("payload") or {}
        labels = schemas.get(event.get("form_key") or "", {})
        fields = [{"label": labels[k]["label"], **_value(submitted[k], labels[k], names)}
                  for k in labels if k in submitted]  # in the form's order, as the person filled it
        shown.append({**event, "fields": fields})
    return shown


def _file_ids(event: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> list[str]:
    labels = schemas.get(event.get("form_key") or "", {})
    submitted = event["data"].get("data") or event["data"].get("payload") or {}
    return [f for k, v in submitted.items() if labels.get(k, {}).get("type") == "filepicker" for f in (v or [])]
