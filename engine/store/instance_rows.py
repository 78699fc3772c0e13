"""The instance row a command reads and writes with Core statements built once: the row it locks, the INSERT
of a new case and the UPDATE of a saved one, refused when the row version moved since the command loaded it,
like the other rows a save writes (the ORM's flush of it cost ~90 µs against ~25 µs)."""
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value
from sqlalchemy.orm.util import identity_key

from engine.errors import Conflict
from engine.store import direct
from engine.store.models import Definition, Instance

TABLE = Instance.__table__
_COLUMNS = ("title", "state", "updated_at", "completed_at", "error_task", "error_message", "event_seq",
            "event_hash")
# Indexed columns are set only when they change: SQLite rewrites an index entry for every column a statement
# sets, changed or not (two pages of each commit's write-ahead log).
_INDEXED = ("status", "subject_key")
_INSERT = insert(TABLE)
COLUMNS = tuple(TABLE.columns)  # as `attach` takes a row's values
LOCKED = (*COLUMNS, Definition.sha256)  # as `attach_locked` takes them: the row, then its version's digest
_LOCK = {skip: select(*LOCKED).join(Definition, Definition.id == TABLE.c.definition_id)
         .where(TABLE.c.id == bindparam("instance_id")).with_for_update(of=TABLE, skip_locked=skip)
         for skip in (False, True)}


@cache
def _update(indexed: tuple[str, ...]) -> Any:
    return (update(TABLE).where(TABLE.c.id == bindparam("b_id"), TABLE.c.row_version == bindparam("b_version"))
            .values({name: bindparam(name) for name in (*_COLUMNS, *indexed, "row_version")}))


def create(session: Session, **values: Any) -> Instance:
    """Insert a new instance row and return it as the session's persistent, unmodified copy."""
    row = {column.key: None for column in COLUMNS} | {"row_version": 1} | values
    direct.execute(session, _INSERT, row)
    return _loaded(session, row)


def attach(session: Session, values: Sequence[Any]) -> Instance:
    """The session's copy of an instance row just read (values in the order of COLUMNS), as the ORM loads it
    with populate_existing: a copy the session already holds takes the stored values."""
    row = {column.key: value for column, value in zip(COLUMNS, values, strict=True)}
    held = session.identity_map.get(identity_key(Instance, (row["id"],)))
    if held is None:
        return _loaded(session, row)
    for name, value in row.items():
        set_committed_value(held, name, value)
    return held


def attach_locked(session: Session, values: Sequence[Any]) -> tuple[Instance, str]:
    """`attach` for the LOCKED columns: the instance and its version's digest."""
    return attach(session, values[:-1]), values[-1]


def locked(session: Session, instance_id: str, skip_locked: bool = False) -> tuple[Instance, str] | None:
    """The instance, locked for this transaction, with its version's digest (one round trip); None when it
    does not exist, or when `skip_locked` and another transaction holds it."""
    found = direct.rows(session, _LOCK[skip_locked], {"instance_id": instance_id})
    return attach_locked(session, found[0]) if found else None


_MANAGER = Instance.__mapper__.class_manager


def _loaded(session: Session, row: dict[str, Any]) -> Instance:
    # Built as the ORM builds what it loads, without the constructor's attribute events (~60 µs against ~20).
    instance = _MANAGER.new_instance()
    instance_dict(instance).update(row)
    make_transient_to_detached(instance)  # as if loaded: the session will not insert it again
    session.add(instance)
    return instance


def write(session: Session, instance: Instance, changes: dict[str, Any]) -> None:
    """Store the instance with these changes under the next row version. The session's copy takes them as
    stored values, so the ORM does not write the row again (and values set on it earlier are written here)."""
    committed = inspect(instance).committed_state
    values = {name: changes.get(name, getattr(instance, name)) for name in _COLUMNS}
    indexed = {}
    for name in _INDEXED:
        value = changes.get(name, getattr(instance, name))
        if value != committed.get(name, getattr(instance, name)):
            indexed[name] = value
    version = instance.row_version
    count = direct.execute(session, _update(tuple(indexed)), {"b_id": instance.id, "b_version": version,
                                                              "row_version": version + 1, **values, **indexed})
    if count != 1:
        raise Conflict(f"实例 {instance.id} 已被他人同时修改，请重试", code="stale_version")
    for name, value in (*values.items(), *indexed.items(), ("row_version", version + 1)):
        set_committed_value(instance, name, value)
