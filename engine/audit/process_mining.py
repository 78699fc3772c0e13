"""Event logs for process mining: XES (IEEE 1849) and CSV, one trace per case, events in record order."""
import csv
import io
from datetime import UTC
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import definitions, projections
from engine.spreadsheet import csv_row
from engine.store.models import Event, Instance, Organisation, User

# The record's events that are activities of the case (the rest only describe them).
ACTIVITIES = {"instance_started": "发起", "task_completed": None, "message_received": None,
              "timer_fired": None, "deadline_extended": "延期", "instance_cancelled": "撤销"}
XES = "http://www.xes-standard.org/"
COLUMNS = ["case_id", "activity", "lifecycle", "timestamp", "resource", "organisation", "process_id", "version"]


def rows(session: Session, process_id: str | None = None, instance_ids: list[str] | None = None
         ) -> list[dict[str, Any]]:
    """One row per activity event, ordered by case and record sequence."""
    query = select(Instance).order_by(Instance.started_at, Instance.id)
    if process_id:
        query = query.where(Instance.process_id == process_id)
    if instance_ids is not None:
        query = query.where(Instance.id.in_(instance_ids))
    organisation_of = dict(session.execute(select(User.username, Organisation.code)
                                           .join(Organisation, Organisation.id == User.organisation_id)).all())
    found = []
    for instance in session.scalars(query):
        loaded = definitions.load(session, instance.definition_id)
        specs = loaded.spec.task_specs
        events = session.scalars(select(Event).where(Event.instance_id == instance.id,
                                                     Event.kind.in_(ACTIVITIES)).order_by(Event.seq))
        for event in events:
            name = ACTIVITIES[event.kind] or (projections.task_title(specs[event.task_name])
                                              if event.task_name in specs else event.task_name)
            found.append({"case_id": instance.id, "activity": name, "lifecycle": "complete",
                          "timestamp": event.at.astimezone(UTC).isoformat(), "resource": event.actor,
                          "organisation": organisation_of.get(event.actor, ""), "process_id": instance.process_id,
                          "version": loaded.version})
    return found


def to_xes(entries: list[dict[str, Any]]) -> bytes:
    log = etree.Element("log", nsmap={None: XES}, attrib={"xes.version": "1.0", "xes.features": ""})
    for name, prefix, uri in (("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
                              ("Time", "time", "http://www.xes-standard.org/time.xesext"),
                              ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
                              ("Organizational", "org", "http://www.xes-standard.org/org.xesext")):
        etree.SubElement(log, "extension", name=name, prefix=prefix, uri=uri)
    for scope, keys in (("trace", ("concept:name",)),
                        ("event", ("concept:name", "lifecycle:transition", "org:resource", "org:group"))):
        defaults = etree.SubElement(log, "global", scope=scope)
        for key in keys:
            etree.SubElement(defaults, "string", key=key, value="")
    trace = None
    current = None
    for entry in entries:
        if entry["case_id"] != current:
            current = entry["case_id"]
            trace = etree.SubElement(log, "trace")
            etree.SubElement(trace, "string", key="concept:name", value=current)
            etree.SubElement(trace, "string", key="process", value=f"{entry['process_id']} v{entry['version']}")
        event = etree.SubElement(trace, "event")
        etree.SubElement(event, "string", key="concept:name", value=entry["activity"])
        etree.SubElement(event, "string", key="lifecycle:transition", value=entry["lifecycle"])
        etree.SubElement(event, "date", key="time:timestamp", value=entry["timestamp"])
        etree.SubElement(event, "string", key="org:resource", value=entry["resource"])
        etree.SubElement(event, "string", key="org:group", value=entry["organisation"])
    return etree.tostring(log, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_csv(entries: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(csv_row(entry) for entry in entries)  # a name written '=…' stays text in Excel
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with the BOM correctly
