"""Settings for local practice that is not national law, kept in the database and named in Chinese."""
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.store import direct
from engine.store.models import Organisation, Setting
from handlers import registry


def _clock_time(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match or not (0 < int(match[1]) * 60 + int(match[2]) <= 24 * 60) or int(match[2]) > 59:
        raise InvalidInput(f"'{value}' 不是有效的下班时间，应为 HH:MM，介于 00:01 与 24:00 之间")
    return f"{int(match[1]):02d}:{match[2]}"


def days(value: str) -> str:
    if not value.strip().isdigit() or not 1 <= int(value) <= 365:
        raise InvalidInput(f"'{value}' 不是有效的天数，应为 1 到 365 之间的整数")
    return str(int(value))


def _positive(most: float, integral: bool = False) -> Callable[[str], str]:
    def clean(value: str) -> str:
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
        if not (0 < number <= most) or (integral and not number.is_integer()):
            kind = "整数" if integral else "数"
            raise InvalidInput(f"'{value}' 无效，应为大于 0、不超过 {most:g} 的{kind}")
        return f"{number:g}" if not integral else str(int(number))
    return clean


def _count(most: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if not value.strip().isdigit() or int(value) > most:
            raise InvalidInput(f"'{value}' 无效，应为 0 到 {most} 之间的整数")
        return str(int(value))
    return clean


def codes(value: str) -> str:
    """Organisation codes separated by commas or spaces, each once (whether they exist `change` checks)."""
    codes = list(dict.fromkeys(c for c in re.split(r"[\s,，、]+", value.strip()) if c))
    if not codes or not all(re.fullmatch(r"[A-Za-z0-9_]{1,64}", c) for c in codes):
        raise InvalidInput(f"'{value}' 无效，应为一个或多个单位代码，以逗号分隔 (如 county_ndrc,city_ndrc)")
    return ",".join(codes)


def code_list(value: str) -> list[str]:
    return value.split(",")


def day_unit(value: str) -> str:
    word = value.strip().lower()
    if word in ("calendar", "自然日", "日"):
        return "calendar"
    if word in ("working", "工作日"):
        return "working"
    raise InvalidInput(f"'{value}' 无效，应为 calendar (自然日) 或 working (工作日)")


_YES, _NO = ("是", "true", "yes", "on", "1"), ("否", "false", "no", "off", "0")


def _yes_no(value: str) -> str:
    word = value.strip().lower()
    if word not in _YES + _NO:
        raise InvalidInput(f"'{value}' 无效，应为 是 或 否")
    return "是" if word in _YES else "否"


def is_yes(value: str) -> bool:
    return value == "是"


@dataclass(frozen=True)
class Known:
    default: str
    description: str
    clean: Callable[[str], str]
    process: str | None = None  # a value the process's diagram reads from its start data
    value: Callable[[str], Any] = int  # how the diagram reads it: days by default, or a list of codes


_ENGINE: dict[str, Known] = {
    # DOMAIN: Civil Code art. 203 — 24:00, or close of business where the office has business hours.
    "close_of_business": Known("24:00", "期限届满当日的截止时刻 (下班时间)", _clock_time),
    # Diagram code runs in the command's process: a runaway script must end, with an error naming its element.
    "script_cpu_seconds": Known("2", "脚本、表达式与说明模板每次求值的 CPU 时间上限 (秒)", _positive(60)),
    "script_memory_mb": Known("256", "脚本、表达式与说明模板每次求值的内存上限 (MB)", _positive(4096, True)),
    "definition_max_mb": Known("2", "部署的流程图或表单文件大小上限 (MB)", _positive(64)),
    # Evidence cannot be borrowed (engine/files.py): uploads no case uses yet are their uploader's alone, few, brief.
    "upload_unlinked_max": Known("50", "每个用户上传后尚未在表单中使用的文件数上限", _positive(10000, True)),
    # L§13(六), issue 19: the chain heads are signed periodically, so a recomputed chain or a deleted case shows.
    "audit_checkpoint_days": Known("1", "定时任务写入审计签名检查点的间隔 (自然日；需设置审计签名密钥)", days),
    "upload_unlinked_days": Known("7", "上传后未在任何表单中使用的文件保留天数 (自然日)，过期由定时任务删除", days),
    # 等保 2.0 (GB/T 22239-2019 8.1.4.1): limit failed sign-ins, end sessions, protect what travels.
    "login_lockout_count": Known("5", "同一账户连续登录失败多少次后锁定 (次)", _positive(100, True)),
    "login_address_lockout_count": Known("20", "同一来源地址登录失败多少次后锁定该地址 (次)", _positive(1000, True)),
    "login_lockout_minutes": Known("15", "登录失败的计数时段与锁定时长 (分钟)", _positive(1440, True)),
    "token_lifetime_days": Known("90", "API 令牌自签发起的有效期 (自然日)", days),
    "session_cookie_secure": Known("否", "会话 Cookie 只经 HTTPS 发送 (Secure；是/否；重启服务后生效)", _yes_no),
    "trusted_proxies": Known("0", "信任的反向代理层数：据其 X-Forwarded-For/Proto/Host 头取用户地址与协议 "
                             "(0 为不信任；重启服务后生效)", _count(5)),
}


@cache
def known() -> dict[str, Known]:
    """The engine's settings and those the operators' package declares for its processes (`handlers.registry`)."""
    return {**_ENGINE, **registry.settings()}


CALENDAR_REVISION = "calendar_revision"  # changes whenever holidays or close of business change
DIRECTORY_REVISION = "directory_revision"  # changes whenever an organisation is added
_REVISIONS = (CALENDAR_REVISION, DIRECTORY_REVISION)


_ALL = select(Setting.__table__.c.key, Setting.__table__.c.value)  # built once: every command reads it


def values(session: Session) -> dict[str, str]:
    """Every known setting with its current value (the default where none is stored)."""
    stored = dict(direct.rows(session, _ALL, {}))
    return {key: stored.get(key, known.default) for key, known in known().items()} | {
        key: stored[key] for key in _REVISIONS if key in stored}


def for_process(stored: dict[str, str], process_id: str) -> dict[str, Any]:
    """The settings a process's diagram reads (day counts, lists of codes), as `values` gives them."""
    return {key: known.value(stored.get(key, known.default)) for key, known in known().items()
            if known.process == process_id}


def _put(session: Session, key: str, value: str, actor: str, now: datetime) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=now, updated_by=actor))
    else:
        row.value, row.updated_at, row.updated_by = value, now, actor


def change(session: Session, key: str, value: str, actor: str, now: datetime) -> str:
    """Validate and store one setting; returns the stored form. A change of close of business is a
    calendar change: callers follow it with `holidays.changed`."""
    setting = known().get(key)
    if setting is None:
        raise InvalidInput(f"没有名为 {key} 的设置 (可用: {', '.join(known())})")
    clean = setting.clean(value)
    if setting.clean is codes:
        unknown = set(clean.split(",")) - set(session.scalars(select(Organisation.code)))
        if unknown:
            raise InvalidInput(f"单位 {', '.join(sorted(unknown))} 不存在 (zhunru org list 列出全部单位)")
    _put(session, key, clean, actor, now)
    return clean


def new_revision(session: Session, key: str, actor: str, now: datetime) -> str:
    """Mark what `key` stands for (calendar, directory) as changed, so every process rereads it; returns
    the new token."""
    token = uuid.uuid4().hex
    _put(session, key, token, actor, now)
    return token
