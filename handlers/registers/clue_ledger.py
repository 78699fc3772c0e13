"""The clue ledger (线索台账) of the 0137 mechanism (L§12): one row per clue with the day it was received and the
days it was transferred, verified, rectified and closed, whether a step was late and whether the rectification
was extended, and the 动态清零 progress (clues cleared against clues still open).

Its rows are ledger items (`ledgers`, ledger `clue`) the clue's own diagram writes at each step with
`record_ledger`: the dates sit in the item's detail."""
import io
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.spreadsheet import append_row, titled_sheet
from engine.timing.clock import local_iso
from handlers.registers import ledgers

LEDGER = "clue"
LAPSES = {"transfer": "移交", "verify": "核查", "rectify": "整改"}  # L§12(二)(三)(四): the steps that can lapse
COLUMNS = [("序号", 6), ("线索", 44), ("来源", 16), ("收到日期", 12), ("移交日期", 12), ("主管单位", 24),
           ("核查反馈日期", 12), ("责任单位", 24), ("整改完成日期", 12), ("销号日期", 12), ("逾期", 16),
           ("延期", 14), ("状态", 12)]


def _day(value: Any) -> str:
    return str(value)[:10] if value else ""


def _row(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    detail = item["detail"]
    late = [text for step, text in LAPSES.items() if detail.get(f"lapse_{step}")]
    competent, responsible = detail.get("competent_unit"), detail.get("responsible_unit")
    return {
        "instance_id": item["instance_id"], "title": item["title"], "source": item["source"],
        "received": _day(detail.get("received_on")), "transferred": _day(detail.get("transferred_at")),
        "competent_unit": names.get(competent, competent or ""), "verified": _day(detail.get("verified_at")),
        "responsible_unit": names.get(responsible, responsible or ""),
        "rectified": _day(detail.get("rectified_at")), "closed": _day(item["closed_at"]),
        "overdue": bool(late), "overdue_text": "、".join(f"{text}逾期" for text in late),
        "shirking": bool(detail.get("lapse_shirking")),
        "extended": bool(detail.get("extended_until")),
        "extended_text": f"延至{_day(detail.get('extended_until'))}" if detail.get("extended_until") else "",
        "cleared": item["status"] == "closed", "status": item["status"], "status_text": item["status_text"],
    }


def rows(session: Session, names: dict[str, str], visible: Any = None, status: str | None = None,
         text: str | None = None) -> list[dict[str, Any]]:
    """The ledger's clues, oldest first, as staff read them (units by name, dates as days)."""
    return [_row(item, names) for item in ledgers.items(session, ledger=LEDGER, status=status, text=text,
                                                        visible=visible)]


def progress(found: list[dict[str, Any]]) -> dict[str, Any]:
    """动态清零: how many clues are cleared (closed) and how many still open."""
    cleared = sum(1 for row in found if row["cleared"])
    total = len(found)
    return {"total": total, "cleared": cleared, "open": total - cleared,
            "overdue": sum(1 for row in found if row["overdue"]),
            "rate": f"{cleared * 100 / total:.0f}%" if total else "—"}


def workbook(found: list[dict[str, Any]], now: datetime) -> bytes:
    """The clue ledger as an .xlsx: a title row with the 动态清零 progress, then one row per clue."""
    counts = progress(found)
    book, sheet = titled_sheet(
        ledgers.LEDGERS[LEDGER],
        f"{ledgers.LEDGERS[LEDGER]}（导出时间：{local_iso(now)[:16].replace('T', ' ')}；共 {counts['total']} 条，"
        f"已销号 {counts['cleared']} 条，未销号 {counts['open']} 条，清零率 {counts['rate']}）", COLUMNS)
    for number, row in enumerate(found, start=1):
        late = "、".join(filter(None, [row["overdue_text"], "被反映推诿敷衍" if row["shirking"] else ""]))
        append_row(sheet, [number, row["title"], row["source"], row["received"], row["transferred"],
                           row["competent_unit"], row["verified"], row["responsible_unit"], row["rectified"],
                           row["closed"], late or "否", row["extended_text"] or "否", row["status_text"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
