"""Scripts and expressions run under RestrictedPython with a small documented set of functions."""
import contextvars
import json
import logging
import math
import operator
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted, safe_globals
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import calendar
from .clock import SHANGHAI, engine_now
from .errors import HandlerError, InvalidInput

log = logging.getLogger("zhunru.script")

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE[op](target, value)


class _LoggedPrint(PrintCollector):
    """print() in a diagram's script goes to the log, never to a command's JSON output."""

    def _call_print(self, *objects, **kwargs):
        log.info(" ".join(str(o) for o in objects))


_evaluating: contextvars.ContextVar[Any] = contextvars.ContextVar("zhunru_evaluating", default=None)


def _note_basis(rule: str, n: int, received: datetime, deadline: calendar.Deadline) -> None:
    """On a timer being armed, keep how its deadline was counted, to recount it when a year is imported."""
    task = _evaluating.get()
    if task is None or not isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
        return
    basis = list(task._get_internal_data("deadline_basis") or [])
    basis.append({"rule": rule, "days": n, "received": received.isoformat(),
                  "due": deadline.due_at.isoformat(), "provisional": deadline.provisional})
    task._set_internal_data(deadline_basis=basis)


def _working_deadline(n: int) -> str:
    """Due instant (ISO 8601) of n working days counted from the engine's clock."""
    received = engine_now()
    deadline = calendar.working_deadline(received, int(n))
    _note_basis("working", int(n), received, deadline)
    return deadline.due_at.isoformat()


def _calendar_deadline(n: int) -> str:
    """Due instant (ISO 8601) of n calendar days counted from the engine's clock."""
    received = engine_now()
    deadline = calendar.calendar_deadline(received, int(n))
    _note_basis("calendar", int(n), received, deadline)
    return deadline.due_at.isoformat()


def _working_deadline_from(start: str, n: int) -> str:
    """Due instant of n working days counted from a recorded instant (e.g. an extension counted from
    dispatch); not recounted on a holiday import, like any date a person approved."""
    return calendar.working_deadline(datetime.fromisoformat(str(start)), int(n)).due_at.isoformat()


def _now() -> str:
    return engine_now().astimezone(SHANGHAI).isoformat()


def _end_of_day(day: str) -> str:
    """End of a date written YYYY-MM-DD, for deadlines set by a person; a holiday moves it to the next
    working day (Civil Code art. 203)."""
    return calendar.current().end_of_date(date.fromisoformat(str(day))).isoformat()


# The functions a diagram may call, documented in README.md.
DIAGRAM_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "working_deadline": _working_deadline,
    "calendar_deadline": _calendar_deadline,
    "working_deadline_from": _working_deadline_from,
    "now": _now,
    "end_of_day": _end_of_day,
}

# Builtins that ordinary diagram scripts use and that RestrictedPython's safe set leaves out.
_SAFE_BUILTINS = {
    "sum": sum, "min": min, "max": max, "sorted": sorted, "enumerate": enumerate, "map": map,
    "filter": filter, "any": any, "all": all, "reversed": reversed, "dict": dict, "list": list,
    "set": set, "frozenset": frozenset, "zip": zip, "range": range, "tuple": tuple,
}

_BASE_GLOBALS: dict[str, Any] = {
    **safe_globals,
    **_SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_print_": _LoggedPrint,
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    **DIAGRAM_FUNCTIONS,
}
_RESERVED = frozenset(_BASE_GLOBALS)


def check_data(data: Any, what: str) -> None:
    """Data from outside (start data, form data, messages) must be a JSON object whose names do not
    shadow the diagram functions, whose text has no NUL characters (PostgreSQL refuses them) and whose
    numbers are finite."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}必须是 JSON 对象")
    bad = sorted(k for k in data if not isinstance(k, str) or k.startswith("_") or k in _RESERVED)
    if bad:
        raise InvalidInput(f"{what}中的字段名 {', '.join(map(str, bad))} 不允许 (不能以 _ 开头或与内置函数同名)")
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(f"{what}含有不允许的空字符 (\\u0000)")
        if isinstance(value, float) and not math.isfinite(value):  # not JSON: no database would keep it
            raise InvalidInput(f"{what}含有无效的数值 (NaN 或无穷大)")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


@lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: str = "exec"):
    """Compile once per distinct source; raises SyntaxError naming what the sandbox refuses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile_restricted(source, "<script>", mode)


def _is_data(key: str, value: Any) -> bool:
    return not key.startswith("_") and not callable(value) and type(value).__name__ != "module"


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Task data are the script's variables; results that are data go back into the task."""

    def evaluate(self, expression, context, external_context=None):
        scope = dict(_BASE_GLOBALS)
        scope.update(external_context or {})
        scope.update(context)
        return eval(compile_sandboxed(expression, "eval"), scope)  # noqa: S307 - RestrictedPython code

    def execute(self, script, context, external_context=None):
        scope = dict(_BASE_GLOBALS)
        scope.update(external_context or {})
        scope.update(context)
        exec(compile_sandboxed(script, "exec"), scope)  # noqa: S102 - RestrictedPython code
        external = external_context or {}
        context.clear()
        context.update(
            (k, v) for k, v in scope.items()
            if _is_data(k, v) and (k not in _RESERVED or v is not _BASE_GLOBALS[k]) and k not in external
        )
        return True


ServiceCaller = Callable[[Any, str, dict[str, Any]], Any]


class ZhunruScriptEngine(PythonScriptEngine):
    """Spiff's script engine with the sandbox and service calls through our handler registry."""

    def __init__(self, call_service: ServiceCaller | None = None):
        super().__init__(environment=SandboxEnvironment())
        self._call_service = call_service

    def evaluate(self, task, expression, external_context=None):
        token = _evaluating.set(task)
        try:
            return super().evaluate(task, expression, external_context)
        finally:
            _evaluating.reset(token)

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        if self._call_service is None:
            raise HandlerError(operation_name or "?", task.task_spec.name, "此处不能调用服务任务")
        result = self._call_service(task, operation_name, params)
        return json.dumps(result, ensure_ascii=False, default=str)
