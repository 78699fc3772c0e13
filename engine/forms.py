"""form-js schemas: checked when deployed, and every submission validated again on the server."""
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.timing.clock import SHANGHAI, engine_now

INPUT_TYPES = {"textfield", "textarea", "number", "select", "radio", "checkbox", "checklist",
               "taglist", "datetime", "filepicker"}
LAYOUT_TYPES = {"text", "spacer", "separator", "button", "image", "html", "default"}
CONTAINER_TYPES = {"group"}
# A form-js dynamic list keeps its rows under `path`: a list of objects, one per row, keyed by the
# inner fields' keys. As in form-js, a bare name in a condition inside a row is the whole form's field.
LIST = "dynamiclist"
CHOICE_TYPES = {"select", "radio", "checklist", "taglist"}
_KEY = re.compile(r"[A-Za-z_]\w*")

# The subset of FEEL that hides a field: `=key`, `=not(key)`, `=key = "v"`, `=key != "v"`.
_CONDITION = re.compile(r'^=\s*(?:(not)\(\s*(\w+)\s*\)|(\w+)\s*(?:(!?=)\s*("[^"]*"|true|false|-?\d+(?:\.\d+)?))?)\s*$')


def _components(components: list[dict[str, Any]] | None) -> Iterator[dict[str, Any]]:
    """The components of one data scope: groups are looked into, a dynamic list's rows are a scope of their own."""
    stack = list(reversed(components or []))
    while stack:
        comp = stack.pop()
        yield comp
        if comp.get("type") in CONTAINER_TYPES:
            stack.extend(reversed(comp.get("components") or []))


def _keyed(components: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The scope's fields by the key their data is kept under (a dynamic list's is its path)."""
    found = {}
    for comp in _components(components):
        if comp.get("type") in INPUT_TYPES and comp.get("key"):
            found[comp["key"]] = comp
        elif comp.get("type") == LIST and comp.get("path"):
            found[comp["path"]] = comp
    return found


def keyed_fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A form's top-level fields by data key, for tools that offer them by name (the condition builder)."""
    return _keyed(schema.get("components"))


def _fixed(comp: dict[str, Any]) -> bool:
    """A list whose rows cannot be added or removed (form-js shows no buttons unless allowAddRemove)."""
    return not comp.get("allowAddRemove")


def _bound(comp: dict[str, Any], name: str) -> int | None:
    value = (comp.get("properties") or {}).get(name)
    return int(value) if value is not None and str(value).isdigit() else None


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


def with_vocabularies(schema: Any, vocabularies: dict[str, dict[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
    """The schema with the options of every choice field that names a shared code list (custom property
    `vocabulary`) filled from that list, and the fields naming a list that does not exist."""
    problems: list[tuple[str, str]] = []
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        return schema, problems
    stack = list(schema["components"])  # every level, a dynamic list's rows too
    while stack:
        comp = stack.pop()
        if not isinstance(comp, dict):
            continue
        stack.extend(comp.get("components") or [])
        name = (comp.get("properties") or {}).get("vocabulary")
        if name is None:
            continue
        if name not in vocabularies:
            problems.append((str(comp.get("key") or comp.get("id")),
                             f"代码表 {name!r} 不存在 (可用: {', '.join(sorted(vocabularies))})"))
            continue
        comp["values"] = [{"label": label, "value": code} for code, label in vocabularies[name].items()]
    return schema, problems


def check_schema(schema: Any) -> list[tuple[str | None, str]]:
    """Problems of a form schema as (component id or key, message); empty when it is usable."""
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        return [(None, "表单必须是含有 components 列表的 form-js JSON 对象")]
    return _check_scope(schema["components"], "")


def _check_scope(components: list[dict[str, Any]], prefix: str) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    keys: set[str] = set()
    for comp in _components(components):
        kind = comp.get("type")
        where = prefix + str(comp.get("key") or comp.get("path") or comp.get("id"))
        if kind not in INPUT_TYPES | LAYOUT_TYPES | CONTAINER_TYPES | {LIST}:
            problems.append((where, f"未知的组件类型 {kind!r}"))
            continue
        if kind in CONTAINER_TYPES and comp.get("path"):
            problems.append((where, "分组不能设置数据路径 (path)，请用动态列表保存多行数据"))
        key = comp.get("key") if kind in INPUT_TYPES else comp.get("path") if kind == LIST else None
        if kind in INPUT_TYPES or kind == LIST:
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                what, name = ("输入组件", "key") if kind in INPUT_TYPES else ("动态列表", "数据路径 (path)")
                problems.append((where, f"{what}需要一个由字母、数字、下划线组成的 {name}"))
            elif key in keys:
                problems.append((where, f"key {key} 重复"))
            else:
                keys.add(key)
        if kind == LIST:
            problems += _check_list(comp, where)
        if kind in CHOICE_TYPES and not isinstance(comp.get("values"), list) and not (
                isinstance(comp.get("valuesKey"), str) and _KEY.fullmatch(comp["valuesKey"])):
            problems.append((where, "选择组件需要 values 列表，或从办件数据取选项的 valuesKey"))
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


def _check_list(comp: dict[str, Any], where: str) -> list[tuple[str | None, str]]:
    inner = comp.get("components")
    if not isinstance(inner, list) or not _keyed(inner):
        return [(where, "动态列表中至少要有一个输入组件")]
    problems = [(where, f"自定义属性 {name} 应为非负整数") for name in ("minItems", "maxItems")
                if (comp.get("properties") or {}).get(name) is not None and _bound(comp, name) is None]
    # Evidence is linked to the case by the form's top-level file fields.
    problems += [(f"{where}.{c.get('key')}", "动态列表中不能上传文件，请把附件字段放在列表之外")
                 for c in _components(inner) if c.get("type") == "filepicker"]
    return problems + _check_scope(inner, f"{where}.")


@dataclass(frozen=True)
class _Submission:
    root: dict[str, Any]  # the whole submission, which conditions read
    initial: dict[str, Any]  # the case data the form opened on, where `valuesKey` options come from
    file_exists: Callable[[str], bool]
    today: date | None = None  # the command's day (Asia/Shanghai), for dates that may not lie after it


def _allowed(comp: dict[str, Any], submission: _Submission) -> set[Any]:
    if comp.get("valuesKey"):
        options = submission.initial.get(comp["valuesKey"])
        return {o.get("value") if isinstance(o, dict) else o for o in options} if isinstance(options, list) else set()
    return {v.get("value") for v in comp.get("values") or []}


def _check_value(comp: dict[str, Any], value: Any, submission: _Submission) -> tuple[Any, str | None]:
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
        if isinstance(value, float) and not math.isfinite(value):
            return value, "应为有限的数值"
        if rules.get("min") is not None and value < rules["min"]:
            return value, f"不能小于 {rules['min']}"
        if rules.get("max") is not None and value > rules["max"]:
            return value, f"不能大于 {rules['max']}"
        return value, None
    if kind == "checkbox":
        return (value, None) if isinstance(value, bool) else (value, "应为是或否")
    allowed = _allowed(comp, submission)
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
                day = date.fromisoformat(value)
            else:
                day = datetime.fromisoformat(value).date()
        except (TypeError, ValueError):
            return value, "日期时间格式不正确"
        # A custom property `latest: today`: a day that has happened (a clue's day of receipt), never a later one.
        if (comp.get("properties") or {}).get("latest") == "today" and submission.today and day > submission.today:
            return value, f"不能晚于今天 ({submission.today.isoformat()})"
        return value, None
    if kind == "filepicker":
        files = value if isinstance(value, list) else [value]
        if not all(isinstance(f, str) and submission.file_exists(f) for f in files):
            return value, "引用了不存在或不能使用的文件 (只能引用本人上传且尚未在表单中使用的文件，或本办件已有的文件)"
        return files, None
    return value, None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def input_keys(schema: dict[str, Any]) -> list[str]:
    """Keys the form keeps data under (a dynamic list's path among them), as prefilled when it opens."""
    return list(_keyed(schema.get("components")))


def labels(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per field key: its label and, for choices, the label of each value (to show submitted data);
    a dynamic list's entry holds the labels of its rows' fields."""
    found = {}
    for key, comp in _keyed(schema.get("components")).items():
        options = {str(v.get("value")): v.get("label") for v in comp.get("values") or []}
        found[key] = {"label": comp.get("label") or key, "type": comp["type"], "options": options}
        if comp["type"] == LIST:
            found[key]["fields"] = labels(comp)
    return found


def option_keys(schema: dict[str, Any]) -> list[str]:
    """Case data the form takes choices from (form-js `valuesKey`), handed to it with the prefill."""
    found = []
    for comp in _components(schema.get("components")):
        if comp.get("valuesKey"):
            found.append(comp["valuesKey"])
        if comp.get("type") == LIST:
            found += option_keys(comp)
    return found


def file_fields(schema: dict[str, Any]) -> list[str]:
    """Keys of the form's file fields (form-js `filepicker`)."""
    return [key for key, comp in _keyed(schema.get("components")).items() if comp["type"] == "filepicker"]


def validate(schema: dict[str, Any], data: dict[str, Any], file_exists: Callable[[str], bool],
             current: dict[str, Any] | None = None,
             now: datetime | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean submitted data against the form; returns (clean data, {field key: error message}).

    `current` is the case data the form was opened on: the rows of a list that cannot be added to or
    removed from are the current rows with their editable fields replaced. A row's errors are keyed
    `path.index.key` (index from 0)."""
    current = current or {}
    today = (now or engine_now()).astimezone(SHANGHAI).date()
    return _validate_scope(schema.get("components"), data, current, _Submission(data, current, file_exists, today))


def _validate_scope(components: list[dict[str, Any]] | None, data: dict[str, Any], current: dict[str, Any],
                    submission: _Submission) -> tuple[dict[str, Any], dict[str, str]]:
    inputs = _keyed(components)
    errors = {key: "表单中没有此字段" for key in data if key not in inputs}
    clean: dict[str, Any] = {}
    for key, comp in inputs.items():
        hide = (comp.get("conditional") or {}).get("hide")
        if hide and _hidden_predicate(hide)(submission.root):
            continue
        value = data.get(key)
        if comp.get("readonly") or comp.get("disabled"):
            continue
        if comp["type"] == LIST:
            value, problems = _validate_list(comp, value, current.get(key), submission)
            errors.update(problems)
            if value is not None:
                clean[key] = value
            continue
        if _is_empty(value) and comp["type"] != "checkbox":
            if (comp.get("validate") or {}).get("required"):
                errors[key] = "必填"
            # Every field the form shows is defined afterwards, so diagrams may test an optional one.
            clean[key] = [] if comp["type"] in ("filepicker", "checklist", "taglist") else None
            continue
        if value is None:
            continue
        value, problem = _check_value(comp, value, submission)
        if problem:
            errors[key] = problem
        else:
            clean[key] = value
    return clean, errors


def _validate_list(comp: dict[str, Any], value: Any, before: Any,
                   submission: _Submission) -> tuple[list[dict[str, Any]] | None, dict[str, str]]:
    path = comp["path"]
    before = before if isinstance(before, list) and _fixed(comp) else None
    # A fixed list left out of a submission is its current rows with nothing entered.
    rows = value if value is not None else [{} for _ in before] if before is not None else []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return None, {path: "应为若干行组成的列表"}
    if before is not None and len(rows) != len(before):
        return None, {path: f"应有 {len(before)} 行，不能增删"}
    least, most = _bound(comp, "minItems"), _bound(comp, "maxItems")
    if least is not None and len(rows) < least:
        return None, {path: f"至少 {least} 行"}
    if most is not None and len(rows) > most:
        return None, {path: f"最多 {most} 行"}
    clean, errors = [], {}
    for index, row in enumerate(rows):
        kept = before[index] if before is not None and isinstance(before[index], dict) else {}
        row_clean, row_errors = _validate_scope(comp["components"], row, kept, submission)
        clean.append({**kept, **row_clean})
        errors.update({f"{path}.{index}.{key}": f"第 {index + 1} 行：{text}" for key, text in row_errors.items()})
    return clean, errors
