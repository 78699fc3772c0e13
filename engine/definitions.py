"""Deployed definitions: parse with XSD validation, lint, store versions, load specs for running."""
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import decisions, forms, settings
from engine.bounds import DEFAULT as DEFAULT_LIMITS
from engine.bounds import Limits, evaluate_isolated
from engine.errors import Conflict, DefinitionError, InvalidInput, LimitExceeded, NotFound, Problem
from engine.sandbox import SourceMode, compile_sandboxed
from engine.store import restore_mode
from engine.store.models import Definition, FormDefinition
from engine.store.serialization import Specs
from engine.timing import cycles
from engine.timing.clock import local_iso
from handlers import registry

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
LANE_PROPERTIES = ("organisation", "organisationVariable", "organisationFunction", "role")


@dataclass(frozen=True)
class LaneRule:
    """How a lane becomes an owner: a fixed organisation, one named in process data, or a group."""

    name: str
    organisation: str | None = None
    organisation_variable: str | None = None
    role: str | None = None
    # With organisation_variable: the organisation must have this function (e.g. ndrc); a case starting in
    # the lane may be started by any organisation that has it, which becomes the variable's value.
    organisation_function: str | None = None


@dataclass
class LoadedDefinition:
    definition_id: int
    process_id: str
    version: int
    name: str
    specs: Specs
    lanes: dict[str, LaneRule] = field(default_factory=dict)
    has_lanes: bool = False
    form_versions: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, tuple[str, int]] = field(default_factory=dict)  # business rule task → table, version

    @property
    def spec(self) -> Any:
        """The parsed spec, to read; a workflow runs on its own copy (specs.new_workflow)."""
        return self.specs.spec


@dataclass(frozen=True)
class Deployed:
    kind: str  # process | form | decision
    key: str
    version: int
    created: bool


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def form_key_of(filename: str) -> str:
    """forms/clue_register.json and clue_register.form.json both serve form key clue_register."""
    name = Path(filename).name
    return name.removesuffix(".json").removesuffix(".form")


def project_files(root: Path) -> list[tuple[str, bytes]]:
    """A project's forms, decision tables and diagrams, forms first so the diagrams' form keys resolve in one
    deployment."""
    found = [*sorted(root.glob("forms/*.json")), *sorted(root.glob("decisions/*.dmn")),
             *sorted(root.glob("processes/*.bpmn"))]
    return [(str(p.relative_to(root)), p.read_bytes()) for p in found]


def lane_rules(xml: bytes) -> dict[str, LaneRule]:
    """Lane name → rule, from spiffworkflow properties on each lane."""
    root = etree.fromstring(xml)
    rules = {}
    for lane in root.iterfind(".//bpmn:lane", NS):
        props = {p.get("name"): p.get("value") for p in lane.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}
        name = lane.get("name") or lane.get("id")
        rules[name] = LaneRule(name, props.get("organisation") or None,
                               props.get("organisationVariable") or None, props.get("role") or None,
                               props.get("organisationFunction") or None)
    return rules


def has_lanes(parser: SpiffBpmnParser, process_id: str) -> bool:
    """Whether this process itself has named lanes: Spiff's has_lanes looks at the whole file, every pool in it."""
    node = parser.get_process_parser(process_id).node
    return any(lane.get("name") for lane in node.iterfind("bpmn:laneSet//bpmn:lane", NS))


def _parse(files: list[tuple[str, bytes]], validate: bool) -> tuple[SpiffBpmnParser, list[Problem]]:
    parser = SpiffBpmnParser(validator=VALIDATOR if validate else None)
    problems = []
    for filename, content in files:
        try:
            parser.add_bpmn_xml(etree.fromstring(content, etree.XMLParser(resolve_entities=False)), filename)
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(filename, f"第 {exc.lineno} 行", f"XML 格式错误: {exc.msg}"))
        except ValidationException as exc:
            element = exc.id or (f"第 {exc.line_number} 行" if exc.line_number else None)
            problems.append(Problem(filename, element, f"不符合 BPMN 模式: {exc}"))
    return parser, problems


def _task_expressions(spec: Any) -> list[tuple[str, str, SourceMode]]:
    """(what, source, mode) for every script and expression a task spec will run."""
    found: list[tuple[str, str, SourceMode]] = []
    for attr, what in (("script", "脚本"), ("prescript", "前置脚本"), ("postscript", "后置脚本")):
        source = getattr(spec, attr, None)
        if isinstance(source, str) and source.strip():
            found.append((what, source, "exec"))
    for condition, _target in getattr(spec, "cond_task_specs", None) or []:
        if condition is not None and condition.args and isinstance(condition.args[0], str):
            found.append(("条件表达式", condition.args[0], "eval"))
    event = getattr(spec, "event_definition", None)
    for definition in getattr(event, "event_definitions", None) or ([event] if event else []):
        expression = getattr(definition, "expression", None)
        if isinstance(expression, str) and expression.strip():
            what = "定时器表达式" if isinstance(definition, TimerEventDefinition) else "事件表达式"
            found.append((what, expression, "eval"))
    for name, param in (getattr(spec, "operation_params", None) or {}).items():
        found.append((f"参数 {name}", str(param.get("value", "")), "eval"))
    for attr in ("cardinality", "condition", "completion_condition"):
        source = getattr(spec, attr, None)
        if isinstance(source, str) and source.strip():
            found.append((attr, source, "eval"))
    return found


def _start_timer_problem(task_spec: Any, limits: Limits) -> str | None:
    """A timer start event's cycle must name a cycle setting or be a quoted date or repeating interval."""
    definition = getattr(task_spec, "event_definition", None)
    if not isinstance(task_spec, StartEvent) or not isinstance(definition, TimerEventDefinition):
        return None
    if isinstance(definition, DurationTimerEventDefinition):
        return "开始定时器应使用 timeCycle (周期) 或 timeDate (日期)，不能用 timeDuration"
    others = [t for t in task_spec._wf_spec.task_specs.values() if isinstance(t, StartEvent) and t is not task_spec]
    if any(not isinstance(t.event_definition, MessageEventDefinition) for t in others):
        return "有开始定时器的流程，其他开始事件须为消息开始事件 (由人或平台发起)"
    expression = definition.expression.strip()
    if expression in settings.known():
        return None if settings.known()[expression].clean is cycles.clean else f"设置 {expression} 不是启动周期"
    try:
        # In a child process: a web request deploying it must never wait on it beyond the limits.
        value = evaluate_isolated(expression, limits)
    except LimitExceeded as exc:
        return f"开始定时器表达式{exc.detail}"
    except Exception:  # noqa: BLE001 - whatever the owner wrote, the answer is the same advice
        return (f"开始定时器表达式 {expression!r} 应为启动周期设置的名称 (如 self_inspection_cycle) "
                "或带引号的 ISO 8601 文本 (如 \"R/2026-01-05T09:00/P3M\")")
    try:
        cycles.parse(str(value))
    except InvalidInput as exc:
        return str(exc)
    return None


def _recursive_calls(spec: Any, subprocess_specs: dict[str, Any], filename: str) -> list[Problem]:
    """A call activity that calls its own process again, directly or through others, would start called cases
    without end: refused, naming it."""
    specs = {spec.name: spec, **{k: v for k, v in subprocess_specs.items() if v is not None}}
    problems: list[Problem] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        for task_spec in specs[name].task_specs.values():
            called = getattr(task_spec, "spec", None)
            if not isinstance(called, str) or called not in specs:
                continue
            if called in path:
                chain = " → ".join((*path[path.index(called):], called))
                problems.append(Problem(filename, task_spec.bpmn_id, f"递归调用: {chain}，流程会无休止地调用自身"))
            else:
                visit(called, (*path, called))

    visit(spec.name, (spec.name,))
    return problems


def lint(parser: SpiffBpmnParser, process_id: str, filename: str, form_keys: set[str],
         limits: Limits = DEFAULT_LIMITS) -> list[Problem]:
    """Zhunru's own rules on top of the schema: lanes, operators, forms, sandboxed expressions."""
    problems = []
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id, require_call_activity_specs=False)
    except ValidationException as exc:
        return [Problem(exc.file_name or filename, exc.id or None, str(exc))]
    except SpiffWorkflowException as exc:
        return [Problem(filename, None, str(exc))]
    for task_spec in spec.task_specs.values():
        called = getattr(task_spec, "spec", None)
        if isinstance(called, str) and called in subprocess_specs and subprocess_specs[called] is None:
            problems.append(Problem(filename, task_spec.bpmn_id, f"调用的流程 {called} 未部署，请先部署或一并部署"))
    problems += _recursive_calls(spec, subprocess_specs, filename)
    for proc_spec in [spec, *(s for s in subprocess_specs.values() if s is not None)]:
        laned = has_lanes(parser, proc_spec.name)
        for task_spec in proc_spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            if element is None:
                continue
            if task_spec.manual and laned and not task_spec.lane:
                problems.append(Problem(filename, element, "流程有泳道，但此人工任务不在任何泳道内"))
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            form_key = properties.get("formKey")
            if form_key and form_key not in form_keys:
                problems.append(Problem(filename, element, f"表单 {form_key} 不存在"))
            operator_name = getattr(task_spec, "operation_name", None)
            if hasattr(task_spec, "operation_params"):
                operator = registry.get(operator_name or "")
                if operator is None:
                    problems.append(Problem(filename, element, f"服务任务的 operator {operator_name!r} 未注册"))
                else:
                    declared = operator.parameters()
                    given = set(task_spec.operation_params)
                    for name in sorted(given - set(declared)):
                        problems.append(Problem(filename, element, f"operator {operator_name} 没有参数 {name}"))
                    for name, info in declared.items():
                        if info["required"] and name not in given:
                            problems.append(Problem(filename, element, f"operator {operator_name} 缺少必填参数 {name}"))
            timer_problem = _start_timer_problem(task_spec, limits)
            if timer_problem:
                problems.append(Problem(filename, element, timer_problem))
            for what, source, mode in _task_expressions(task_spec):
                try:
                    compile_sandboxed(source, mode)
                except SyntaxError as exc:
                    detail = "; ".join(exc.args[0]) if isinstance(exc.args[0], tuple) else exc.msg or str(exc)
                    problems.append(Problem(filename, element, f"{what}无法在沙箱中编译: {detail}"))
    return problems


def _latest(session: Session, model: Any, key_column: Any, key: str) -> Any:
    return session.scalars(
        select(model).where(key_column == key).order_by(model.version.desc()).limit(1)).first()


def _form_keys_used(spec: Any) -> set[str]:
    keys = set()
    for task_spec in spec.task_specs.values():
        key = ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}).get("formKey")
        if key:
            keys.add(key)
    return keys


def _refuse_stale(what: str, key: str, latest: Any, base: int | None) -> None:
    """Someone deployed another version since the one being edited (`base`): refuse, naming them."""
    if base is not None and (latest.version if latest else 0) != base:
        raise Conflict(f"{what} {key} 已由 {latest.deployed_by} 于 {local_iso(latest.deployed_at)} 部署为 "
                       f"v{latest.version}（你编辑的是 v{base}）；请重新打开最新版本后再修改", code="stale_version")


def check(session: Session, files: list[tuple[str, bytes]], actor: str, now: datetime) -> list[Problem]:
    """What `deploy` would refuse, without storing anything."""
    savepoint = session.begin_nested()
    try:
        deploy(session, files, actor, now)
        return []
    except DefinitionError as exc:
        return exc.problems
    finally:
        savepoint.rollback()


def deploy(session: Session, files: list[tuple[str, bytes]], actor: str, now: datetime,
           expected: dict[str, int] | None = None) -> list[Deployed]:
    """Check every file, then store new versions; one bad file refuses the whole deployment.

    `expected` names the version each process or form was edited from: if someone deployed another
    version since, the deployment is refused naming that change, never silently overwriting it."""
    problems: list[Problem] = []
    stored = settings.values(session)
    limits = Limits.of(stored)
    largest = float(stored["definition_max_mb"]) * 2**20
    for filename, content in files:
        if len(content) > largest:
            problems.append(Problem(filename, None, f"文件大小 {len(content) / 2**20:.2f} MB 超过上限 "
                                    f"{stored['definition_max_mb']} MB (设置 definition_max_mb)"))
    files = [(n, c) for n, c in files if len(c) <= largest]
    form_files = [(n, c) for n, c in files if n.endswith(".json")]
    dmn_files = [(n, c) for n, c in files if n.endswith(".dmn")]
    bpmn_files = [(n, c) for n, c in files if not n.endswith((".json", ".dmn"))]
    new_forms: dict[str, tuple[bytes, dict]] = {}
    for filename, content in form_files:
        try:
            schema = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Problem(filename, None, f"不是有效的 JSON: {exc}"))
            continue
        schema, unknown = forms.with_vocabularies(schema, registry.vocabularies())
        problems += [Problem(filename, where, msg) for where, msg in unknown + forms.check_schema(schema)]
        new_forms[form_key_of(filename)] = (content, schema)
    form_keys = set(new_forms) | set(session.scalars(select(FormDefinition.form_key).distinct()))

    new_decisions: list[decisions.DecisionFile] = []
    for filename, content in dmn_files:
        decision, decision_problems = decisions.read(filename, content)
        problems += decision_problems
        if decision is not None and any(d.key == decision.key for d in new_decisions):
            problems.append(Problem(filename, decision.key, f"决策 {decision.key} 在本次部署中出现了两次"))
        elif decision is not None:
            new_decisions.append(decision)
    # A process whose newest version evaluates a changed table is deployed again with it.
    in_batch = {Path(n).name for n, _ in bpmn_files}
    bpmn_files += [(n, c) for n, c in decisions.dependents(session, decisions.changed_keys(session, new_decisions))
                   if Path(n).name not in in_batch]
    parser, parse_problems = _parse(bpmn_files, validate=True)
    problems += parse_problems
    called_elsewhere = parser.get_process_dependencies() - set(parser.process_parsers)
    dependency_xml = _dependency_documents(session, called_elsewhere)
    for dep_filename, dep_xml in dependency_xml.values():
        try:
            parser.add_bpmn_xml(etree.fromstring(dep_xml.encode()), dep_filename)
        except ValidationException as exc:
            problems.append(Problem(dep_filename, exc.id or None, str(exc)))
    decision_problems_of = decisions.add_to_parser(session, parser, new_decisions)
    batch_processes: list[tuple[str, str, bytes]] = []
    for filename, content in bpmn_files:
        ids = [pid for pid, pp in parser.process_parsers.items()
               if pp.filename == filename and pp.process_executable]
        if not ids and not any(p.filename == filename for p in problems):
            problems.append(Problem(filename, None, "文件中没有可执行的流程 (isExecutable=\"true\")"))
        for process_id in ids:
            problems += decision_problems_of.get(process_id) or lint(parser, process_id, filename, form_keys, limits)
            batch_processes.append((process_id, filename, content))
    if problems:
        raise DefinitionError(problems)

    deployed = [Deployed("decision", key, version, created) for key, version, created in decisions.store(
        session, new_decisions, actor, now,
        lambda key, latest: _refuse_stale("决策表", key, latest, (expected or {}).get(key)))]
    for key, (content, schema) in new_forms.items():
        # A form that takes options from shared code lists is a new version when a list changes.
        digest = sha256(content if b'"vocabulary"' not in content else
                        json.dumps(schema, ensure_ascii=False, sort_keys=True).encode())
        latest = _latest(session, FormDefinition, FormDefinition.form_key, key)
        _refuse_stale("表单", key, latest, (expected or {}).get(key))
        if latest is not None and latest.sha256 == digest:
            deployed.append(Deployed("form", key, latest.version, False))
            continue
        version = (latest.version if latest else 0) + 1
        session.add(FormDefinition(form_key=key, version=version, sha256=digest, schema=schema,
                                   deployed_at=now, deployed_by=actor))
        deployed.append(Deployed("form", key, version, True))
    session.flush()
    added = []
    for process_id, filename, content in batch_processes:
        digest = sha256(content)
        latest = _latest(session, Definition, Definition.process_id, process_id)
        _refuse_stale("流程", process_id, latest, (expected or {}).get(process_id))
        pins = {key: _latest(session, FormDefinition, FormDefinition.form_key, key).version
                for key in sorted(_form_keys_used(parser.get_spec(process_id)))}
        decision_pins = {key: _latest_decision_version(session, key)
                         for key in sorted(decisions.used_by(parser, process_id))}
        if (latest is not None and latest.sha256 == digest and latest.form_versions == pins
                and (latest.decision_versions or {}) == decision_pins):
            deployed.append(Deployed("process", process_id, latest.version, False))
            continue
        version = (latest.version if latest else 0) + 1
        row = Definition(
            process_id=process_id, version=version, name=parser.get_spec(process_id).description or process_id,
            filename=Path(filename).name, sha256=digest, xml=content.decode("utf-8"), dependencies=[],
            form_versions=pins, decision_versions=decision_pins, deployed_at=now, deployed_by=actor)
        session.add(row)
        added.append((row, filename))
        deployed.append(Deployed("process", process_id, version, True))
    session.flush()
    for row, filename in added:
        # Called processes from other files run at the version current when the caller was deployed.
        called = [pid for pid in parser.get_subprocess_specs(row.process_id)
                  if parser.get_process_parser(pid).filename != filename]
        row.dependencies = [_latest(session, Definition, Definition.process_id, pid).id for pid in sorted(called)]
    session.flush()
    return deployed


def _latest_decision_version(session: Session, key: str) -> int:
    latest = decisions.latest(session, key)
    assert latest is not None, key  # decisions.add_to_parser refused a process evaluating an unknown table
    return latest.version


def _dependency_documents(session: Session, process_ids: set[str]) -> dict[str, tuple[str, str]]:
    """The newest deployed XML of each called process that is not in this deployment."""
    found = {}
    for process_id in process_ids:
        latest = _latest(session, Definition, Definition.process_id, process_id)
        if latest is not None:
            found[process_id] = (latest.filename, latest.xml)
    return found


_CACHE: "OrderedDict[tuple[int, str], LoadedDefinition]" = OrderedDict()
_CACHE_SIZE = 256


def load(session: Session, definition_id: int, digest: str | None = None) -> LoadedDefinition:
    """The parsed spec of one deployed version; keyed by id and content, as one process may see several
    databases. A caller that read the version's digest already passes it."""
    digest = digest or session.scalar(select(Definition.sha256).where(Definition.id == definition_id))
    if digest is None:
        raise NotFound(f"流程定义 {definition_id} 不存在", what="definition", key=definition_id)
    cached = None if restore_mode.COLD else _CACHE.get((definition_id, digest))
    if cached is not None:
        _CACHE.move_to_end((definition_id, digest))
        return cached
    row = session.get(Definition, definition_id)
    if row is None:
        raise NotFound(f"流程定义 {definition_id} 不存在", what="definition", key=definition_id)
    documents = [(row.filename, row.xml.encode("utf-8"))]
    pending = list(row.dependencies)
    while pending:
        dep = session.get(Definition, pending.pop())
        if dep is not None:
            documents.append((dep.filename, dep.xml.encode("utf-8")))
            pending.extend(dep.dependencies)
    parser, _ = _parse(documents, validate=False)
    decisions.add_pinned(session, parser, row.decision_versions or {})
    loaded = LoadedDefinition(
        definition_id=row.id, process_id=row.process_id, version=row.version, name=row.name,
        specs=Specs(parser.get_spec(row.process_id), parser.get_subprocess_specs(row.process_id)),
        # Called processes bring their own lanes; the version's own document decides a shared lane name.
        lanes={name: rule for _, xml in reversed(documents) for name, rule in lane_rules(xml).items()},
        has_lanes=has_lanes(parser, row.process_id),
        form_versions=dict(row.form_versions or {}),
        decisions=decisions.task_decisions(parser, row.process_id, row.decision_versions or {}),
    )
    _CACHE[(definition_id, digest)] = loaded
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return loaded
