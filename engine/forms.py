"""form-js schemas: checked when deployed, and every submission validated again on the server."""
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

INPUT_TYPES = {"textfield", "textarea", "number", "select", "radio", "checkbox", "checklist",
               "taglist", "datetime", "filepicker"}
LAYOUT_TYPES = {"text", "spacer", "separator", "button", "image", "html", "default"}
CONTAINER_TYPES = {"group"}
CHOICE_TYPES = {"select", "radio", "checklist", "taglist"}

# The subset of FEEL that hides a field: `=key`, `=not(key)`, `=key = "v"`, `=key != "v"`.
_CONDITION = re.compile(r'^=\s*(?:(not)\(\s*(\w+)\s*\)|(\w+)\s*(?:(!?=)\s*("[^"]*"|true|false|-?\d+(?:\.\d+)?))?)\s*$')


def _components(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = list(reversed(schema.get("components") or []))
    while stack:
        comp = stack.pop()
        yield comp
        if comp.get("type") in CONTAINER_TYPES:
            stack.extend(reversed(comp.get("components") or []))


def _literal(text: str) -> Any:
    if text.startswith('"'):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def _hidden_predicate(expr: str) -> Callable[[dict[str, Any]], bool]:
    m = _CONDITION.match(expr)
    if m is None:
        raise ValueError(f"不支持的显示条件 {expr!r}")
    negated, neg_key, key, op, literal = m.groups()
    if negated:
        return lambda data: not data.get(neg_key)
    if op is None:
        return lambda data: bool(data.get(key))
    value = _literal(literal)
    if op == "=":
        return lambda data: data.get(key) == value
    return lambda data: data.get(key) != value


def check_schema(schema: Any) -> list[tuple[str | None, str]]:
    """Problems of a form schema as (component id or key, message); empty when it is usable."""
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        return [(None, "表单必须是含有 components 列表的 form-js JSON 对象")]
    problems: list[tuple[str | None, str]] = []
    keys: set[str] = set()
    for comp in _components(schema):
        kind = comp.get("type")
        where = comp.get("key") or comp.get("id")
        if kind not in INPUT_TYPES | LAYOUT_TYPES | CONTAINER_TYPES:
            problems.append((where, f"未知的组件类型 {kind!r}"))
            continue
        if kind in INPUT_TYPES:
            key = comp.get("key")
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_]\w*", key):
                problems.append((where, "输入组件需要一个由字母、数字、下划线组成的 key"))
            elif key in keys:
                problems.append((where, f"key {key} 重复"))
            else:
                keys.add(key)
        if kind in CHOICE_TYPES and not isinstance(comp.get("values"), list):
            problems.append((where, "选择组件需要 values 列表"))
        pattern = (comp.get("validate") or {}).get("pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append((where, f"正则表达式无效: {exc}"))
        hide = (comp.get("conditional") or {}).get("hide")
        if hide:
            try:
                _hidden_predicate(hide)
            except ValueError as exc:
                problems.append((where, str(exc)))
    return problems


def _check_value(comp: dict[str, Any], value: Any, file_exists: Callable[[str], bool]) -> tuple[Any, str | None]:
    kind = comp["type"]
    rules = comp.get("validate") or {}
    if kind in ("textfield", "textarea"):
        if not isinstance(value, str):
            return value, "应为文本"
        if rules.get("minLength") and len(value) < int(rules["minLength"]):
            return value, f"至少 {rules['minLength']} 个字"
        if rules.get("maxLength") and len(value) > int(rules["maxLength"]):
            return value, f"最多 {rules['maxLength']} 个字"
        if rules.get("pattern") and not re.fullmatch(rules["pattern"], value):
            return value, "格式不正确"
        return value, None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value) if "." in str(value) else int(str(value))
            except ValueError:
                return value, "应为数字"
        if rules.get("min") is not None and value < rules["min"]:
            return value, f"不能小于 {rules['min']}"
        if rules.get("max") is not None and value > rules["max"]:
            return value, f"不能大于 {rules['max']}"
        return value, None
    if kind == "checkbox":
        return (value, None) if isinstance(value, bool) else (value, "应为是或否")
    allowed = {v.get("value") for v in comp.get("values") or []}
    if kind in ("select", "radio"):
        return (value, None) if value in allowed else (value, f"{value!r} 不是可选的值")
    if kind in ("checklist", "taglist"):
        if not isinstance(value, list) or any(v not in allowed for v in value):
            return value, "含有不可选的值"
        return value, None
    if kind == "datetime":
        subtype = comp.get("subtype", "datetime")
        try:
            if subtype == "date":
                date.fromisoformat(value)
            else:
                datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return value, "日期时间格式不正确"
        return value, None
    if kind == "filepicker":
        files = value if isinstance(value, list) else [value]
        if not all(isinstance(f, str) and file_exists(f) for f in files):
            return value, "引用了不存在的文件"
        return files, None
    return value, None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def input_keys(schema: dict[str, Any]) -> list[str]:
    return [c["key"] for c in _components(schema) if c.get("type") in INPUT_TYPES and c.get("key")]


def labels(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per field key: its label and, for choices, the label of each value (to show submitted data)."""
    found = {}
    for comp in _components(schema):
        if comp.get("type") in INPUT_TYPES and comp.get("key"):
            options = {str(v.get("value")): v.get("label") for v in comp.get("values") or []}
            found[comp["key"]] = {"label": comp.get("label") or comp["key"], "type": comp["type"], "options": options}
    return found


def file_fields(schema: dict[str, Any]) -> list[str]:
    """Keys of the form's file fields (form-js `filepicker`)."""
    return [c["key"] for c in _components(schema) if c.get("type") == "filepicker" and c.get("key")]


def validate(schema: dict[str, Any], data: dict[str, Any],
             file_exists: Callable[[str], bool]) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean submitted data against the form; returns (clean data, {field key: error message})."""
    inputs = {c["key"]: c for c in _components(schema) if c.get("type") in INPUT_TYPES}
    errors = {key: "表单中没有此字段" for key in data if key not in inputs}
    clean: dict[str, Any] = {}
    for key, comp in inputs.items():
        hide = (comp.get("conditional") or {}).get("hide")
        if hide and _hidden_predicate(hide)(data):
            continue
        value = data.get(key)
        if comp.get("readonly") or comp.get("disabled"):
            continue
        if _is_empty(value) and comp["type"] != "checkbox":
            if (comp.get("validate") or {}).get("required"):
                errors[key] = "必填"
            # Every field the form shows is defined afterwards, so diagrams may test an optional one.
            clean[key] = [] if comp["type"] in ("filepicker", "checklist", "taglist") else None
            continue
        if value is None:
            continue
        value, problem = _check_value(comp, value, file_exists)
        if problem:
            errors[key] = problem
        else:
            clean[key] = value
    return clean, errors
