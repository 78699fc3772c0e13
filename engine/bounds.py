"""CPU-time and memory bounds on the code a diagram carries (scripts, expressions, instruction templates).

Why this design. Diagram code runs inside the command that reaches it, in the command's process and
transaction; a child process per evaluation would cost more than the whole command. So run-time evaluation
is bounded in-process, in two layers:

* CPU: while the evaluation runs, a trace function sees each opcode of the diagram's own code (only code
  compiled as ``<script>`` or ``<template>``; library code runs untraced) and every few hundred events
  compares the thread's CPU time with the deadline and the resident memory with the ceiling. A loop in the
  diagram's code cannot avoid producing those events.
* Single C-level operations, which no tracer interrupts (``10**10**10``, ``"x" * 10**10``, ``" ".ljust(n)``,
  ``f"{0:>{n}}"``, ``list(range(10**12))``): the sandbox compiles ``*``, ``**``, ``<<``, ``%``, ``+`` and
  format specifications into calls of `binop` and `formatted`, and hands out guarded ``range``, ``pow`` and
  growing string methods; each estimates the size of its result before computing it and refuses what would
  not fit in the memory left (integers are held to `MAX_INT_BITS`, beyond any use and any CPU budget).

An owner's expression evaluated while deploying runs in a child process under ``setrlimit`` instead
(`evaluate_isolated`): a web request never waits on it beyond the limit, whatever C code it reaches.
"""
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.errors import LimitExceeded

SCRIPT_FILE, TEMPLATE_FILE = "<script>", "<template>"
_TRACED = frozenset({SCRIPT_FILE, TEMPLATE_FILE})
_CHECK_EVERY = 500  # trace events between two looks at the clock and the memory (~2 µs each)
MAX_INT_BITS = 1 << 17  # 131072 bits, ~39,000 digits: far beyond any amount or count
_SMALL = 1 << 16  # results below this many bytes need no look at the memory


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 2.0
    memory_bytes: int = 256 * 2**20

    @classmethod
    def of(cls, stored: dict[str, str]) -> "Limits":
        """The limits in the settings (`engine.settings.values`)."""
        cpu = stored.get("script_cpu_seconds")
        memory = stored.get("script_memory_mb")
        return cls(float(cpu) if cpu else cls.cpu_seconds,
                   int(float(memory) * 2**20) if memory else cls.memory_bytes)

    def cpu_text(self) -> str:
        return f"超出 CPU 时间限制 {self.cpu_seconds:g} 秒"

    def memory_text(self) -> str:
        return f"超出内存限制 {self.memory_bytes / 2**20:g} MB"


DEFAULT = Limits()


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Statm:
    """Resident memory of this process, read from /proc (kept open; reopened after a fork)."""

    pid = -1
    fd = -1

    @classmethod
    def rss(cls) -> int | None:
        try:
            if cls.pid != os.getpid():
                cls.fd, cls.pid = os.open("/proc/self/statm", os.O_RDONLY), os.getpid()
            return int(os.pread(cls.fd, 64, 0).split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return None


class Budget:
    """One evaluation's allowance; `check` raises LimitExceeded once it is spent."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.thread_time() + limits.cpu_seconds
        start = _Statm.rss()
        self.ceiling = start + limits.memory_bytes if start is not None else None
        self.countdown = _CHECK_EVERY

    def check(self) -> None:
        self.countdown = _CHECK_EVERY
        if time.thread_time() > self.deadline:
            raise LimitExceeded(self.limits.cpu_text())
        if self.ceiling is not None and (_Statm.rss() or 0) > self.ceiling:
            raise LimitExceeded(self.limits.memory_text())

    def room(self, size: int) -> None:
        """Refuse a result of `size` bytes that would not fit in what is left of the memory limit."""
        if size > self.limits.memory_bytes:
            raise LimitExceeded(self.limits.memory_text())
        if size > _SMALL and self.ceiling is not None and (_Statm.rss() or 0) + size > self.ceiling:
            raise LimitExceeded(self.limits.memory_text())

    def trace(self, frame: Any, event: str, arg: Any) -> Callable | None:
        if frame.f_code.co_filename not in _TRACED:
            return None
        # Opcodes, not lines: a loop written on one line (`while True: pass`) raises no line events.
        frame.f_trace_opcodes, frame.f_trace_lines = True, False
        return self._local(frame, event, arg)

    def _local(self, frame: Any, event: str, arg: Any) -> Callable:
        self.countdown -= 1
        if self.countdown <= 0:
            self.check()
        return self._local


_thread = threading.local()  # the budget of the evaluation running on this thread


def _budget() -> Budget:
    return getattr(_thread, "budget", None) or Budget(DEFAULT)


def room(size: int) -> None:
    """Refuse to build a result of `size` bytes beyond what the running evaluation has left."""
    _budget().room(size)


@contextmanager
def bounded(limits: Limits) -> Iterator[Budget]:
    """Run the block's diagram code under `limits`; a nested block keeps the outer allowance."""
    outer = getattr(_thread, "budget", None)
    if outer is not None:
        yield outer
        return
    budget = Budget(limits)
    previous = sys.gettrace()
    _thread.budget = budget
    sys.settrace(budget.trace)
    try:
        yield budget
    finally:
        sys.settrace(previous)
        _thread.budget = None


# --- size estimates of single operations -------------------------------------------------------------

def _unit(value: Any) -> int:
    if isinstance(value, str):
        return 1 if value.isascii() else 4
    if isinstance(value, (bytes, bytearray)):
        return 1
    return 8  # a list or tuple holds one pointer per item


def _int_result(bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(f"计算的整数超出上限 {MAX_INT_BITS} 位")


def _ints(a: Any, b: Any) -> bool:
    return isinstance(a, int) and isinstance(b, int)


_SEQUENCES = (str, bytes, bytearray, list, tuple)


def _repeat(seq: Any, n: Any) -> None:
    if isinstance(n, int) and n > 0:
        _budget().room(len(seq) * n * _unit(seq))


def _power(base: Any, exponent: Any) -> None:
    if _ints(base, exponent) and exponent > 0 and abs(base) > 1:
        _int_result(exponent * math.log2(abs(base)))


_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _printf(fmt: str, args: Any) -> None:
    values = args if isinstance(args, tuple) else (args,)
    star = max((v for v in values if isinstance(v, int)), default=0)
    widths = [int(w) if w.isdigit() else star for m in _PRINTF.finditer(fmt) for w in m.groups() if w]
    _budget().room(len(fmt) + sum(widths))


def _check_binop(op: str, a: Any, b: Any) -> None:
    if op == "*":
        if _ints(a, b):
            _int_result(a.bit_length() + b.bit_length())
        elif isinstance(a, _SEQUENCES):
            _repeat(a, b)
        elif isinstance(b, _SEQUENCES):
            _repeat(b, a)
    elif op == "**":
        _power(a, b)
    elif op == "<<":
        if _ints(a, b) and a and b > 0:
            _int_result(a.bit_length() + b)
    elif op == "%":
        if isinstance(a, str):
            _printf(a, b)
    elif op == "+" and isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        size = (len(a) + len(b)) * max(_unit(a), _unit(b))
        if size > _SMALL:
            _budget().room(size)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "*": lambda a, b: a * b, "**": lambda a, b: a ** b, "<<": lambda a, b: a << b,
    "%": lambda a, b: a % b, "+": lambda a, b: a + b,
}


def binop(op: str, a: Any, b: Any) -> Any:
    """`a op b` for the operators that can build a huge result in one C-level step."""
    _check_binop(op, a, b)
    return _OPERATORS[op](a, b)


def check_inplace(op: str, a: Any, b: Any) -> None:
    """The same check for `a op= b`."""
    if op[:-1] in _OPERATORS:
        _check_binop(op[:-1], a, b)


_SPEC_NUMBERS = re.compile(r"\d+")


def formatted(value: Any, conversion: int, spec: str) -> str:
    """An f-string field with a format specification: its width and precision are sizes."""
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    numbers = _SPEC_NUMBERS.findall(spec)
    # A number too long to read is refused as it stands (Python would refuse it too, but only after trying).
    _budget().room(sum(int(n) if len(n) < 19 else 1 << 62 for n in numbers))
    return format(value, spec)


def guarded_range(*args: int) -> range:
    """range() whose length could not be consumed by one C-level call beyond the memory limit."""
    result = range(*args)
    _budget().room(len(result) * 36)  # a list of it: a pointer and an int object per item
    return result


def guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    if modulus is None:
        _power(base, exponent)
        return base ** exponent
    return pow(base, exponent, modulus)


def _padded(width_at: int) -> Callable[[Callable, Any, tuple, dict], None]:
    def check(method: Callable, obj: Any, args: tuple, kwargs: dict) -> None:
        width = args[width_at] if len(args) > width_at else None
        if isinstance(width, int):
            _budget().room(width * _unit(obj))
    return check


def _replace_check(method: Callable, obj: Any, args: tuple, kwargs: dict) -> None:
    if len(args) >= 2 and isinstance(args[1], (str, bytes)):
        count = obj.count(args[0]) if len(args[0]) else len(obj) + 1
        _budget().room(len(obj) * _unit(obj) + count * len(args[1]) * _unit(args[1]))


def _tabs_check(method: Callable, obj: Any, args: tuple, kwargs: dict) -> None:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int):
        _budget().room(len(obj) + obj.count("\t" if isinstance(obj, str) else b"\t") * size * _unit(obj))


_GROWING: dict[str, Callable[[Callable, Any, tuple, dict], None]] = {
    "ljust": _padded(0), "rjust": _padded(0), "center": _padded(0), "zfill": _padded(0),
    "replace": _replace_check, "expandtabs": _tabs_check,
}


def guard_method(obj: Any, name: str, method: Any) -> Any:
    """A string method that can grow its result far beyond its inputs, checked before it runs."""
    check = _GROWING.get(name)
    if check is None or not isinstance(obj, (str, bytes, bytearray)):
        return method

    def guarded(*args: Any, **kwargs: Any) -> Any:
        check(method, obj, args, kwargs)
        return method(*args, **kwargs)
    return guarded


def data_size(value: Any, limit: int) -> int:
    """Bytes the value takes once written out as JSON, counting shared parts each time they appear (as the
    serializer will); stops counting beyond `limit`."""
    if not isinstance(value, (str, bytes, dict, list, tuple, set, frozenset)):
        return 8
    sizes: dict[int, int] = {}

    def size(v: Any) -> int:
        if isinstance(v, (str, bytes)):
            return len(v) + 2
        if isinstance(v, dict):
            items: Any = [*v.keys(), *v.values()]
        elif isinstance(v, (list, tuple, set, frozenset)):
            items = v
        else:
            return 8
        key = id(v)
        if key not in sizes:
            sizes[key] = limit + 1  # a cycle counts as too large
            total = 2
            for item in items:
                total += size(item) + 1
                if total > limit:
                    break
            sizes[key] = total
        return sizes[key]
    return size(value)


# --- deploy-time evaluation in a child process ------------------------------------------------------

_CHILD = """
import json, resource, sys
request = json.loads(sys.stdin.read())
cpu, memory = request["cpu"], request["memory"]
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from engine.sandbox import SandboxEnvironment
resource.setrlimit(resource.RLIMIT_AS, (used * 4 + memory, used * 4 + memory))
try:
    value = SandboxEnvironment().evaluate(request["expression"], {})
    print(json.dumps({"value": value if isinstance(value, (str, int, float, bool)) else repr(value)[:200]}))
except MemoryError:
    print(json.dumps({"exceeded": "memory"}))
except Exception as exc:
    from engine.errors import LimitExceeded
    key = "exceeded_text" if isinstance(exc, LimitExceeded) else "error"
    print(json.dumps({key: f"{exc}" if key != "error" else f"{type(exc).__name__}: {exc}"[:500]}))
"""


def evaluate_isolated(expression: str, limits: Limits) -> Any:
    """Evaluate an expression of a diagram being deployed in a child process under setrlimit; raises
    LimitExceeded on overrun and ValueError for any other failure."""
    cpu = max(1, math.ceil(limits.cpu_seconds))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    request = json.dumps({"expression": expression, "cpu": cpu, "memory": limits.memory_bytes})
    try:
        # The wall-clock bound only backs the CPU limit up (a child that sleeps would not spend CPU).
        done = subprocess.run(  # noqa: S603 - our own code, run by our interpreter
            [sys.executable, "-c", _CHILD], input=request, capture_output=True, text=True,
            cwd=root, timeout=cpu * 4 + 10, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LimitExceeded(limits.cpu_text()) from exc
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        # Killed by the kernel: SIGXCPU/SIGKILL on the CPU limit, or an allocation past RLIMIT_AS.
        raise LimitExceeded(limits.cpu_text() if done.returncode in (-9, -24) else limits.memory_text()) from None
    if answer.get("exceeded") == "memory":
        raise LimitExceeded(limits.memory_text())
    if "exceeded_text" in answer:
        raise LimitExceeded(answer["exceeded_text"])
    if "error" in answer:
        raise ValueError(answer["error"])
    return answer["value"]
