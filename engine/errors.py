"""One error hierarchy for the engine; each error carries ids, never HTTP codes."""


class ZhunruError(Exception):
    """Base of every error Zhunru reports to a user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(ZhunruError):
    """A request's arguments are malformed (bad JSON, bad date, unknown option)."""


class NotFound(ZhunruError):
    """The named process, instance, task, user or file does not exist."""


class NotEntitled(ZhunruError):
    """The acting user may not do this."""


class Conflict(ZhunruError):
    """The object changed under the caller: task already completed, stale version."""


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

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class FormInvalid(ZhunruError):
    """Submitted data does not satisfy the task's form; `errors` maps field key to message."""

    def __init__(self, task_name: str, errors: dict[str, str]):
        self.task_name = task_name
        self.errors = errors
        detail = "; ".join(f"{key}: {msg}" for key, msg in errors.items())
        super().__init__(f"任务 {task_name} 的表单数据无效: {detail}")


class ScriptError(ZhunruError):
    """A script or expression failed or was refused by the sandbox."""

    def __init__(self, task_name: str, message: str):
        self.task_name = task_name
        super().__init__(f"{task_name}: {message}")


class HandlerError(ZhunruError):
    """A service-task handler failed; the message is the handler's own."""

    def __init__(self, operator: str, task_name: str, message: str):
        self.operator = operator
        self.task_name = task_name
        super().__init__(f"服务任务 {task_name} (operator {operator}) 失败: {message}")


class WorkflowFailed(ZhunruError):
    """The engine raised while running steps; the instance is in the error state."""

    def __init__(self, instance_id: str, task_name: str | None, message: str):
        self.instance_id = instance_id
        self.task_name = task_name
        super().__init__(message)


class LimitExceeded(ZhunruError):
    """Diagram code (a script, expression or instruction template) ran over the CPU-time or memory limit of
    the settings, or would have built a result beyond it; `where` names the element when known."""

    def __init__(self, detail: str, where: str | None = None):
        self.detail = detail
        self.where = where
        super().__init__(f"{where}{detail}" if where else detail)
