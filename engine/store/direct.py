"""Core statements of the command path, run straight on the driver's cursor in the session's transaction.

SQLAlchemy still writes the SQL (compiled once per dialect and set of parameter names) and converts values
with the columns' types. What is skipped is its per-call execution machinery: in the engine benchmark that
was a third of a command's time, 60–150 µs a statement against the driver's own 7–40 µs. Only plain
statements qualify (no expanding IN, no RETURNING, no defaults but constants); `_compile` refuses the others,
so a statement that does not fit fails on its first use, in the tests."""
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Insert, exc
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.schema import ScalarElementColumnDefault


class _Compiled(NamedTuple):
    statement: Executable  # held, so its id is not reused while it is cached
    sql: str
    positional: bool  # the driver takes a tuple in `slots` order (SQLite's "?"), else a dict (PostgreSQL)
    slots: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # each parameter, with its type's conversion
    fixed: dict[str, Any]  # parameters the caller does not give: literals in the statement, INSERT defaults
    results: tuple[Callable[[Any], Any] | None, ...] | None  # per selected column; None when none converts


_CACHE: dict[tuple[int, str, tuple[str, ...]], _Compiled] = {}


def _compile(statement: Executable, dialect: Any, keys: tuple[str, ...]) -> _Compiled:
    # An inline INSERT fetches no generated key back (PostgreSQL would add RETURNING for one).
    target = statement.inline() if isinstance(statement, Insert) else statement
    if not isinstance(target, ClauseElement):
        raise exc.ArgumentError(f"not a statement for direct execution: {target!r}")
    # A Core statement compiles with its dialect's SQL compiler (compile() is typed as giving any Compiled).
    compiled = cast(SQLCompiler, target.compile(dialect=dialect, column_keys=list(keys)))
    fixed = {column.key: column.default.arg for column in compiled.insert_prefetch
             if isinstance(column.default, ScalarElementColumnDefault)}
    if (compiled.literal_execute_params or compiled.post_compile_params or compiled.update_prefetch
            or len(fixed) != len(compiled.insert_prefetch) or compiled.escaped_bind_names
            or compiled.effective_returning):
        raise exc.ArgumentError(f"not a statement for direct execution: {compiled.string}")
    for name, bind in compiled.binds.items():
        if name not in keys and name not in fixed:
            if bind.required:
                raise exc.ArgumentError(f"no value for parameter {name!r} of: {compiled.string}")
            fixed[name] = bind.effective_value
    slots = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                  for name in ((compiled.positiontup or ()) if compiled.positional else compiled.binds))
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in getattr(statement, "selected_columns", ()))
    return _Compiled(statement, compiled.string, compiled.positional, slots, fixed,
                     results if any(results) else None)


def _connection(session: Session) -> Connection:
    """The connection of the session's transaction, begun if need be (asking the session costs ~10 µs)."""
    held = session.info.get("direct_connection")
    if held is None or held.closed or not held.in_transaction():
        held = session.info["direct_connection"] = session.connection()
    return held


def _driver_values(prepared: _Compiled, params: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
    given = prepared.fixed | params if prepared.fixed else params
    values = ((name, given[name] if process is None else process(given[name])) for name, process in prepared.slots)
    return tuple(value for _, value in values) if prepared.positional else dict(values)


def _run(session: Session, statement: Executable, rows: list[dict[str, Any]], fetch: bool) -> tuple[int, list]:
    connection = _connection(session)
    dialect = connection.dialect
    key = (id(statement), dialect.name, tuple(sorted(rows[0])))
    prepared = _CACHE.get(key)
    if prepared is None:
        prepared = _CACHE[key] = _compile(statement, dialect, key[2])
    values = [_driver_values(prepared, row) for row in rows]
    sql = prepared.sql
    driver = connection.connection.driver_connection
    assert driver is not None  # a connection in a transaction holds its driver's connection
    cursor = driver.cursor()
    try:
        if len(values) > 1:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values[0])
        fetched = cursor.fetchall() if fetch else []
        count = cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        # Reported as SQLAlchemy reports a driver's error, so callers catch one kind.
        raise exc.DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
    finally:
        cursor.close()
    if prepared.results is not None:
        fetched = [tuple(value if process is None or value is None else process(value)
                         for process, value in zip(prepared.results, row, strict=True)) for row in fetched]
    return count, fetched


def execute(session: Session, statement: Executable, params: dict[str, Any] | list[dict[str, Any]]) -> int:
    """Run an INSERT, UPDATE or DELETE once, or once per row of a list; returns the rows it touched."""
    batch = params if isinstance(params, list) else [params]
    return _run(session, statement, batch, fetch=False)[0] if batch else 0


def rows(session: Session, statement: Executable, params: dict[str, Any]) -> list[tuple]:
    """The rows of a SELECT, as tuples of the selected columns' values."""
    return _run(session, statement, [params], fetch=True)[1]
