"""What every `zhunru` subcommand shares: one transaction per command, errors as one clear line each."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine.errors import InvalidInput, ZhunruError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from engine.people import directory

PROJECT_ROOT = Path.cwd()


class _State:
    def __init__(self) -> None:
        self._sessions = None

    @property
    def sessions(self):
        if self._sessions is None:
            from engine.store.db import make_engine, make_sessionmaker  # SQLAlchemy: not for `zhunru --help`

            self._sessions = make_sessionmaker(make_engine())
        return self._sessions


state = _State()


@contextmanager
def transaction() -> Iterator[Session]:
    """One command, one transaction: committed when the block ends, rolled back on any error."""
    with state.sessions() as session, session.begin():
        yield session


def fail(message: str) -> None:
    for line in message.splitlines() or [message]:
        click.echo(f"错误: {line}", err=True)
    sys.exit(2)


def _check_arguments(kwargs: dict[str, Any]) -> None:
    """Arguments arrive as the terminal wrote them: bytes that are not UTF-8 become lone surrogates, which
    no database, hash or JSON output can take. Refuse them, and NUL, naming the argument."""
    from engine import inputs

    for name, value in kwargs.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str):
                inputs.check_text(item, f"参数 {name}", lines=True)


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map every expected failure to exit status 2 and a message naming what is wrong."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import DBAPIError  # imported when a command runs, not for `zhunru --help`

        try:
            _check_arguments(kwargs)
            return func(*args, **kwargs)
        except ZhunruError as exc:
            fail(str(exc))
        except DBAPIError as exc:
            fail(f"数据库错误 (是否已运行 zhunru init?): {exc.orig}")
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def json_arg(text: str | None, option: str) -> dict[str, Any]:
    if text is None:
        return {}
    from engine import inputs

    value = inputs.loads(text, f"{option} ")
    if not isinstance(value, dict):
        raise InvalidInput(f"{option} 必须是 JSON 对象")
    return value


def emit(as_json: bool, value: Any, text: Callable[[Any], str]) -> None:
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False, default=str, indent=None))
    else:
        click.echo(text(value))


def actor(session: Session, username: str) -> directory.Actor:
    from engine.people import directory

    return directory.actor(session, username)


def due_text(task: dict[str, Any]) -> str:
    """A task's deadline with its card, as staff read it in a terminal."""
    if not task["due_at"]:
        return "-"
    card = {"green": "绿牌", "yellow": "黄牌 即将到期", "red": "红牌 已逾期"}[task["card"]]
    return f"{task['due_at']} [{card}]" + (" (暂按周一至周五计算)" if task["provisional"] else "")


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: 无法读取: {exc.strerror}") from exc


def write_file(path: str | Path, content: bytes) -> None:
    try:
        Path(path).write_bytes(content)
    except OSError as exc:
        raise InvalidInput(f"{path}: 无法写入: {exc.strerror}") from exc
