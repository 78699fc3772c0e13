"""The registry of service-task operators; the engine reaches handlers only through it."""
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from marshmallow import Schema


class HandlerContext(Protocol):
    """What a handler may use: the clock, the case, and the engine's outbox services."""

    now: datetime
    instance_id: str
    task_name: str
    data: dict[str, Any]
    case_title: str

    def unit_name(self, code: str | None) -> str | None: ...

    def step_title(self, step: str) -> str: ...

    def notify(self, organisation: str, title: str, body: str) -> None: ...

    def escalate(self, step: str, overdue_unit: str | None, reported_to: str) -> int: ...

    def extend_deadline(self, task_name: str, new_due: datetime, approved_by: str | None,
                        variable: str | None = None) -> dict: ...

    def unit_choices(self, of: str) -> list[dict[str, str]]: ...

    def publish_circular(self, region: str, issuer: str, title: str, body: str) -> dict[str, Any]: ...

    def organisation_exists(self, code: str) -> bool: ...

    def units(self, under: str, kind: str | None = None) -> list[str]: ...

    def region(self, of: str, lead_function: str, also: tuple[str, ...] = ()) -> dict[str, Any]: ...

    def record_ledger(self, ledger: str, item_key: str, **values: Any) -> int: ...

    def allocate_number(self, prefix: str) -> str: ...

    def register_archive(self, archive_no: str, values: dict[str, Any]) -> str: ...

    def mark_archive_reviewed(self, archive_no: str) -> None: ...

    def check_archive(self, prefix: str | None = None) -> dict[str, Any]: ...

    def archive_choices(self, limit: int, prefix: str | None = None) -> list[dict[str, str]]: ...

    def publish_notice(self, title: str, cases: list[dict[str, Any]], issuer: str | None = None) -> dict[str, Any]: ...

    def share_credit(self, kind: str, subject: str, payload: dict[str, Any]) -> int: ...

    def export_ledger(self, ledger: str, item_prefix: str | None) -> str: ...

    def start_process(self, process_id: str, data: dict[str, Any]) -> str: ...

    def open_case_with_subject(self, process_id: str, subject_key: str) -> str | None: ...

    def deliver(self, instance_id: str, name: str, payload: dict[str, Any]) -> str | None: ...


@dataclass(frozen=True)
class Operator:
    name: str
    description: str
    params: type[Schema]
    handle: Callable[[dict[str, Any], HandlerContext], dict[str, Any]]

    def load(self, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters checked and converted by the operator's schema (marshmallow ValidationError if not)."""
        return _schema(self.params).load(params)

    def parameters(self) -> dict[str, dict[str, Any]]:
        """Each parameter with its type and whether it is required, for lint and the modeller."""
        return {
            name: {"type": type(field).__name__, "required": field.required,
                   "description": field.metadata.get("description", "")}
            for name, field in self.params().fields.items()
        }


@cache
def _schema(params: type[Schema]) -> Schema:
    """One instance per operator: loading does not change a schema, and making one costs more than a load."""
    return params()


@cache
def operators() -> dict[str, Operator]:
    """Every module in this package that defines OPERATOR, keyed by operator name."""
    found: dict[str, Operator] = {}
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "registry":
            continue
        module = importlib.import_module(f"handlers.{info.name}")
        operator = getattr(module, "OPERATOR", None)
        if isinstance(operator, Operator):
            if operator.name in found:
                raise RuntimeError(f"operator {operator.name} registered twice")
            found[operator.name] = operator
    return found


def vocabularies() -> dict[str, dict[str, str]]:
    """The shared code lists forms take their options from (handlers/vocabulary.py)."""
    from .vocabulary import VOCABULARIES

    return VOCABULARIES


def get(name: str) -> Operator | None:
    return operators().get(name)
