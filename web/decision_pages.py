"""Process owners' decision tables (决策表): their versions, and the dmn-js editor with validation and deployment."""
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select

from engine import decisions, definitions
from engine.errors import DefinitionError, InvalidInput, NotFound
from engine.store.models import DecisionDefinition, Definition, Instance
from engine.timing.clock import local_iso, system_now

from . import owners
from .auth import current_actor
from .db import transaction
from .errors import refuse

bp = Blueprint("decisions", __name__)
bp.before_request(owners.owners_only)


def _blank(key: str) -> str:
    """A new table as dmn-js draws one: one input, one output, no rules yet."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
    id="{key}_definitions" name="{key}" namespace="http://zhunru/dmn">
  <decision id="{key}" name="{key}">
    <decisionTable id="{key}_table" hitPolicy="UNIQUE">
      <input id="{key}_input" label="输入">
        <inputExpression id="{key}_input_expression" typeRef="string">
          <text>value</text>
        </inputExpression>
      </input>
      <output id="{key}_output" label="结果" name="result" typeRef="string" />
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="{key}_diagram">
      <dmndi:DMNShape id="{key}_shape" dmnElementRef="{key}">
        <dc:Bounds height="80" width="180" x="160" y="100" />
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
"""


@bp.get("/decisions")
def decision_list():
    with transaction() as db:
        tables = {key: [{"version": r.version, "name": r.name, "filename": r.filename, "sha256": r.sha256,
                         "deployed_at": local_iso(r.deployed_at), "deployed_by": r.deployed_by} for r in rows]
                  for key, rows in decisions.summaries(db).items()}
        used = decisions.process_use(db)
    return render_template("decisions.html", tables=tables, used=used)


@bp.post("/decisions/new")
def new_decision():
    key = owners._checked_id((request.form.get("key") or "").strip(), "决策表")
    return redirect(url_for("decisions.editor", key=key))


@bp.get("/decisions/<key>/v<int:version>.dmn")
def decision_xml(key: str, version: int):
    with transaction() as db:
        xml = decisions.version_row(db, key, version).xml
    return owners.xml_download(xml, f"{key}-v{version}.dmn")


@bp.get("/decisions/<key>/editor")
def editor(key: str):
    owners._checked_id(key, "决策表")
    with transaction() as db:
        try:
            row = decisions.version_row(db, key)
            version, xml, name = row.version, row.xml, row.name
        except NotFound:
            version, xml, name = 0, _blank(key), key
        page = {"key": key, "version": version, "xml": xml,
                "validate_url": url_for("decisions.validate", key=key),
                "deploy_url": url_for("decisions.deploy", key=key)}
    return render_template("decision_editor.html", page=page, name=name)


def _file(db, key: str, body: dict[str, Any]) -> tuple[str, bytes]:
    row = db.scalar(select(DecisionDefinition.filename).where(DecisionDefinition.decision_key == key).limit(1))
    return f"decisions/{row or owners._checked_id(key, '决策表') + '.dmn'}", owners._xml_of(body)


def _decision_of(file: tuple[str, bytes], key: str) -> None:
    found, _ = decisions.read(*file)
    if found is not None and found.key != key:
        raise InvalidInput(f"决策的 id 是 {found.key}，此页面编辑的是 {key}；请保持决策 id 不变")


@bp.post("/decisions/<key>/validate")
def validate(key: str):
    body = owners._body()
    with transaction() as db:
        file = _file(db, key, body)
        _decision_of(file, key)
        problems = definitions.check(db, [file], current_actor().username, system_now())
    return jsonify({"problems": owners._problems(problems)})


@bp.post("/decisions/<key>/deploy")
def deploy(key: str):
    body = owners._body()
    base = owners._base_version(body)
    with transaction() as db:
        file = _file(db, key, body)
        _decision_of(file, key)
        try:
            deployed = definitions.deploy(db, [file], current_actor().username, system_now(), expected={key: base})
        except DefinitionError as exc:
            return refuse(exc, "决策表有问题，未部署")
        result = next(d for d in deployed if d.kind == "decision")
        processes = [d for d in deployed if d.kind == "process" and d.created]
        # Running cases of the processes that now evaluate the new version keep the one they started with.
        older = sum(db.scalar(select(func.count()).select_from(Instance).join(
            Definition, Definition.id == Instance.definition_id).where(
            Instance.process_id == d.key, Instance.status.in_(("running", "error")), Definition.version < d.version))
            for d in processes)
    return jsonify({"version": result.version, "created": result.created, "running_on_older_versions": older,
                    "processes": [{"id": d.key, "version": d.version} for d in processes]})
