"""Staff pages: task list, task page with its form, starting a case, case pages, file download."""
import math
from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from sqlalchemy import case, func, select

from engine import definitions, files, forms, inputs, lateness, projections, queries, runtime, versions
from engine.errors import InvalidInput, NotEntitled, NotFound
from engine.people import access, assignment, claims, directory
from engine.store import task_rows
from engine.store.models import Definition, HumanTask, Instance, Timer
from engine.timing.clock import system_now

from . import my_work
from .auth import current_actor, login_required, safe_next
from .db import transaction
from .describe import describe_history
from .safety import attachment

bp = Blueprint("pages", __name__)
PER_PAGE = 20
REGION = "region"


@bp.get("/")
@login_required
def home():
    return redirect(url_for("pages.task_list"))


MAX_PAGE = 100000  # as the API's `page`; beyond it a page number is not a page (and not a database integer)


def _int_arg(name: str, default: int) -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get(name, default))))
    except ValueError:
        return default


@bp.get("/tasks")
@login_required
def task_list():
    actor = current_actor()
    scope = request.args.get("scope")
    status = request.args.get("status") or None
    if status not in (None, *queries.CARDS):
        status = None
    process_id = request.args.get("process") or None
    text_filter = (request.args.get("q") or "").strip()[:100]
    unit = request.args.get("unit") or None
    with transaction() as db:
        # 辖区: the steps a leader's units hold (the lists behind the leaders' view), one unit or all.
        region = lateness.units(db, actor) if scope == REGION and lateness.may_view(actor) else None
        if scope not in queries.SCOPES and region is None:  # first visit: my own tasks, else my organisation's pool
            scope = "mine" if queries.task_page(db, actor, system_now(), "mine", per_page=1)["total"] \
                else "organisation"
        if region is None or unit not in region:
            unit = None
        result = queries.task_page(db, actor, system_now(), scope, process_id, status, text_filter,
                                   _int_arg("page", 1), PER_PAGE, within=region, unit=unit)
        processes = versions.process_summaries(db)
        colleagues = ([u for u in directory.users(db) if u["organisation"] == actor.organisation]
                      if actor.is_leader and actor.organisation else [])
    pages = max(1, math.ceil(result["total"] / PER_PAGE))
    return render_template("tasks.html", result=result, scope=scope, status=status, process_id=process_id,
                           q=text_filter, processes=processes, pages=pages, colleagues=colleagues, unit=unit,
                           region=region)


def _back() -> Any:
    return redirect(safe_next(request.form.get("next")))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):
    with transaction() as db:
        claims.claim(db, task_id, current_actor(), system_now())
    return _back()


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str):
    with transaction() as db:
        claims.release(db, task_id, current_actor(), system_now())
    return _back()


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id: str):
    with transaction() as db:
        claims.reassign(db, task_id, request.form.get("username", ""), current_actor(), system_now())
    return _back()


def _case(db, instance_id: str) -> dict[str, Any]:
    """The case as its pages show it to the user (personal data masked unless theirs to see); the caller has
    checked the user may see it."""
    actor = current_actor()
    view = queries.instance_view(db, instance_id, system_now(), actor)
    return {"case": view, "steps": describe_history(db, queries.history_view(db, instance_id, actor))}


@bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str):
    actor = current_actor()
    with transaction() as db:
        detail = queries.task_detail(db, actor, task_id, system_now())
        context = _case(db, detail["task"]["instance_id"])  # entitled through the task
    return render_template("task.html", detail=detail, **context)


def _submitted(schema: dict, actor_name: str, db, now) -> dict:
    """The form data (JSON) of a multipart submission, its form-js file references replaced by the ids of
    the files stored with it."""
    data = inputs.loads(request.form.get("data") or "{}", "表单数据")
    if not isinstance(data, dict):
        raise InvalidInput("表单数据必须是 JSON 对象")
    for key in forms.file_fields(schema):
        value = data.get(key)
        if isinstance(value, str) and value.startswith("files::"):  # form-js filepicker reference
            data[key] = [files.upload(db, upload.filename or "file", upload.read(), actor_name, now).id
                         for upload in request.files.getlist(value)]
    return data


def _first_task(db, actor, instance) -> str | None:
    """The case's step the user may do next, theirs before their unit's pool."""
    return db.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance.id, assignment.visible_to(actor))
                      .order_by(case((HumanTask.assignee == actor.username, 0), else_=1), HumanTask.created_at,
                                HumanTask.id)).first()


def _next_page(db, actor, instance) -> str:
    mine = _first_task(db, actor, instance)
    return url_for("pages.task_page", task_id=mine) if mine else url_for("pages.task_list", done=instance.id)


def _task_ids(db, instance_id: str) -> set[str]:
    return set(db.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id)))


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete(task_id: str):
    """Form data (JSON) and its evidence files in one request, stored and completed in one transaction."""
    actor = current_actor()
    now = system_now()
    with transaction() as db:
        human = db.get(HumanTask, task_id)
        if human is None:  # as another organisation's task answers (task_rows.require_known)
            raise NotFound(f"任务 {task_id} 不存在或已办结", what="task", key=task_id)
        task_rows.require_known(db, human, actor)
        if not assignment.may_act(human, actor):
            raise NotEntitled(f"用户 {actor.username} 无权办理任务 {task_id}")
        data = _submitted(runtime.form_schema(db, human.form_key, human.form_version) or {}, actor.username, db, now)
        done, before = f"已提交「{human.title}」", _task_ids(db, human.instance_id)
        instance = runtime.complete_task(db, task_id, data, actor, now)
        target = _next_page(db, actor, instance)
        my_work.confirm(db, actor, instance, done, before)
    return jsonify({"status": instance.status, "redirect": target})


@bp.get("/start")
@login_required
def start_list():
    actor = current_actor()
    with transaction() as db:
        known = directory.codes(db)
        called = versions.called_processes(db)
        startable = []
        for summary in versions.process_summaries(db):
            if summary["process_id"] in called:
                continue
            loaded = definitions.load(db, versions.latest_definition(db, summary["process_id"]).id)
            if assignment.may_start(loaded, actor, known):
                startable.append(summary | {"start_form": bool(projections.start_form_key(loaded.spec))})
    return render_template("start.html", processes=startable)


def _start_form(db, process_id: str) -> tuple[str, dict | None]:
    loaded = definitions.load(db, versions.latest_definition(db, process_id).id)
    key = projections.start_form_key(loaded.spec)
    return loaded.name, runtime.form_schema(db, key, loaded.form_versions.get(key or ""))


@bp.get("/start/<process_id>")
@login_required
def start_form(process_id: str):
    """A process that starts on a message (a complaint, case materials) asks for its start form first."""
    with transaction() as db:
        name, schema = _start_form(db, process_id)
    if schema is None:
        abort(404)
    return render_template("start_form.html", process_id=process_id, name=name, schema=schema)


@bp.post("/start/<process_id>")
@login_required
def start(process_id: str):
    actor = current_actor()
    now = system_now()
    with transaction() as db:
        name, schema = _start_form(db, process_id)
        if schema is None:  # the start button: the first step's form follows
            instance = runtime.start_instance(db, process_id, {}, actor, now)
            first = _first_task(db, actor, instance)
            return redirect(url_for("pages.task_page", task_id=first) if first
                            else url_for("pages.case_page", instance_id=instance.id))
        instance = runtime.start_instance(db, process_id, _submitted(schema, actor.username, db, now), actor, now)
        target = _next_page(db, actor, instance)
        my_work.confirm(db, actor, instance, f"已发起「{name}」", set())
    return jsonify({"status": instance.status, "redirect": target})


@bp.get("/cases")
@login_required
def case_list():
    actor = current_actor()
    status = request.args.get("status") or None
    page = _int_arg("page", 1)
    with transaction() as db:
        conditions = [access.visible(actor, access.jurisdiction(db, actor))] + (
            [Instance.status == status] if status else [])
        total = db.scalar(select(func.count()).select_from(Instance).where(*conditions))
        rows = db.execute(select(Instance, Definition.name).join(Definition, Definition.id == Instance.definition_id)
                          .where(*conditions).order_by(Instance.started_at.desc(), Instance.id)
                          .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("cases.html", rows=rows, total=total, page=page, status=status,
                           pages=max(1, math.ceil(total / PER_PAGE)))


@bp.get("/cases/<instance_id>")
@login_required
def case_page(instance_id: str):
    with transaction() as db:
        access.require_instance(db, current_actor(), instance_id)
        context = _case(db, instance_id)
    return render_template("case.html", **context)


@bp.get("/cases/<instance_id>/diagram.xml")
@login_required
def diagram(instance_id: str):
    with transaction() as db:
        instance = access.require_instance(db, current_actor(), instance_id)
        xml = db.scalar(select(Definition.xml).where(Definition.id == instance.definition_id))
    return Response(xml, mimetype="application/xml")


@bp.get("/files/<file_id>")
@login_required
def download(file_id: str):
    with transaction() as db:
        row = access.require_file(db, current_actor(), file_id)
        content, filename, content_type, digest = row.content, row.filename, row.content_type, row.sha256
    response = Response(content, mimetype=content_type)
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["X-Content-SHA256"] = digest
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/status")
@login_required
def status_page():
    if not current_actor().is_admin:
        abort(404)
    now = system_now()
    with transaction() as db:
        processes = versions.process_summaries(db)
        by_status = dict(db.execute(select(Instance.status, func.count()).group_by(Instance.status)).all())
        counts = {
            "open_tasks": db.scalar(select(func.count()).select_from(HumanTask)),
            "overdue": db.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.due_at <= now)),
            "provisional": db.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.due_provisional)),
            "waiting_timers": db.scalar(select(func.count()).select_from(Timer).where(Timer.kind == "event")),
            "failing": db.scalar(select(func.count()).select_from(Timer).where(Timer.attempts > 0)),
        }
    return render_template("overview.html", processes=processes, by_status=by_status, **counts)
