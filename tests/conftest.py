import os
from datetime import datetime
from pathlib import Path

# Every command of every test restores its case from the database, and every saved state must round-trip
# (engine/restore_mode.py); set before the engine is imported, and inherited by the CLI processes tests run.
os.environ["ZHUNRU_COLD_RESTORE"] = "1"

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine import definitions  # noqa: E402
from engine.people import credentials, directory  # noqa: E402
from engine.store import schema  # noqa: E402
from engine.store.db import make_engine, make_sessionmaker  # noqa: E402
from engine.timing import holidays  # noqa: E402
from engine.timing.clock import SHANGHAI  # noqa: E402
from handlers import demo_directory

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("ZHUNRU_TEST_DATABASE_URL")


def at(text_: str) -> datetime:
    """A Shanghai wall-clock time written as staff write it: '2026-02-13 09:30'."""
    return datetime.fromisoformat(text_).replace(tzinfo=SHANGHAI)


@pytest.fixture
def db_url(tmp_path):
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return PG_URL
    return f"sqlite:///{tmp_path / 'zhunru.db'}"


@pytest.fixture
def db_engine(db_url):
    engine = make_engine(db_url)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine):
    """A migrated database with the demo organisations and every project definition deployed."""
    factory = make_sessionmaker(db_engine)
    with factory() as session, session.begin():
        holidays.seed(session, "admin", at("2026-01-05 08:00"))
        demo_directory.load_demo(session, at("2026-01-05 08:00"), credentials.demo_password_hash())
        definitions.deploy(session, definitions.project_files(ROOT), "admin", at("2026-01-05 08:00"))
    return factory


@pytest.fixture
def empty_sessions(db_engine):
    """A migrated database with only `admin`, nothing deployed."""
    factory = make_sessionmaker(db_engine)
    with factory() as session, session.begin():
        holidays.seed(session, "admin", at("2026-01-05 08:00"))
        directory.add_user(session, username="admin", display_name="管理员", organisation_code=None, roles=["admin"],
                           now=at("2026-01-05 08:00"))
    return factory
