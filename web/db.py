"""One database transaction per request command, from the app's session factory."""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session


@contextmanager
def transaction() -> Iterator[Session]:
    """Committed when the block ends, rolled back on any error."""
    with current_app.config["SESSIONS"]() as session, session.begin():
        yield session
