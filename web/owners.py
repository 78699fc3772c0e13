"""Process owners (流程管理员): process and form versions, the BPMN modeller and the form editor."""
import json
import re
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from sqlalchemy import func, select

from engine import definitions, forms, versions
from engine.errors import DefinitionError, InvalidInput, Problem
from engine.people import directory
from engine.store.models import DecisionDefinition, Definition, FormDefinition, Instance, Organisation
from engine.timing.clock import local_iso, system_now
from handlers import registry

from .auth import current_actor, login_required
from .db import transaction
from .errors import refuse
from .safety import attachment

bp = Blueprint("owners", __name__)
_ID = re.compile(r"^[A-Za-z_][\w.-]{0,199}$")


@bp.before_request
@login_required
def owners_only():
    if not current_actor().owns_processes:
        abort(404)


def _checked_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise InvalidInput(f"{what} {value!r} 无效 (字母或下划线开头，可含字母、数字、_ . -)")
    return value


def _problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"file": p.filename, "element": p.element_id, "message": p.message} for p in problems]


@bp.get("/processes")
def process_list():
    with transaction() as db:
        rows = [dict(p, versions=versions.of_process(db, p["process_id"]))
                for p in versions.process_summaries(db)]
    return render_template("processes.html", processes=rows)


@bp.get("/processes/<process_id>/v<int:version>.bpmn")
def process_xml(process_id: str, version: int):
    with transaction() as db:
        xml = versions.version_row(db, process_id, version).xml
    return xml_download(xml, f"{process_id}-v{version}.bpmn")


def xml_download(xml: str, filename: str) -> Response:
    """A deployed version's XML as a file to save (a diagram or a decision table)."""
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = attachment(filename)
    return response


def form_title(schema: dict[str, Any], form_key: str) -> str:
    """What owners call a form: its heading (the first text component's first line), else its key."""
    for component in schema.get("components") or []:
        if component.get("type") == "text" and str(component.get("text") or "").strip():
            return str(component["text"]).strip().splitlines()[0].lstrip("#").strip() or form_key
    return form_key


def _condition_fields(schemas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The form fields a gateway condition can test, with their fixed options, for the condition builder."""
    fields: dict[str, dict[str, Any]] = {}
    for schema in schemas:
        for key, comp in forms.keyed_fields(schema).items():
            if key in fields or comp.get("type") in ("filepicker", "dynamiclist"):
                continue
            options = [[str(v.get("value")), str(v.get("label") or v.get("value"))]
                       for v in comp.get("values") or [] if isinstance(v, dict)]
            fields[key] = {"key": key, "label": str(comp.get("label") or key), "type": comp.get("type"),
                           "options": options}
    return sorted(fields.values(), key=lambda f: f["key"])


def _modeler_context(db) -> dict[str, Any]:
    """What the properties panel offers: forms, operators with their parameters, organisations, roles."""
    newest = select(FormDefinition.form_key, func.max(FormDefinition.version).label("version")) \
        .group_by(FormDefinition.form_key).subquery()
    newest_forms = db.execute(select(FormDefinition.form_key, FormDefinition.version, FormDefinition.schema)
                       .join(newest, (newest.c.form_key == FormDefinition.form_key)
                             & (newest.c.version == FormDefinition.version))
                       .order_by(FormDefinition.form_key)).all()
    return {
        "forms": [{"key": k, "version": v, "title": form_title(schema, k)} for k, v, schema in newest_forms],
        "fields": _condition_fields([schema for _, _, schema in newest_forms]),
        "operators": [{"name": o.name, "description": o.description, "parameters": o.parameters()}
                      for o in sorted(registry.operators().values(), key=lambda o: o.name)],
        "organisations": [{"code": c, "name": n} for c, n in db.execute(
            select(Organisation.code, Organisation.name).order_by(Organisation.id))],
        "roles": [{"code": c, "name": n} for c, n in directory.ROLES.items()],
        "decisions": [{"key": k, "version": v} for k, v in db.execute(
            select(DecisionDefinition.decision_key, func.max(DecisionDefinition.version))
            .group_by(DecisionDefinition.decision_key).order_by(DecisionDefinition.decision_key))],
    }


@bp.get("/processes/<process_id>/modeler")
def modeler(process_id: str):
    with transaction() as db:
        row = versions.version_row(db, process_id)
        context = _modeler_context(db)
        page = {"process_id": process_id, "version": row.version, "xml": row.xml,
                "validate_url": url_for("owners.validate_process", process_id=process_id),
                "deploy_url": url_for("owners.deploy_process", process_id=process_id), **context}
    return render_template("modeler.html", page=page, name=row.name)


def _xml_of(body: dict[str, Any]) -> bytes:
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise InvalidInput("缺少流程图 XML")
    return xml.encode("utf-8")


def _base_version(body: dict[str, Any]) -> int:
    base = body.get("base_version")
    if not isinstance(base, int):
        raise InvalidInput("缺少 base_version (编辑所依据的版本号)")
    return base


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("请求内容必须是 JSON 对象")
    return body


@bp.post("/processes/<process_id>/validate")
def validate_process(process_id: str):
    xml = _xml_of(_body())
    with transaction() as db:
        problems = definitions.check(db, [(f"{_checked_id(process_id, '流程')}.bpmn", xml)],
                                     current_actor().username, system_now())
    return jsonify({"problems": _problems(problems)})


@bp.post("/processes/<process_id>/deploy")
def deploy_process(process_id: str):
    body = _body()
    xml = _xml_of(body)
    base = _base_version(body)
    filename = f"{_checked_id(process_id, '流程')}.bpmn"
    with transaction() as db:
        existing = db.scalar(select(Definition.filename).where(Definition.process_id == process_id).limit(1))
        try:
            deployed = definitions.deploy(db, [(existing or filename, xml)], current_actor().username,
                                          system_now(), expected={process_id: base})
        except DefinitionError as exc:
            return refuse(exc, "流程图有问题，未部署")
        result = next((d for d in deployed if d.key == process_id), None)
        if result is None:
            raise InvalidInput(f"流程图中没有 id 为 {process_id} 的可执行流程")
        older = db.scalar(select(func.count()).select_from(Instance).join(
            Definition, Definition.id == Instance.definition_id).where(
            Instance.process_id == process_id, Instance.status.in_(("running", "error")),
            Definition.version < result.version))
    return jsonify({"version": result.version, "created": result.created, "running_on_older_versions": older,
                    "deployed": [{"kind": d.kind, "id": d.key, "version": d.version, "created": d.created}
                                 for d in deployed]})


@bp.get("/forms")
def form_list():
    with transaction() as db:
        rows = db.scalars(select(FormDefinition).order_by(FormDefinition.form_key, FormDefinition.version.desc()))
        grouped: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            grouped.setdefault(r.form_key, []).append(
                {"version": r.version, "sha256": r.sha256, "deployed_at": local_iso(r.deployed_at),
                 "deployed_by": r.deployed_by})
        used = _form_use(db)
    return render_template("forms.html", forms=grouped, used=used)


def _form_use(db) -> dict[str, list[str]]:
    """Per form key, the newest process versions that use it and with which form version."""
    used: dict[str, list[str]] = {}
    for summary in versions.process_summaries(db):
        row = versions.version_row(db, summary["process_id"])
        for key, version in (row.form_versions or {}).items():
            used.setdefault(key, []).append(f"{row.process_id} v{row.version} → 表单 v{version}")
    return used


@bp.get("/forms/<form_key>/v<int:version>.json")
def form_json(form_key: str, version: int):
    with transaction() as db:
        row = db.scalars(select(FormDefinition).where(FormDefinition.form_key == form_key,
                                                      FormDefinition.version == version)).first()
        if row is None:
            abort(404)
        return jsonify(row.schema)


@bp.get("/forms/<form_key>/editor")
def form_editor(form_key: str):
    with transaction() as db:
        row = db.scalars(select(FormDefinition).where(FormDefinition.form_key == form_key)
                         .order_by(FormDefinition.version.desc()).limit(1)).first()
        schema = row.schema if row else {"type": "default", "id": form_key, "components": [], "schemaVersion": 16}
        page = {"form_key": form_key, "version": row.version if row else 0, "schema": schema,
                "validate_url": url_for("owners.validate_form", form_key=form_key),
                "deploy_url": url_for("owners.deploy_form", form_key=form_key)}
    return render_template("form_editor.html", page=page)


def _form_file(form_key: str, body: dict[str, Any]) -> tuple[str, bytes]:
    schema = body.get("schema")
    if not isinstance(schema, dict):
        raise InvalidInput("缺少表单 schema (JSON 对象)")
    return f"{_checked_id(form_key, '表单')}.json", json.dumps(schema, ensure_ascii=False, indent=2).encode()


@bp.post("/forms/<form_key>/validate")
def validate_form(form_key: str):
    file = _form_file(form_key, _body())
    with transaction() as db:
        problems = definitions.check(db, [file], current_actor().username, system_now())
    return jsonify({"problems": _problems(problems)})


@bp.post("/forms/<form_key>/deploy")
def deploy_form(form_key: str):
    body = _body()
    file = _form_file(form_key, body)
    with transaction() as db:
        try:
            deployed = definitions.deploy(db, [file], current_actor().username, system_now(),
                                          expected={form_key: _base_version(body)})
        except DefinitionError as exc:
            return refuse(exc, "表单有问题，未部署")
    return jsonify({"version": deployed[0].version, "created": deployed[0].created})

