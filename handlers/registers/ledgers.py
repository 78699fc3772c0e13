"""The ledgers staff keep today (工作台账): complaints and problems to rectify, one row per item, kept
in step with the cases by their handlers, listed with filters and exported to Excel in the same layout."""
import copy
import io
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import files
from engine.errors import InvalidInput
from engine.operator_context import OperatorContext, RegisterWrite
from engine.people import directory
from engine.spreadsheet import append_row, titled_sheet
from engine.store.models import Instance
from engine.timing.clock import deadline_text, local_iso
from handlers.registers.models import LedgerItem

CLOSED = ("closed", "merged", "returned")  # statuses that stamp the closing time
LEDGERS = {"complaint": "投诉举报工作台账", "rectification": "问题整改台账", "clue": "线索台账"}
STATUS_TEXT = {
    "open": "办理中", "returned": "已退单", "handled": "已答复", "reopened": "不满意重办",
    "rectifying": "整改中", "reviewing": "甄别复核中", "closed": "已销号", "merged": "并入原件",
    "received": "待移交", "verifying": "核查中",  # a 0137 clue (线索台账): received, then with its competent unit
    "dispatched": "已派单", "redispatch": "已退单待重新派单", "replying": "答复中",  # a complaint (X-A7 §6)
}
COLUMNS = [("序号", 6), ("编号", 14), ("来源", 14), ("事项", 48), ("责任单位", 22), ("责任人", 10),
           ("期限", 18), ("状态", 12), ("登记时间", 18), ("办结（销号）时间", 18)]
# X-A9 §2, X-A6: a problem is entered with its root cause, plan, measures and target besides deadline and person.
DETAIL_COLUMNS = {"rectification": [("root_cause", "原因分析", 30), ("plan", "整改方案", 30),
                                    ("measures", "整改措施", 30), ("target", "整改目标", 30)],
                  # X-A7 §6: every complainant (a merged repeat's too) and whether answered; co-departments; returns
                  "complaint": [("complainants_text", "投诉举报人（答复情况）", 36), ("co_text", "协办部门", 22),
                                ("returns_text", "退单记录（理由）", 36)]}


def _known(ledger: str) -> str:
    if ledger not in LEDGERS:
        raise InvalidInput(f"没有名为 {ledger} 的台账 (可用: {', '.join(LEDGERS)})")
    return ledger


def keep(ctx: OperatorContext, ledger: str, item_key: str, **values: Any) -> int:
    """An operator's write: to the ledger in a command, noted for `ledger_check` in a replay."""
    if ctx.replay_writes is not None:
        # As the database keeps what was written then: the workflow may change these objects afterwards.
        ctx.replay_writes.append(RegisterWrite(register="ledger", key=item_key,
                                               values=copy.deepcopy({**values, "ledger": ledger, "at": ctx.now})))
        return 0
    return record(ctx.session, ctx.case_id, ledger, item_key, ctx.now, **values).id


def export_to_case(ctx: OperatorContext, ledger: str, item_prefix: str | None) -> str:
    """The ledger's rows of this case (or whose item key starts with the prefix) as an .xlsx file linked to
    the case; returns the file id."""
    rows = items(ctx.session, ledger=ledger, case=ctx.case_id, key_prefix=item_prefix)
    content = workbook(ledger, rows, directory.names(ctx.session), ctx.now)
    stored = files.store(ctx.session, filename=f"{LEDGERS[ledger]}-{ctx.now:%Y%m%d}.xlsx", content=content,
                         actor=ctx.actor, now=ctx.now)
    files.link(ctx.session, [stored.id], ctx.case_id, ctx.step, ctx.now)
    return stored.id


def record(session: Session, instance_id: str, ledger: str, item_key: str, now: datetime,
           **values: Any) -> LedgerItem:
    """Add the item, or bring it up to date; a status of 'closed' stamps the closing time once."""
    row = session.scalars(select(LedgerItem).where(LedgerItem.instance_id == instance_id,
                                                   LedgerItem.item_key == item_key)).first()
    if row is None:
        row = LedgerItem(ledger=_known(ledger), instance_id=instance_id, item_key=item_key, opened_at=now,
                         source=values.pop("source", "") or "", title=values.pop("title", "") or item_key,
                         status=values.pop("status", "open"), detail={})
        session.add(row)
    detail = values.pop("detail", None)
    if detail:
        row.detail = {**(row.detail or {}), **detail}
    for key, value in values.items():
        if value is not None:
            setattr(row, key, value)
    if row.status in CLOSED and row.closed_at is None:
        row.closed_at = now
    elif row.status not in CLOSED:
        row.closed_at = None
    session.flush()
    return row


def items(session: Session, *, ledger: str, organisation: str | None = None, status: str | None = None,
          text: str | None = None, visible: Any = None, case: str | None = None,
          key_prefix: str | None = None) -> list[dict[str, Any]]:
    """The ledger's rows, oldest first, filtered by responsible unit, status and text; with `case`, only
    that case's rows (and those whose key starts with `key_prefix`)."""
    query = select(LedgerItem).where(LedgerItem.ledger == _known(ledger))
    if case:
        mine = LedgerItem.instance_id == case
        query = query.where(or_(mine, LedgerItem.item_key.startswith(key_prefix, autoescape=True))
                            if key_prefix else mine)
    if organisation:
        query = query.where(LedgerItem.organisation == organisation)
    if status:
        query = query.where(LedgerItem.status == status)
    if text:
        query = query.where(or_(LedgerItem.title.contains(text, autoescape=True),  # `%` and `_` as written
                                LedgerItem.source.contains(text, autoescape=True)))
    if visible is not None:
        query = query.join(Instance, Instance.id == LedgerItem.instance_id).where(visible)
    rows = session.scalars(query.order_by(LedgerItem.opened_at, LedgerItem.id))
    return [_as_dict(row) for row in rows]


def _as_dict(row: LedgerItem) -> dict[str, Any]:
    return {"id": row.id, "instance_id": row.instance_id, "item_key": row.item_key, "source": row.source,
            "title": row.title, "organisation": row.organisation, "person": row.person,
            "deadline": local_iso(row.deadline) if row.deadline else None, "status": row.status,
            "status_text": STATUS_TEXT.get(row.status, row.status), "opened_at": local_iso(row.opened_at),
            "closed_at": local_iso(row.closed_at) if row.closed_at else None, "detail": row.detail or {}}


def workbook(ledger: str, rows: list[dict[str, Any]], unit_names: dict[str, str], now: datetime) -> bytes:
    """The ledger as an .xlsx in the layout kept by hand: a title row, then one row per item."""
    details = DETAIL_COLUMNS.get(ledger, [])
    columns = COLUMNS + [(title, width) for _, title, width in details]
    book, sheet = titled_sheet(LEDGERS[_known(ledger)],
                               f"{LEDGERS[ledger]}（导出时间：{local_iso(now)[:16].replace('T', ' ')}）", columns)

    def when(value: str | None) -> str:
        return value[:16].replace("T", " ") if value else ""

    for number, row in enumerate(rows, start=1):
        unit = row["organisation"]
        append_row(sheet, [number, row["item_key"], row["source"], row["title"], unit_names.get(unit, unit or ""),
                           row["person"] or "", deadline_text(row["deadline"]), row["status_text"],
                           when(row["opened_at"]), when(row["closed_at"])]
                   + [str(row["detail"].get(key) or "") for key, _, _ in details])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
