"""The ledger rows a replayed case writes, checked against the rows kept: a row changed, added or removed by
hand since shows as the audit's failure. The replay notes each `record_ledger` call (`ledgers.keep`); the rows
are rebuilt from them as `ledgers.record` builds them."""
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.operator_context import RegisterWrite
from engine.timing.clock import local_iso
from handlers.registers.ledgers import CLOSED
from handlers.registers.models import LedgerItem

REGISTER = "ledger"
_TEXT = {"ledger": "台账", "source": "来源", "title": "事项", "status": "状态", "organisation": "责任单位",
         "person": "责任人", "deadline": "期限", "opened_at": "登记时间", "closed_at": "办结时间", "detail": "其他信息"}


def _rows(writes: list[RegisterWrite]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for write in writes:
        if write.register != REGISTER:
            continue
        values = dict(write.values)
        now = values.pop("at")
        row = rows.get(write.key)
        if row is None:
            row = rows[write.key] = {
                "ledger": values.pop("ledger"), "source": values.pop("source", "") or "",
                "title": values.pop("title", "") or write.key, "status": values.pop("status", "open"),
                "organisation": None, "person": None, "deadline": None, "opened_at": now, "closed_at": None,
                "detail": {}}
        values.pop("ledger", None)
        detail = values.pop("detail", None)
        if detail:
            row["detail"] = {**row["detail"], **detail}
        row.update({k: v for k, v in values.items() if v is not None})
        if row["status"] in CLOSED and row["closed_at"] is None:
            row["closed_at"] = now
        elif row["status"] not in CLOSED:
            row["closed_at"] = None
    return rows


def check(session: Session, case_id: str, writes: list[RegisterWrite]) -> str | None:
    """What differs between the ledger rows the case's replay wrote and the rows kept, in words; else None."""
    wanted_rows = _rows(writes)
    stored = {row.item_key: row for row in session.scalars(select(LedgerItem)
                                                           .where(LedgerItem.instance_id == case_id))}
    for key, wanted in wanted_rows.items():
        row = stored.get(key)
        if row is None:
            return f"台账事项 {key} 被删除"
        for column, value in wanted.items():
            if not _same(getattr(row, column), value):
                return f"台账事项 {key} 的{_TEXT[column]}被改为 {_shown(getattr(row, column))}，记录为 {_shown(value)}"
    for key in sorted(stored.keys() - wanted_rows.keys()):
        return f"台账事项 {key} 不是本案记录的服务调用写入的（被添加）"
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) or isinstance(b, datetime):
        return a == b
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return local_iso(value)
    return "无" if value is None else json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
