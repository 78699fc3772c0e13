"""Database connection: SQLite file by default (WAL), PostgreSQL through ZHUNRU_DATABASE_URL."""
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///instance/zhunru.db"


def database_url() -> str:
    """The configured database: ZHUNRU_DATABASE_URL, else a SQLite file under ./instance/."""
    return os.environ.get("ZHUNRU_DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout for several processes."""
    url = url or database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Take the write lock at the start, so two processes never deadlock on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def conflict_insert(session: Session, model: Any) -> Any:
    """An INSERT that takes ON CONFLICT clauses, in the dialect of the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite  # not at start: PostgreSQL's dialect is slow to import

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
