"""Pages over the records the mechanisms keep: the ledgers (with Excel downloads), the case archive
catalogue, and the published typical-case notices, which the public reads without signing in."""
from flask import Blueprint, Response, abort, render_template, request, url_for

from engine import inputs, privacy
from engine.errors import InvalidInput, NotFound
from engine.people import access, directory
from engine.timing.clock import system_now
from handlers.registers import archive, ledgers, notices

from .auth import current_actor, login_required
from .db import transaction
from .safety import attachment

bp = Blueprint("records", __name__)


def _ledger_query(ledger: str) -> tuple[dict[str, str | None], list[dict], dict[str, str]]:
    if ledger not in ledgers.LEDGERS:
        abort(404)
    filters = {key: (request.args.get(key) or "").strip() or None for key in ("organisation", "status", "text")}
    actor = current_actor()
    with transaction() as db:
        rows = ledgers.items(db, ledger=ledger, organisation=filters["organisation"], status=filters["status"],
                             text=filters["text"],
                             visible=access.visible(actor, access.jurisdiction(db, actor)))
        # A complainant's name and telephone only for the NDRC that leads the complaint, page and Excel alike.
        policies = privacy.of_instances(db, [row["instance_id"] for row in rows])
        rows = [privacy.shown_to(actor, policies.get(row["instance_id"]), row)(row) for row in rows]
        names = directory.names(db)
    return filters, rows, names


@bp.get("/ledgers/<ledger>")
@login_required
def ledger_page(ledger: str):
    filters, rows, names = _ledger_query(ledger)
    download = url_for("records.ledger_download", ledger=ledger, **{k: v for k, v in filters.items() if v})
    return render_template("ledger.html", ledger=ledger, title=ledgers.LEDGERS[ledger], rows=rows, names=names,
                           filters=filters, statuses=ledgers.STATUS_TEXT, ledgers=ledgers.LEDGERS,
                           download_url=download, details=ledgers.DETAIL_COLUMNS.get(ledger, []))


@bp.get("/ledgers/<ledger>.xlsx")
@login_required
def ledger_download(ledger: str):
    _, rows, names = _ledger_query(ledger)
    content = ledgers.workbook(ledger, rows, names, system_now())
    filename = f"{ledgers.LEDGERS[ledger]}.xlsx"
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": attachment(filename)})


def _year(text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput(f"年份 {inputs.shown(text, 20)} 无效，应为四位数字 (例如 2026)")
    return int(text)


def _quarter(text: str) -> int | None:
    if not text:
        return None
    if text not in ("1", "2", "3", "4"):
        raise InvalidInput(f"季度 {inputs.shown(text, 20)} 无效，应为 1 到 4")
    return int(text)


@bp.get("/archive")
@login_required
def archive_page():
    """L§13(三): the catalogue by category, time (the year and quarter a case happened) and importance."""
    filters = {key: (request.args.get(key) or "").strip() or None for key in ("text", "category", "importance")}
    year, quarter = request.args.get("year", "").strip(), request.args.get("quarter", "").strip()
    with transaction() as db:
        actor = current_actor()
        visible = access.visible(actor, access.jurisdiction(db, actor))
        entries = archive.catalogue(db, text=filters["text"], category=filters["category"], year=_year(year),
                                    importance=filters["importance"], visible=visible, quarter=_quarter(quarter))
        names = directory.names(db)
    return render_template("archive.html", entries=entries, filters=filters, year=year, quarter=quarter,
                           names=names, categories=archive.CATEGORIES, importance=archive.IMPORTANCE)


@bp.get("/public/notices")
def public_notices():
    with transaction() as db:
        items = notices.published(db)
    return render_template("public_notices.html", notices=items)


@bp.get("/public/notices/<int:notice_id>")
def public_notice(notice_id: int):
    with transaction() as db:
        try:
            notice = notices.one(db, notice_id)
        except NotFound:
            abort(404)
    return render_template("public_notice.html", notice=notice)
