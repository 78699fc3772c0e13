"""A step's instructions for the person doing it: a Jinja template over the case data, sandboxed and held to
the same CPU-time and memory limits as the diagram's scripts (`engine.bounds`)."""
import logging
from typing import Any

import jinja2.sandbox

from engine import bounds
from engine.errors import LimitExceeded
from engine.sandbox import element_label

log = logging.getLogger("zhunru.instructions")


def _sized(name: str, width_at: int) -> Any:
    """A built-in filter whose width argument is a size, checked before it runs."""
    original = jinja2.filters.FILTERS[name]

    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        width = args[width_at] if len(args) > width_at else kwargs.get("width")
        if isinstance(width, int):
            bounds.room(width * (len(str(value).splitlines()) or 1))
        return original(value, *args, **kwargs)
    return guarded


class _Bounded(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox (no attributes of internals, bounded ranges) with the sizes of `*`, `**`, `%`, `+`,
    padding and replacing checked before they are computed, as in scripts."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self) -> None:
        super().__init__(autoescape=False)
        self.filters["center"] = _sized("center", 0)
        self.filters["indent"] = _sized("indent", 0)
        self.filters["format"] = lambda value, *args, **kwargs: bounds.binop(
            "%", value, kwargs or args)
        self.filters["replace"] = lambda value, old, new, count=None: bounds.guard_method(
            str(value), "replace", str(value).replace)(old, new, *([count] if count is not None else []))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        return bounds.binop(operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        return bounds.guard_method(obj, attribute, super().getattr(obj, attribute))


_JINJA = _Bounded()


def render(spec: Any, data: dict[str, Any], limits: bounds.Limits) -> str | None:
    """The step's instructions with case variables filled in; a template that fails shows as written, one
    that runs over a limit shows what went wrong, naming the step."""
    raw = (getattr(spec, "extensions", None) or {}).get("instructionsForEndUser")
    if not raw:
        return None
    try:
        with bounds.bounded(limits):
            return _JINJA.from_string(raw).render(**data)
    except LimitExceeded as exc:
        message = f"{element_label(spec)} 的说明模板{exc.detail}"
        log.warning("%s", message)
        return message
    except MemoryError:
        return f"{element_label(spec)} 的说明模板{limits.memory_text()}"
    except jinja2.TemplateError:
        return raw
