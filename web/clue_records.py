"""Pages over what the 0137 mechanism keeps besides its cases: the clue ledger (线索台账, with its Excel download and
动态清零 progress) and the circulars (通报) a region issues to its own units, read by every unit of the region."""
from flask import Blueprint, Response, abort, render_template, request, url_for

from engine.errors import NotFound
from engine.people import access, directory
from engine.timing.clock import system_now
from handlers.registers import circulars, clue_ledger, ledgers

from .auth import current_actor, login_required
from .db import transaction
from .safety import attachment

bp = Blueprint("clue_records", __name__)


def _clues() -> tuple[dict[str, str | None], list[dict]]:
    filters = {key: (request.args.get(key) or "").strip() or None for key in ("status", "text")}
    actor = current_actor()
    with transaction() as db:
        rows = clue_ledger.rows(db, directory.names(db), access.visible(actor, access.jurisdiction(db, actor)),
                                filters["status"], filters["text"])
    return filters, rows


@bp.get("/ledgers/clue")
@login_required
def clue_ledger_page():
    filters, rows = _clues()
    download = url_for("clue_records.clue_ledger_download", **{k: v for k, v in filters.items() if v})
    return render_template("clue_ledger.html", title=ledgers.LEDGERS[clue_ledger.LEDGER], rows=rows,
                           progress=clue_ledger.progress(rows), filters=filters, ledgers=ledgers.LEDGERS,
                           statuses={k: ledgers.STATUS_TEXT[k] for k in ("received", "verifying", "rectifying",
                                                                          "reviewing", "closed")},
                           download_url=download)


@bp.get("/ledgers/clue.xlsx")
@login_required
def clue_ledger_download():
    _, rows = _clues()
    content = clue_ledger.workbook(rows, system_now())
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": attachment(f"{ledgers.LEDGERS[clue_ledger.LEDGER]}.xlsx")})


@bp.get("/circulars")
@login_required
def circulars_page():
    actor = current_actor()
    with transaction() as db:
        items = circulars.readable(db, actor.organisation, actor.is_admin)
    return render_template("circulars.html", circulars=items)


@bp.get("/circulars/<int:circular_id>")
@login_required
def circular_page(circular_id: int):
    actor = current_actor()
    with transaction() as db:
        try:
            item = circulars.one(db, circular_id, actor.organisation, actor.is_admin)
        except NotFound:
            abort(404)
    return render_template("circular.html", circular=item)
