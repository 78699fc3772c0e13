"""What is late, for leaders: the steps their units hold by card, the delay reports (督办) about them and to
them, and each unit's on-time rate, with charts and the lists behind every number."""
from flask import Blueprint, abort, render_template, request, url_for

from engine import lateness, versions
from engine.timing.clock import local_iso, system_now

from .auth import current_actor, login_required
from .db import transaction
from .naming import unit_name

bp = Blueprint("leaders", __name__)
RESULTS = {"on_time": True, "late": False}


def _actor():
    actor = current_actor()
    if not lateness.may_view(actor):
        abort(404)
    return actor


@bp.get("/leaders")
@login_required
def overview():
    actor = _actor()
    now = system_now()
    report_state = request.args.get("reports")
    if report_state not in (lateness.OPEN, lateness.HANDLED):
        report_state = None
    with transaction() as db:
        codes = lateness.units(db, actor)
        by_unit = lateness.open_steps(db, codes, now, "unit")
        by_process = lateness.open_steps(db, codes, now, "process")
        names = {p["process_id"]: p["name"] for p in versions.process_summaries(db)}
        to_me = lateness.escalations(db, codes, reported_to=actor.organisation) if actor.organisation else []
        reports = lateness.escalations(db, codes)
        rates = lateness.on_time_rates(lateness.completed_steps(db, actor, codes), codes)
    counts = {state: sum(r["state"] == state for r in reports) for state in (lateness.OPEN, lateness.HANDLED)}
    shown = [r for r in reports if report_state in (None, r["state"])]
    return render_template("leaders.html", now_text=local_iso(now)[:16].replace("T", " "),
                           chart=_chart(by_unit, rates), by_unit=by_unit, by_process=by_process, process_names=names,
                           to_me=to_me, reports=shown, report_counts=counts, report_state=report_state,
                           rates=rates, region=actor.organisation)


def _chart(by_unit: list[dict], rates: list[dict]) -> dict:
    """What the charts draw (web/static/leaders.js), each bar with the list it stands for."""
    return {
        "units": {"names": [unit_name(r["key"]) for r in by_unit], "red": [r["red"] for r in by_unit],
                  "yellow": [r["yellow"] for r in by_unit],
                  "red_links": [url_for("pages.task_list", scope="region", unit=r["key"], status="red")
                                for r in by_unit],
                  "yellow_links": [url_for("pages.task_list", scope="region", unit=r["key"], status="yellow")
                                   for r in by_unit]},
        "rates": {"names": [unit_name(r["unit"]) for r in rates], "rate": [r["rate"] for r in rates],
                  "links": [url_for("leaders.done_steps", unit=r["unit"]) for r in rates]},
    }


@bp.get("/leaders/steps")
@login_required
def done_steps():
    """The done steps behind an on-time rate: a unit's, on time or late."""
    actor = _actor()
    unit = request.args.get("unit") or None
    result = request.args.get("result")
    with transaction() as db:
        codes = lateness.units(db, actor)
        if unit is not None and unit not in codes:
            abort(404)
        rows = [r for r in lateness.completed_steps(db, actor, [unit] if unit else codes)
                if result not in RESULTS or r["on_time"] is RESULTS[result]]
    return render_template("leaders_steps.html", rows=rows, unit=unit, result=result if result in RESULTS else None)
