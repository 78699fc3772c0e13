"""Create or upgrade the database schema with Alembic."""
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from engine.errors import InvalidInput

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@cache
def head_revision() -> str | None:
    """The newest revision this code's migrations know (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The revision the database's schema is at; None before `zhunru init` made it."""
    return MigrationContext.configure(conn).get_current_revision()


def outdated_text(current: str | None, head: str | None) -> str:
    return f"数据库结构版本为 {current or '空'}，程序需要 {head}；请先运行 zhunru init"


def require_current(engine: Engine) -> None:
    """Refuse to serve a database whose schema is older than this code (run `zhunru init` first)."""
    with engine.connect() as conn:
        current = current_revision(conn)
    if current != head_revision():
        raise InvalidInput(outdated_text(current, head_revision()))
