"""Messages a case waits for that a person sends from its page (0137's written extension request by the
competent unit, a report of 推诿/敷衍/拖延 by any party): each one whose catch event has a form is offered on the
case page to those who may send it, filled in with form-js and delivered as `zhunru message` delivers it."""
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from engine import definitions, files, forms, inputs, projections, runtime
from engine.errors import InvalidInput
from engine.people import access, assignment, directory
from engine.people.directory import Actor
from engine.store import serialization
from engine.store.models import Instance
from engine.timing.clock import system_now

from .auth import current_actor, login_required
from .db import transaction

bp = Blueprint("case_messages", __name__)


def offered(db: Any, actor: Actor, instance: Instance) -> dict[str, dict[str, Any]]:
    """Message name → {title, form key, schema version}: what this actor may send the running case now (a catch
    event naming a `senderLane` is that lane's organisation's alone)."""
    if instance.status != "running" or assignment.read_only(actor):
        return {}
    loaded = definitions.load(db, instance.definition_id)
    workflow = serialization.restore(instance.state, loaded.specs)
    known = directory.codes(db)
    found: dict[str, dict[str, Any]] = {}
    for task in projections.waiting_message_tasks(workflow):
        spec, name = task.task_spec, task.task_spec.event_definition.name
        key = projections.form_key(spec)
        if not key or name in found:
            continue
        lane = ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("senderLane")
        if lane and not actor.is_admin and assignment.resolve(
                loaded, lane, dict(task.data), instance.started_by, known).organisation != actor.organisation:
            continue
        found[name] = {"title": projections.task_title(spec), "form_key": key,
                       "form_version": loaded.form_versions.get(key)}
    return found


def _offer(db: Any, instance_id: str, name: str) -> tuple[dict[str, Any], dict]:
    actor = current_actor()
    instance = access.require_instance(db, actor, instance_id)
    offer = offered(db, actor, instance).get(name)
    schema = runtime.form_schema(db, offer["form_key"], offer["form_version"]) if offer else None
    if offer is None or schema is None:
        abort(404)
    return offer, schema


@bp.app_context_processor
def _case_actions() -> dict[str, Any]:
    def case_actions(instance_id: str) -> list[dict[str, str]]:
        actor = current_actor()
        if actor is None:
            return []
        with transaction() as db:
            instance = db.get(Instance, instance_id)
            found = offered(db, actor, instance) if instance is not None else {}
        return [{"title": offer["title"], "url": url_for("case_messages.message_form", instance_id=instance_id,
                                                         name=name)} for name, offer in found.items()]
    return {"case_actions": case_actions}


@bp.get("/cases/<instance_id>/messages/<name>")
@login_required
def message_form(instance_id: str, name: str):
    with transaction() as db:
        offer, schema = _offer(db, instance_id, name)
        title = db.get(Instance, instance_id).title
    return render_template("message_form.html", title=offer["title"], case_title=title, schema=schema,
                           url=url_for("case_messages.send", instance_id=instance_id, name=name))


@bp.post("/cases/<instance_id>/messages/<name>")
@login_required
def send(instance_id: str, name: str):
    actor, now = current_actor(), system_now()
    with transaction() as db:
        _, schema = _offer(db, instance_id, name)
        data = inputs.loads(request.form.get("data") or "{}", "表单数据")
        if not isinstance(data, dict):
            raise InvalidInput("表单数据必须是 JSON 对象")
        for key in forms.file_fields(schema):  # form-js file references → files stored with the submission
            value = data.get(key)
            if isinstance(value, str) and value.startswith("files::"):
                data[key] = [files.upload(db, upload.filename or "file", upload.read(), actor.username, now).id
                             for upload in request.files.getlist(value)]
        instance = runtime.deliver_message(db, instance_id=instance_id, name=name, payload=data, actor=actor, now=now)
    return jsonify({"status": instance.status, "redirect": url_for("pages.case_page", instance_id=instance_id)})
