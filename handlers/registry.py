"""The registry of service-task operators; the engine reaches handlers only through it."""
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine imports this registry while it loads (and `zhunru setting show` only for settings)
    from marshmallow import Schema
    from sqlalchemy.orm import Session

    from engine.operator_context import OperatorContext, RegisterWrite


@dataclass(frozen=True)
class Operator:
    name: str
    description: str
    params: type["Schema"]
    handle: Callable[[dict[str, Any], "OperatorContext"], dict[str, Any]]
    # Run again when a case is replayed, for what it does to the case itself (an extension moves a deadline)
    # or to a register that checks the replay (the ledgers); the others' recorded answers stand for them.
    replayed: bool = False

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
def _schema(params: type["Schema"]) -> "Schema":
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


def settings() -> dict[str, Any]:
    """The settings of local practice the processes read (handlers/local_settings.py)."""
    from .local_settings import SETTINGS

    return SETTINGS


def replay_checks() -> list[Callable[["Session", str, list["RegisterWrite"]], str | None]]:
    """The registers' checks of what a replay wrote against what they keep; each answers what differs."""
    from .registers import ledger_check

    return [ledger_check.check]


def get(name: str) -> Operator | None:
    return operators().get(name)
