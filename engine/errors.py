"""One error hierarchy for the engine; each error carries a stable snake_case `code` and ids, never HTTP codes.

A client tells errors apart by `code`, never by the (Chinese) message. Where one class is raised for reasons a
client must tell apart, an instance carries a more specific code, one of the class's `codes`; only `web/` maps
codes to HTTP statuses.
"""
from typing import ClassVar


class ZhunruError(Exception):
    """Base of every error Zhunru reports to a user."""

    code: str = "error"
    codes: ClassVar[tuple[str, ...]] = ()  # the more specific codes an instance may carry

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            if code not in self.codes:
                raise ValueError(f"{type(self).__name__} has no code {code!r} (known: {self.codes})")
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(ZhunruError):
    """A request's arguments are malformed (bad JSON, bad date, unknown option)."""

    code = "invalid_input"


class NotFound(ZhunruError):
    """The named process, instance, task, user or file does not exist; `what` and `key` name it when known."""

    code = "not_found"

    def __init__(self, message: str, *, what: str | None = None, key: str | int | None = None):
        super().__init__(message)
        self.what = what
        self.key = key


class NotEntitled(ZhunruError):
    """The acting user may not do this."""

    code = "not_entitled"


class Conflict(ZhunruError):
    """The object is not in a state that allows this: a task claimed by someone or no longer open, a version
    changed since the caller read it."""

    code = "conflict"
    codes = ("already_claimed", "task_closed", "stale_version")


class Problem:
    """One thing wrong in a deployed file: which file, which element, what."""

    def __init__(self, filename: str, element_id: str | None, message: str):
        self.filename = filename
        self.element_id = element_id
        self.message = message

    def __str__(self) -> str:
        where = f"{self.filename}: 元素 {self.element_id}" if self.element_id else self.filename
        return f"{where}: {self.message}"


class DefinitionError(ZhunruError):
    """Diagrams or forms were refused; nothing of the deployment was stored."""

    code = "definition_invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @property
    def errors(self) -> dict[str, str]:
        """The problems by element id (by file name where no element is named), as a field's errors are."""
        found: dict[str, list[str]] = {}
        for problem in self.problems:
            found.setdefault(problem.element_id or problem.filename, []).append(problem.message)
        return {where: "；".join(messages) for where, messages in found.items()}


class FormInvalid(ZhunruError):
    """Submitted data does not satisfy the task's form; `errors` maps field key to message."""

    code = "form_invalid"

    def __init__(self, task_name: str, errors: dict[str, str]):
        self.task_name = task_name
        self.errors = errors
        detail = "; ".join(f"{key}: {msg}" for key, msg in errors.items())
        super().__init__(f"任务 {task_name} 的表单数据无效: {detail}")


class HandlerError(ZhunruError):
    """A service-task handler failed; `detail` is the handler's own message."""

    code = "handler_failed"

    def __init__(self, operator: str, task_name: str, detail: str):
        self.operator = operator
        self.task_name = task_name
        self.detail = detail
        super().__init__(f"服务任务 {task_name} (operator {operator}) 失败: {detail}")


class LimitExceeded(ZhunruError):
    """Diagram code (a script, expression or instruction template) ran over the CPU-time or memory limit of
    the settings, or would have built a result beyond it; `where` names the element when known."""

    code = "limit_exceeded"

    def __init__(self, detail: str, where: str | None = None):
        self.detail = detail
        self.where = where
        super().__init__(f"{where}{detail}" if where else detail)
