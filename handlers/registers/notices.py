"""Typical-case notices (L§8, X-A8): numbered per year (第N期) and published on the public page."""
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, NotFound
from engine.timing.clock import local_iso
from handlers.registers import counters
from handlers.registers.models import Notice

PREFIX = "TB"  # 通报


def _texts(title: str, issue: str, cases: list[dict[str, Any]], issuer: str | None = None,
           day: str | None = None) -> tuple[str, str]:
    lines = [f"{title}（{issue}）", ""]
    for number, case in enumerate(cases, start=1):
        lines += [f"案例{number}：{case['title']}", f"基本案情：{case['facts']}",
                  f"违反条款：{case['clause']}", f"整改情况：{case['rectification']}", ""]
    if issuer:  # 全文 ends with the unit that issues it, by its name, and the date
        lines += [issuer, day or ""]
    portal = "\n".join(lines).strip()
    wechat = f"【{title}】{issuer or ''}{issue}通报{len(cases)}个违背市场准入负面清单典型案例：" + "；".join(
        f"{n}. {c['title']}" for n, c in enumerate(cases, start=1)) + "。详见门户网站。"
    return portal, wechat


def publish(session: Session, *, instance_id: str, title: str, cases: list[dict[str, Any]], actor: str,
            now: datetime, issuer: str | None = None) -> Notice:
    """Give the notice its issue number of the year and publish it."""
    if not cases:
        raise InvalidInput("通报至少要有一个案例")
    for number, case in enumerate(cases, start=1):
        missing = [k for k in ("title", "facts", "clause", "rectification") if not str(case.get(k) or "").strip()]
        if missing:
            raise InvalidInput(f"第 {number} 个案例缺少 {', '.join(missing)}")
    year = now.year
    number = counters.next_number(session, PREFIX, year)
    issue = f"{year}年第{number}期"
    clean = [{k: str(case[k]) for k in ("title", "facts", "clause", "rectification")} | (
        {"archive_no": case["archive_no"]} if case.get("archive_no") else {}) for case in cases]
    portal, wechat = _texts(title, issue, clean, issuer, f"{now.year}年{now.month}月{now.day}日")
    notice = Notice(year=year, number=number, title=title, cases=clean, portal_text=portal,
                    wechat_text=wechat, instance_id=instance_id, published_at=now, published_by=actor)
    session.add(notice)
    session.flush()
    return notice


def issue_text(notice: Notice) -> str:
    return f"{notice.year}年第{notice.number}期"


def _as_dict(n: Notice) -> dict[str, Any]:
    return {"id": n.id, "issue": issue_text(n), "title": n.title, "cases": n.cases, "portal_text": n.portal_text,
            "wechat_text": n.wechat_text, "published_at": local_iso(n.published_at)}


def published(session: Session) -> list[dict[str, Any]]:
    return [_as_dict(n) for n in session.scalars(select(Notice).order_by(Notice.published_at.desc(),
                                                                         Notice.number.desc()))]


def one(session: Session, notice_id: int) -> dict[str, Any]:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"通报 {notice_id} 不存在", what="notice", key=notice_id)
    return _as_dict(notice)
