"""Pages name people and units, never their codes. A unit's code and its leader's username are alike
(`city_gov`), so each place says which it shows: `unit_name('city_ndrc')`, `person_name('city_ndrc_clerk')`."""
from typing import Any

from flask import current_app, g
from sqlalchemy import select

from engine.store.models import Organisation, User


def _names() -> tuple[dict[str, str], dict[str, str]]:
    """(organisation code → name, username → display name), read once per request."""
    if "names" not in g:
        with current_app.config["SESSIONS"]() as db:
            g.names = (dict(db.execute(select(Organisation.code, Organisation.name)).all()),
                       {**dict(db.execute(select(User.username, User.display_name)).all()), "system": "系统"})
    return g.names


def unit_name(code: Any) -> Any:
    return _names()[0].get(code, code) if isinstance(code, str) else code


def person_name(username: Any) -> Any:
    return _names()[1].get(username, username) if isinstance(username, str) else username


def holder_name(task: dict[str, Any]) -> Any:
    """Who holds a step: the person it is assigned to, else its unit, else its group."""
    return person_name(task["assignee"]) if task.get("assignee") else unit_name(task.get("organisation")
                                                                                 or task.get("group"))
