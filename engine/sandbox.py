"""Scripts and expressions run under RestrictedPython with a small documented set of functions, within the
CPU-time and memory limits of `engine.bounds`."""
import ast
import contextvars
import json
import logging
import math
import operator
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from RestrictedPython import RestrictingNodeTransformer, compile_restricted, safe_globals
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import bounds, inputs
from engine.errors import HandlerError, InvalidInput, LimitExceeded, ZhunruError
from engine.timing import calendar
from engine.timing.clock import SHANGHAI, engine_now

log = logging.getLogger("zhunru.script")

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    bounds.check_inplace(op, target, value)
    return _INPLACE[op](target, value)


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    return bounds.guard_method(obj, name, safer_getattr(obj, name, default))


class _LoggedPrint(PrintCollector):
    """print() in a diagram's script goes to the log (logger zhunru.script, with the case and the step), never to
    a command's JSON output."""

    def _call_print(self, *objects, **kwargs):
        task = _evaluating.get()
        log.info("%s", " ".join(str(o) for o in objects),
                 extra={"case_id": _case.get(), "step": task.task_spec.bpmn_id if task is not None else None})


_evaluating: contextvars.ContextVar[Any] = contextvars.ContextVar("zhunru_evaluating", default=None)
_case: contextvars.ContextVar[str | None] = contextvars.ContextVar("zhunru_script_case", default=None)


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


def _deadline_since(start: str, n: int, unit: str = "working") -> str:
    """Due instant of n working (or, with unit "calendar", calendar) days counted from a day recorded in the case
    (a clue's day of receipt, the day a responsible unit was designated), not from the clock: the same due
    however late the step is reached or entered again. Counted by rule, so recounted on a holiday import."""
    text = str(start)
    received = (datetime.fromisoformat(text) if "T" in text
                else datetime.combine(date.fromisoformat(text), datetime.min.time(), SHANGHAI))
    if received.tzinfo is None:
        received = received.replace(tzinfo=SHANGHAI)
    rule = "calendar" if unit == "calendar" else "working"
    deadline = (calendar.calendar_deadline if rule == "calendar" else calendar.working_deadline)(received, int(n))
    _note_basis(rule, int(n), received, deadline)
    return deadline.due_at.isoformat()


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
    "deadline_since": _deadline_since,
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
    "_getattr_": _guarded_getattr,
    "_binop_": bounds.binop,
    "_format_": bounds.formatted,
    "range": bounds.guarded_range,
    "pow": bounds.guarded_pow,
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
    if any("\x00" in k for k in data):
        raise InvalidInput(f"{what}中的字段名含有不允许的空字符 (\\u0000)")
    for key in data:
        inputs.check_text(key, f"{what}中的字段名", lines=True)
    # Lone surrogates, integers beyond a database column and nesting beyond any form: `engine.inputs`.
    stack: list[tuple[str, Any, int]] = [(str(k), v, 1) for k, v in data.items()]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(f"{what}的字段 {inputs.shown(path)} 含有不允许的空字符 (\\u0000)")
        if isinstance(value, float) and not math.isfinite(value):  # not JSON: no database would keep it
            raise InvalidInput(f"{what}的字段 {inputs.shown(path)} 不是有限的数值 (NaN 或无穷大)")
        inputs.check_value(value, what, path, depth)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    raise InvalidInput(f"{what}的字段 {inputs.shown(path)} 含有不允许的空字符 (\\u0000)")
                if isinstance(key, str):
                    inputs.check_text(key, f"{what}的字段 {inputs.shown(path)} 中的字段名", lines=True)
                stack.append((f"{path}.{key}", item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))


# Callables the sandbox does not provide: a call of one can only fail at run time, so it is refused at deploy.
_REFUSED_CALLS = frozenset({"vars", "locals", "globals", "dir", "eval", "exec", "compile", "__import__", "open",
                            "input", "breakpoint", "help", "exit", "quit", "getattr", "hasattr", "memoryview",
                            "type", "super", "object", "format", "iter", "next"})
SourceMode = Literal["exec", "eval"]  # how a source compiles: a script, or one expression
_GUARDED_OPS: dict[type, str] = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%", ast.Add: "+"}


def _bound_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
            if not isinstance(node, ast.Lambda):
                names.add(node.name)
            if not isinstance(node, ast.ClassDef):  # a class binds its name; its bases are expressions
                names.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
    return names


class _BoundedPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, with the operators that can build a huge result in one step routed through
    `bounds.binop`, format specifications through `bounds.formatted`, and what can only fail at run time
    (imports, calls of functions the sandbox lacks) refused when compiling."""

    bound: set[str] = frozenset()  # type: ignore[assignment]

    def visit_Module(self, node: ast.Module) -> Any:
        self.bound = _bound_names(node)
        return super().visit_Module(node)

    def visit_Expression(self, node: ast.Expression) -> Any:
        self.bound = _bound_names(node)
        return super().visit_Expression(node)

    def visit_Import(self, node: ast.AST) -> Any:
        self.error(node, "沙箱中不能 import 模块")
        return node

    visit_ImportFrom = visit_Import

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _REFUSED_CALLS and node.func.id not in self.bound:
            self.error(node, f"沙箱中没有 {node.func.id}()")
        return super().visit_Call(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()), args=[ast.Constant(op), node.left, node.right],
                        keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        call = ast.Call(func=ast.Name("_format_", ast.Load()),
                        args=[node.value, ast.Constant(node.conversion), node.format_spec], keywords=[])
        field = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(field, node))


@lru_cache(maxsize=4096)
def compile_sandboxed(source: str, mode: SourceMode = "exec"):
    """Compile once per distinct source; raises SyntaxError naming what the sandbox refuses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile_restricted(source, bounds.SCRIPT_FILE, mode, policy=_BoundedPolicy)


def element_label(spec: Any) -> str:
    """How messages name a diagram element: 环节「核查」(verify), or 环节 verify when it has no name."""
    name, bpmn_id = getattr(spec, "bpmn_name", None), getattr(spec, "bpmn_id", None) or getattr(spec, "name", "")
    return f"环节「{name}」({bpmn_id})" if name and name != bpmn_id else f"环节 {bpmn_id}"


def _what_evaluates(task: Any, script: bool) -> str:
    if script:
        return "脚本"
    spec = task.task_spec
    if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
        return "定时器表达式"
    if getattr(spec, "cond_task_specs", None):
        return "条件表达式"
    return "表达式"


@contextmanager
def _limited(limits: bounds.Limits, script: bool):
    """Run under the limits; an overrun names the element being evaluated, when there is one."""
    try:
        with bounds.bounded(limits):
            yield
    except LimitExceeded as exc:
        task = _evaluating.get()
        if exc.where is not None or task is None:
            raise
        raise LimitExceeded(exc.detail, f"{element_label(task.task_spec)} 的{_what_evaluates(task, script)}") from None
    except MemoryError:
        raise LimitExceeded(limits.memory_text()) from None


def _is_data(key: str, value: Any) -> bool:
    return not key.startswith("_") and not callable(value) and type(value).__name__ != "module"


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Task data are the script's variables; results that are data go back into the task."""

    def __init__(self, limits: bounds.Limits = bounds.DEFAULT):
        super().__init__()
        self.limits = limits

    def evaluate(self, expression, context, external_context=None):
        scope = dict(_BASE_GLOBALS)
        scope.update(external_context or {})
        scope.update(context)
        with _limited(self.limits, script=False):
            value = eval(compile_sandboxed(expression, "eval"), scope)  # noqa: S307 - RestrictedPython code
            self._check_size(value)
        return value

    def execute(self, script, context, external_context=None):
        scope = dict(_BASE_GLOBALS)
        scope.update(external_context or {})
        scope.update(context)
        external = external_context or {}
        with _limited(self.limits, script=True):
            exec(compile_sandboxed(script, "exec"), scope)  # noqa: S102 - RestrictedPython code
            results = {k: v for k, v in scope.items()
                       if _is_data(k, v) and (k not in _RESERVED or v is not _BASE_GLOBALS[k]) and k not in external}
            self._check_size(results)
        context.clear()
        context.update(results)
        return True

    def _check_size(self, value: Any) -> None:
        """Shared parts are written out in full when the task's data are saved: count them so."""
        if bounds.data_size(value, self.limits.memory_bytes) > self.limits.memory_bytes:
            raise LimitExceeded(f"结果数据{self.limits.memory_text()}")


ServiceCaller = Callable[[Any, str, dict[str, Any]], Any]


class ZhunruScriptEngine(PythonScriptEngine):
    """Spiff's script engine with the sandbox and service calls through our handler registry."""

    def __init__(self, call_service: ServiceCaller | None = None, limits: bounds.Limits = bounds.DEFAULT,
                 case_id: str | None = None):
        super().__init__(environment=SandboxEnvironment(limits))
        self._call_service = call_service
        self.case_id = case_id  # named in what the diagram's print() logs

    def evaluate(self, task, expression, external_context=None):
        token, case = _evaluating.set(task), _case.set(self.case_id)
        try:
            return super().evaluate(task, expression, external_context)
        finally:
            _evaluating.reset(token)
            _case.reset(case)

    def execute(self, task, script, external_context=None):
        token, case = _evaluating.set(task), _case.set(self.case_id)
        try:
            return super().execute(task, script, external_context)
        finally:
            _evaluating.reset(token)
            _case.reset(case)

    def create_task_exec_exception(self, task, script, err):
        # Spiff's own joins err.args[0] to a text and fails on an error whose first argument is not one.
        if not isinstance(err, ZhunruError) and err.args and not isinstance(err.args[0], str):
            try:
                err = type(err)(str(err))
            except Exception:  # noqa: BLE001 - an exception type that takes other arguments
                err = RuntimeError(f"{type(err).__name__}: {err}")
        return super().create_task_exec_exception(task, script, err)

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        if self._call_service is None:
            raise HandlerError(operation_name or "?", task.task_spec.name, "此处不能调用服务任务")
        result = self._call_service(task, operation_name, params)
        return json.dumps(result, ensure_ascii=False, default=str)


def original_error(exc: BaseException) -> BaseException:
    """What a script or expression raised, out of the WorkflowTaskException Spiff wraps it in (raised while
    handling it, without keeping it as an attribute)."""
    if isinstance(exc, WorkflowTaskException):
        return exc.__cause__ or exc.__context__ or exc
    return exc


def describe_failure(exc: Exception, task: Any) -> str:
    """What a user reads when the engine raised: the element by name and id, then what went wrong."""
    original = original_error(exc)
    if isinstance(original, ZhunruError):
        return str(original)
    task = task if task is not None else getattr(exc, "task", None)
    spec = task.task_spec if task is not None else getattr(exc, "task_spec", None)
    where = element_label(spec) if spec is not None else "流程"
    detail = str(original) if original is exc else f"{type(original).__name__}: {original}"
    return f"{where} 执行出错: {detail}"
