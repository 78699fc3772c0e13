"""Auditors (审计员): replay a case step by step on its diagram, counts per element, exports, access log.

Read-only over the auditor's jurisdiction; every view and export is itself recorded."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import select

from engine import privacy, versions
from engine.audit import access_log, process_mining
from engine.audit import replay as case_replay
from engine.people import access
from engine.store.models import Definition, Instance
from engine.timing.clock import system_now

from .auth import current_actor, login_required
from .db import transaction
from .safety import attachment

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.before_request
@login_required
def auditors_only():
    if not current_actor().audits:
        abort(404)


def _visible_instances(db, process_id: str | None = None, definition_id: int | None = None):
    actor = current_actor()
    query = select(Instance).where(access.visible(actor, access.jurisdiction(db, actor)))
    if process_id:
        query = query.where(Instance.process_id == process_id)
    if definition_id:
        query = query.where(Instance.definition_id == definition_id)
    return list(db.scalars(query.order_by(Instance.started_at.desc(), Instance.id).limit(500)))


@bp.get("/")
def index():
    with transaction() as db:
        cases = _visible_instances(db)
        processes = [dict(p, versions=versions.of_process(db, p["process_id"]))
                     for p in versions.process_summaries(db)]
    return render_template("audit_index.html", cases=cases, processes=processes)


@bp.get("/cases/<instance_id>")
def replay(instance_id: str):
    actor = current_actor()
    with transaction() as db:
        instance = access.require_instance(db, actor, instance_id)
        timeline = case_replay.timeline(db, instance)
        # An auditor reads the record, not the people in it: a complainant's name and telephone stay masked.
        steps = privacy.shown_to(actor, privacy.of_instances(db, [instance_id]).get(instance_id), timeline)(timeline)
        version = db.scalar(select(Definition.version).where(Definition.id == instance.definition_id))
        access_log.record(db, username=actor.username, action="view_replay", target=instance_id, now=system_now(),
                          detail={"steps": len(steps)})
        title = instance.title
    config = {"diagram": url_for("pages.diagram", instance_id=instance_id), "steps": steps}
    return render_template("audit_replay.html", title=title, instance_id=instance_id, version=version,
                           config=config, steps=steps)


@bp.get("/processes/<process_id>/v<int:version>")
def heatmap(process_id: str, version: int):
    actor = current_actor()
    now = system_now()
    with transaction() as db:
        row = versions.version_row(db, process_id, version)
        cases = _visible_instances(db, process_id, row.id)
        counts = case_replay.element_counts(db, row.id, [c.id for c in cases], now)
        access_log.record(db, username=actor.username, action="view_heatmap", target=f"{process_id} v{version}",
                          now=now, detail={"cases": len(cases)})
        config = {"diagram_xml": row.xml, "counts": counts}
    return render_template("audit_heatmap.html", process_id=process_id, version=version, name=row.name,
                           cases=len(cases), config=config)


@bp.get("/export.<fmt>")
def export(fmt: str):
    if fmt not in ("xes", "csv"):
        abort(404)
    actor = current_actor()
    process_id = request.args.get("process") or None
    with transaction() as db:
        ids = [c.id for c in _visible_instances(db, process_id)]
        entries = process_mining.rows(db, process_id, ids)
        access_log.record(db, username=actor.username, action=f"export_{fmt}", target=process_id or "全部流程",
                          now=system_now(),
                          detail={"cases": len(ids), "events": len(entries)})
    body = process_mining.to_xes(entries) if fmt == "xes" else process_mining.to_csv(entries)
    response = Response(body, mimetype="application/xml" if fmt == "xes" else "text/csv")
    response.headers["Content-Disposition"] = attachment(f"zhunru-{process_id or 'all'}.{fmt}")
    return response


@bp.get("/log")
def log():
    with transaction() as db:
        rows = access_log.entries(db)
    return render_template("audit_log.html", rows=rows)
