"""DMN decision tables: checked against the DMN schema and the sandbox, versioned by decision id, and pinned
on each process version, so a case evaluates the tables its version was deployed with.

SpiffWorkflow reads one decision with one decision table per file and evaluates every cell with the
workflow's script engine (ours is sandboxed). Its hit policies: UNIQUE (the first matching rule), FIRST
(the first matching rule) and COLLECT (each output a list of every matching rule's value, no aggregation).
"""
import ast
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS, BpmnDmnParser
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound, Problem
from engine.sandbox import compile_sandboxed
from engine.store.models import DecisionDefinition, Definition

HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# A `?` outside quotes stands for the input's value, as SpiffWorkflow's DMN engine reads it.
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


@dataclass(frozen=True)
class DecisionFile:
    """A checked .dmn file: its decision id is its key."""

    filename: str
    content: bytes
    node: Any
    key: str
    name: str


@cache
def _schema(namespace: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(SCHEMAS[namespace]))


def _element_at(root: Any, line: int | None) -> str | None:
    """The id of the innermost element with an id on a line, to name where a schema error is."""
    found = None
    for element in root.iter():
        if element.sourceline == line and isinstance(element.tag, str):
            found = element.get("id") or found
    return found or (f"第 {line} 行" if line else None)


def _sandbox_error(exc: SyntaxError) -> str:
    return "; ".join(exc.args[0]) if isinstance(exc.args[0], tuple) else exc.msg or str(exc)


def _match_expression(input_expression: str, entry: str) -> str:
    """The expression SpiffWorkflow's DMN engine evaluates for one input cell (DMNEngine.evaluate)."""
    if _QUESTION.search(entry):
        return _QUESTION.sub("dmninputexpr", entry)
    try:
        ast.parse(entry)
        return f"({input_expression}) == ({entry})"
    except SyntaxError:
        return f"{input_expression}{entry}"


def _text(element: Any, ns: dict[str, str]) -> str | None:
    node = element.find("dmn:text", ns)
    return node.text if node is not None else None


def _lint_table(filename: str, decision_id: str, table: Any, ns: dict[str, str]) -> list[Problem]:
    """What SpiffWorkflow would not run as written: hit policy, missing input expressions, cells the
    sandbox refuses (each named by its decision, rule and column)."""
    problems = []
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES:
        problems.append(Problem(filename, table.get("id") or decision_id,
                                f"决策 {decision_id} 的命中策略 {policy} 不受支持 (可用: {', '.join(HIT_POLICIES)})"))
    if table.get("aggregation"):
        problems.append(Problem(filename, table.get("id") or decision_id,
                                f"决策 {decision_id} 的 COLLECT 聚合 {table.get('aggregation')} 不受支持 (结果为列表)"))
    inputs = []
    for column in table.iterfind("dmn:input", ns):
        label = column.get("label") or column.get("id")
        expression_node = column.find("dmn:inputExpression", ns)
        expression = (_text(expression_node, ns) if expression_node is not None else None) or ""
        if not expression.strip():
            problems.append(Problem(filename, column.get("id"), f"决策 {decision_id} 的输入 {label} 缺少表达式"))
        else:
            _compile(problems, filename, column.get("id"), f"决策 {decision_id} 的输入 {label} 的表达式", expression)
        inputs.append((label, expression.strip() or "None"))
    outputs = [column.get("name") or column.get("label") or column.get("id")
               for column in table.iterfind("dmn:output", ns)]
    for row, rule in enumerate(table.iterfind("dmn:rule", ns), start=1):
        where = f"决策 {decision_id} 第 {row} 条规则"
        for (label, expression), entry in zip(inputs, rule.iterfind("dmn:inputEntry", ns), strict=False):
            text = _text(entry, ns)
            if text is None or text.strip() in ("", "-"):
                continue
            _compile(problems, filename, rule.get("id"), f"{where}的输入 {label} 条件 {text!r}",
                     _match_expression(expression, text.strip()))
        for name, entry in zip(outputs, rule.iterfind("dmn:outputEntry", ns), strict=False):
            text = _text(entry, ns)
            if text and text.strip():
                _compile(problems, filename, rule.get("id"), f"{where}的输出 {name} {text!r}", text.strip())
    return problems


def _compile(problems: list[Problem], filename: str, element: str | None, what: str, source: str) -> None:
    try:
        compile_sandboxed(source, "eval")
    except SyntaxError as exc:
        problems.append(Problem(filename, element, f"{what}无法在沙箱中编译: {_sandbox_error(exc)}"))


def read(filename: str, content: bytes) -> tuple[DecisionFile | None, list[Problem]]:
    """Parse one .dmn file, validate it against the DMN schema of its namespace and lint its table."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        return None, [Problem(filename, f"第 {exc.lineno} 行", f"XML 格式错误: {exc.msg}")]
    namespace = etree.QName(root).namespace or ""
    if namespace not in SCHEMAS or etree.QName(root).localname != "definitions":
        return None, [Problem(filename, None, f"不是 DMN 文件 (根元素应为 DMN 1.1–1.3 的 definitions，而不是 "
                                              f"{etree.QName(root).localname} {namespace})")]
    schema = _schema(namespace)
    if not schema.validate(root):
        return None, [Problem(filename, _element_at(root, error.line), f"不符合 DMN 模式: {error.message}")
                      for error in list(schema.error_log)[:20]]
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", ns)
    if len(decisions) != 1:
        return None, [Problem(filename, None, f"一个 DMN 文件应恰有一个决策 (decision)，此文件有 {len(decisions)} 个")]
    decision = decisions[0]
    key = decision.get("id")
    tables = decision.findall("dmn:decisionTable", ns)
    if len(tables) != 1:
        return None, [Problem(filename, key, f"决策 {key} 应由一个决策表 (decisionTable) 表示")]
    problems = _lint_table(filename, key, tables[0], ns)
    return DecisionFile(filename, content, root, key, decision.get("name") or key), problems


def latest(session: Session, key: str) -> DecisionDefinition | None:
    return session.scalars(select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
                           .order_by(DecisionDefinition.version.desc()).limit(1)).first()


def _references(parser: BpmnDmnParser, process_ids: Iterable[str] | None = None) -> list[tuple[str, str, Any]]:
    """(filename, business rule task id, decision id or None) in the given processes (all when None)."""
    found = []
    for process_id, process_parser in parser.process_parsers.items():
        if process_ids is not None and process_id not in process_ids:
            continue
        for task in process_parser.node.iterfind(f".//{{{_BPMN}}}businessRuleTask"):
            ref = task.find(f"{{{_BPMN}}}extensionElements/{{{_SPIFF}}}calledDecisionId")
            found.append((process_parser.filename, task.get("id"),
                          (ref.text or "").strip() or None if ref is not None else None))
    return found


def add_to_parser(session: Session, parser: BpmnDmnParser, batch: list[DecisionFile]) -> dict[str, list[Problem]]:
    """Put the batch's tables and the newest deployed ones the diagrams use into the parser; the problems of
    business rule tasks that name no table or one that is not deployed, by process id."""
    for decision in batch:
        parser.add_dmn_xml(decision.node, decision.filename)
    problems: dict[str, list[Problem]] = {}
    for process_id in list(parser.process_parsers):
        for filename, task_id, key in _references(parser, [process_id]):
            if key is not None and key not in parser.dmn_parsers:
                row = latest(session, key)
                if row is not None:
                    parser.add_dmn_xml(etree.fromstring(row.xml.encode("utf-8")), row.filename)
            if key is None:
                message = "业务规则任务未指定决策表 (spiffworkflow:calledDecisionId)"
            elif key not in parser.dmn_parsers:
                message = f"决策表 {key} 未部署，请先部署或一并部署 (decisions/{key}.dmn)"
            else:
                continue
            problems.setdefault(process_id, []).append(Problem(filename, task_id, message))
    return problems


def used_by(parser: BpmnDmnParser, process_id: str) -> set[str]:
    """The decision ids a process evaluates, its called processes' included."""
    called = set(parser.get_subprocess_specs(process_id, require_call_activity_specs=False))
    return {key for _, _, key in _references(parser, {process_id, *called}) if key}


def store(session: Session, batch: list[DecisionFile], actor: str, now: datetime,
          refuse_stale: Callable[[str, Any], None]) -> list[tuple[str, int, bool]]:
    """A new version of each changed table ((key, version, created) for each); an unchanged one keeps its."""
    stored = []
    for decision in batch:
        digest = hashlib.sha256(decision.content).hexdigest()
        row = latest(session, decision.key)
        refuse_stale(decision.key, row)
        if row is not None and row.sha256 == digest:
            stored.append((decision.key, row.version, False))
            continue
        version = (row.version if row else 0) + 1
        session.add(DecisionDefinition(
            decision_key=decision.key, version=version, name=decision.name, filename=Path(decision.filename).name,
            sha256=digest, xml=decision.content.decode("utf-8"), deployed_at=now, deployed_by=actor))
        stored.append((decision.key, version, True))
    session.flush()
    return stored


def changed_keys(session: Session, batch: list[DecisionFile]) -> set[str]:
    changed = set()
    for decision in batch:
        row = latest(session, decision.key)
        if row is None or row.sha256 != hashlib.sha256(decision.content).hexdigest():
            changed.add(decision.key)
    return changed


def dependents(session: Session, keys: set[str]) -> list[tuple[str, bytes]]:
    """The newest diagram of each process whose newest version evaluates one of these tables: deployed
    again with the new table, so new cases use it while running cases keep the version they started on."""
    if not keys:
        return []
    newest = (select(Definition.process_id, func.max(Definition.version).label("v"))
              .group_by(Definition.process_id).subquery())
    files: dict[str, tuple[str, bytes]] = {}
    for row in session.scalars(select(Definition).join(
            newest, (Definition.process_id == newest.c.process_id) & (Definition.version == newest.c.v))
            .order_by(Definition.id.desc())):
        if keys & set(row.decision_versions or {}) and row.filename not in files:
            files[row.filename] = (f"processes/{row.filename}", row.xml.encode("utf-8"))
    return list(files.values())


def add_pinned(session: Session, parser: BpmnDmnParser, pins: dict[str, int]) -> None:
    """Put exactly the pinned versions into a parser rebuilding a deployed process version."""
    for key, version in pins.items():
        row = session.scalars(select(DecisionDefinition).where(
            DecisionDefinition.decision_key == key, DecisionDefinition.version == version)).first()
        if row is None:
            raise NotFound(f"决策表 {key} 没有版本 v{version}", what="decision", key=key)
        parser.add_dmn_xml(etree.fromstring(row.xml.encode("utf-8")), row.filename)


def task_decisions(parser: BpmnDmnParser, process_id: str, pins: dict[str, int]) -> dict[str, tuple[str, int]]:
    """Business rule task id → (decision id, version) over a process and the processes it calls."""
    if not pins:  # most processes: no second pass over the called processes
        return {}
    called = set(parser.get_subprocess_specs(process_id, require_call_activity_specs=False))
    return {task_id: (key, pins[key]) for _, task_id, key in _references(parser, {process_id, *called})
            if key in pins}


def evaluated(workflow: Any, completed_before: set[Any], decisions: dict[str, tuple[str, int]]
              ) -> list[tuple[str, str, dict[str, Any]]]:
    """("decision_evaluated", task id, {decision, version, result}) for each business rule task completed
    since `completed_before`: the result is the table's outputs as the task left them in the case data."""
    if not decisions:
        return []
    found = []
    for task in sorted(workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change):
        spec = task.task_spec
        if task.id in completed_before or not isinstance(spec, BusinessRuleTaskMixin):
            continue
        key, version = decisions.get(spec.bpmn_id, (None, None))
        names = [(o.name or o.label).split(".")[0] for o in spec.dmnEngine.decision_table.outputs]
        found.append(("decision_evaluated", spec.bpmn_id, {
            "decision": key, "version": version, "result": {n: task.data[n] for n in names if n in task.data}}))
    return found


def summaries(session: Session) -> dict[str, list[DecisionDefinition]]:
    """Every decision table with its versions, newest first."""
    grouped: dict[str, list[DecisionDefinition]] = {}
    for row in session.scalars(select(DecisionDefinition).order_by(
            DecisionDefinition.decision_key, DecisionDefinition.version.desc())):
        grouped.setdefault(row.decision_key, []).append(row)
    return grouped


def version_row(session: Session, key: str, version: int | None = None) -> DecisionDefinition:
    """One deployed version (the newest when none is named)."""
    query = select(DecisionDefinition).where(DecisionDefinition.decision_key == key)
    query = query.where(DecisionDefinition.version == version) if version is not None else query
    row = session.scalars(query.order_by(DecisionDefinition.version.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"决策表 {key} 未部署" if version is None else f"决策表 {key} 没有版本 v{version}",
                       what="decision", key=key)
    return row


def process_use(session: Session) -> dict[str, list[str]]:
    """Per decision id, the newest process versions that evaluate it and with which version."""
    newest = (select(Definition.process_id, func.max(Definition.version).label("v"))
              .group_by(Definition.process_id).subquery())
    used: dict[str, list[str]] = {}
    for row in session.scalars(select(Definition).join(
            newest, (Definition.process_id == newest.c.process_id) & (Definition.version == newest.c.v))
            .order_by(Definition.process_id)):
        for key, version in (row.decision_versions or {}).items():
            used.setdefault(key, []).append(f"{row.process_id} v{row.version} → 决策表 v{version}")
    return used
