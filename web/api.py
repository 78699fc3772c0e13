"""JSON API under /api/v1 (bearer tokens from `zhunru user token`), documented at /api/v1/openapi.json.

Task and instance objects carry the same fields as the CLI's --json output.
"""
from flask import Flask, g, request
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import CSRFProtect
from marshmallow import INCLUDE, Schema, fields, validate

from engine import files, queries, runtime, versions
from engine.people import access, claims, credentials
from engine.timing.clock import system_now
from handlers.registers import ledgers
from handlers.vocabulary import VOCABULARIES

from .db import transaction
from .errors import CODES, STATUS, Api

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="准入 Zhunru 接口")
ERRORS = {400: "请求无效", 401: "未提供或无效的令牌", 403: "无权操作", 404: "不存在或无权查看",
          409: "状态冲突 (例如任务已办结)", 413: "上传内容过大", 422: "数据未通过校验"}


class ApiErrorSchema(Schema):
    """Every error answer: a stable code to act on, a message to show, and field errors when fields are at fault."""

    code = fields.String(required=True, validate=validate.OneOf(CODES),
                         metadata={"description": "稳定的错误代码，据此区分错误 (不要解析 message)"})
    message = fields.String(required=True, metadata={"description": "给人看的说明 (中文)"})
    errors = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "字段 → 问题；仅在字段有误时出现 (表单字段、请求参数、流程图元素)"})


class ProcessSchema(Schema):
    process_id = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    deployed_at = fields.String(required=True)
    deployed_by = fields.String(required=True)


class StartSchema(Schema):
    process_id = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                        validate.Regexp(r"^[A-Za-z_][\w.-]*$")])
    data = fields.Dict(keys=fields.String(), load_default=dict)


class StartedSchema(Schema):
    instance_id = fields.String(required=True)


class ComplaintSchema(Schema):
    """A complaint as the 12345 platform pushes it; the fields of the deployed intake form
    (complaint_intake), checked by the engine like a submission on the page."""

    class Meta:
        unknown = INCLUDE

    channel = fields.String(metadata={"description": " | ".join(VOCABULARIES["complaint_channel"])})
    hotline_ref = fields.String(metadata={"description": "12345 工单编号"})
    complainant = fields.String(metadata={"description": "投诉举报人"})
    phone = fields.String(metadata={"description": "联系电话"})
    enterprise = fields.String(metadata={"description": "市场主体名称"})
    respondent = fields.String(metadata={"description": "被投诉单位（部门）"})
    subject = fields.String(metadata={"description": "投诉事项"})
    content = fields.String(metadata={"description": "具体内容"})
    attachments = fields.List(fields.String(), metadata={"description": "附件 (POST /files 返回的 file_id)"})


class ComplaintReceivedSchema(Schema):
    instance_id = fields.String(required=True)
    complaint_no = fields.String(required=True, allow_none=True,
                                 metadata={"description": "投诉编号，带受理地区的前缀，如 XY-TS-2026-0001 "
                                                          "(投诉台账所登记的；流程未登记台账时为空)"})
    status = fields.String(required=True)
    repeat_of = fields.String(allow_none=True,
                              metadata={"description": "重复投诉并入的在办件 (其投诉举报人随该办件一并答复)"})


class TaskSchema(Schema):
    task_id = fields.String(required=True)
    instance_id = fields.String(required=True)
    process_id = fields.String(required=True)
    process_name = fields.String(allow_none=True)
    task_name = fields.String(required=True)
    title = fields.String(required=True)
    case_title = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    form_version = fields.Integer(allow_none=True, metadata={"description": "流程版本部署时所用的表单版本"})
    received_at = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True, metadata={"description": "截止时间 (ISO 8601, Asia/Shanghai)"})
    provisional = fields.Boolean(metadata={"description": "该年节假日未载入，期限暂按周一至周五计算"})
    remind_at = fields.String(allow_none=True)
    reminded_at = fields.String(allow_none=True)
    card = fields.String(allow_none=True, metadata={"description": "green 绿牌 / yellow 黄牌 / red 红牌"})
    overdue = fields.Boolean()


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class TaskQuerySchema(Schema):
    scope = fields.String(load_default="mine", validate=validate.OneOf(queries.SCOPES))
    process_id = fields.String(validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(queries.CARDS))
    q = fields.String(validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TimerSchema(Schema):
    task_name = fields.String()
    due_at = fields.String(allow_none=True)
    attached_to = fields.String(allow_none=True)
    provisional = fields.Boolean()
    rule = fields.String(allow_none=True)
    days = fields.Integer(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


class EscalationSchema(Schema):
    step = fields.String()
    overdue_unit = fields.String(allow_none=True)
    reported_to = fields.String()
    due_at = fields.String(allow_none=True)
    escalated_at = fields.String()


class FileSchema(Schema):
    file_id = fields.String(required=True)
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    uploaded_by = fields.String()
    task_name = fields.String(allow_none=True)
    step_title = fields.String(allow_none=True)


class InstanceSchema(Schema):
    instance_id = fields.String(required=True)
    process_id = fields.String(required=True)
    process_name = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "running / completed / error / cancelled"})
    title = fields.String()
    started_by = fields.String()
    started_at = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    data = fields.Dict()
    ready_tasks = fields.List(fields.Nested(TaskSchema))
    overdue = fields.Boolean()
    waiting_timers = fields.List(fields.Nested(TimerSchema))
    escalations = fields.List(fields.Nested(EscalationSchema))
    waiting_messages = fields.List(fields.String())
    error = fields.Dict(allow_none=True)
    completed_steps = fields.List(fields.String())
    active_steps = fields.List(fields.String())
    waiting_steps = fields.List(fields.String())
    files = fields.List(fields.Nested(FileSchema))


class EventSchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    actor = fields.String()
    kind = fields.String()
    task_name = fields.String(allow_none=True)
    step_title = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String()


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True)


class CompletedSchema(Schema):
    instance_id = fields.String(required=True)
    status = fields.String(required=True)
    error = fields.String(allow_none=True)


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


def _errors(*statuses: int):
    """Document the JSON error answers a route may give, each status with the codes it answers."""
    def decorate(view):
        for status in statuses:
            codes = ", ".join(code for code, answered in STATUS.items() if answered == status)
            view = blp.alt_response(status, schema=ApiErrorSchema,
                                    description=f"{ERRORS[status]} (code: {codes})")(view)
        return view
    return decorate


@blp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="需要 Authorization: Bearer <令牌> (由 zhunru user token 生成)", code="unauthenticated")
    with transaction() as db:
        g.api_actor = credentials.actor_for_token(db, token.strip(), system_now())
    if g.api_actor is None:
        abort(401, message="令牌无效、已过期或已吊销 (zhunru user token --list 查看)", code="token_invalid")


@blp.route("/processes")
@blp.response(200, ProcessSchema(many=True))
@_errors(401)
def list_processes():
    """已部署的流程 (各取最新版本)"""
    with transaction() as db:
        return versions.process_summaries(db)


@blp.route("/instances", methods=["POST"])
@blp.arguments(StartSchema)
@blp.response(201, StartedSchema)
@_errors(400, 401, 403, 404, 422)
def start_instance(body):
    """发起办件"""
    with transaction() as db:
        instance = runtime.start_instance(db, body["process_id"], body["data"], g.api_actor, system_now())
        return {"instance_id": instance.id}


@blp.route("/complaints", methods=["POST"])
@blp.arguments(ComplaintSchema)
@blp.response(201, ComplaintReceivedSchema)
@_errors(400, 401, 403, 404, 422)
def receive_complaint(body):
    """受理投诉举报 (12345 热线平台推送，启动投诉流程的消息)"""
    with transaction() as db:
        instance = runtime.start_instance(db, "complaint", body, g.api_actor, system_now())
        # The case's complaint ledger row, not the diagram's variables (a process owner may rename those).
        row = next(iter(ledgers.items(db, ledger="complaint", case=instance.id)), None)
        merged = row is not None and row["status"] == "merged"
        return {"instance_id": instance.id, "complaint_no": row["item_key"] if row else None,
                "status": instance.status, "repeat_of": row["detail"].get("merged_into") if merged else None}


@blp.route("/instances/<instance_id>")
@blp.response(200, InstanceSchema)
@_errors(401, 404)
def get_instance(instance_id: str):
    """办件状态"""
    with transaction() as db:
        access.require_instance(db, g.api_actor, instance_id)
        return queries.instance_view(db, instance_id, system_now(), g.api_actor)


@blp.route("/instances/<instance_id>/history")
@blp.response(200, EventSchema(many=True))
@_errors(401, 404)
def get_history(instance_id: str):
    """办件办理记录"""
    with transaction() as db:
        access.require_instance(db, g.api_actor, instance_id)
        return queries.history_view(db, instance_id, g.api_actor)


@blp.route("/tasks")
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskPageSchema)
@_errors(400, 401, 422)
def list_tasks(args):
    """待办任务 (scope=mine 我的 / organisation 本单位)，按截止时间排序"""
    with transaction() as db:
        return queries.task_page(db, g.api_actor, system_now(), args["scope"], args.get("process_id"),
                                 args.get("status"), args.get("q"), args["page"], args["per_page"])


@blp.route("/tasks/<task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
@_errors(401, 403, 404, 409)
def claim_task(task_id: str):
    """认领本单位的任务"""
    now = system_now()
    with transaction() as db:
        task = claims.claim(db, task_id, g.api_actor, now)
        return queries.task_view(task, now)


@blp.route("/tasks/<task_id>/release", methods=["POST"])
@blp.response(200, TaskSchema)
@_errors(401, 403, 404, 409)
def release_task(task_id: str):
    """退回已认领的任务"""
    now = system_now()
    with transaction() as db:
        task = claims.release(db, task_id, g.api_actor, now)
        return queries.task_view(task, now)


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, CompletedSchema)
@_errors(400, 401, 403, 404, 409, 422)
def complete_task(body, task_id: str):
    """办理任务 (表单数据在服务器端校验)"""
    with transaction() as db:
        instance = runtime.complete_task(db, task_id, body["data"], g.api_actor, system_now())
        return {"instance_id": instance.id, "status": instance.status,
                "error": instance.error_message if instance.status == "error" else None}


@blp.route("/files", methods=["POST"])
@blp.arguments(UploadSchema, location="files")
@blp.response(201, FileSchema)
@_errors(400, 401, 413, 422)
def upload_file(body):
    """上传证明材料，返回可在表单数据中引用的 file_id"""
    upload = body["file"]
    with transaction() as db:
        row = files.upload(db, upload.filename or "file", upload.read(), g.api_actor.username, system_now())
        return {"file_id": row.id, "filename": row.filename, "sha256": row.sha256, "size": row.size,
                "content_type": row.content_type, "uploaded_by": row.uploaded_by, "task_name": None}


def register(app: Flask, csrf: CSRFProtect) -> None:
    app.config.update(API_TITLE="准入 Zhunru API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
                      API_SPEC_OPTIONS={"security": [{"bearerAuth": []}],
                                        "components": {"securitySchemes": {
                                            "bearerAuth": {"type": "http", "scheme": "bearer"}}}})
    api = Api(app)
    csrf.exempt(blp)  # bearer tokens, no cookies: nothing for a forged form to ride on
    api.register_blueprint(blp)
