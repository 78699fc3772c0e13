"""extend_deadline: an approved extension replaces the running deadline of one activity (L§12(四))."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .params import Instant
from .registry import Operator


class Params(Schema):
    task = fields.String(required=True, metadata={"description": "延期的环节 (BPMN id)"})
    new_due = Instant(required=True, allow_none=False, metadata={"description": "新的截止时间 (ISO 8601)"})
    approved_by = fields.String(load_default=None, allow_none=True, metadata={"description": "批准人"})
    variable = fields.String(load_default=None, allow_none=True, metadata={
        "description": "同时写入新截止时间的办件变量 (环节再次办理时，其时限读此变量，延期仍然有效)"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    if params["new_due"] <= ctx.now:
        raise ValidationError("新的截止时间必须晚于当前时间", "new_due")
    if params["variable"] is not None:
        return ctx.extend_deadline(params["task"], params["new_due"], params["approved_by"], params["variable"])
    return ctx.extend_deadline(params["task"], params["new_due"], params["approved_by"])


OPERATOR = Operator("extend_deadline", "延长环节时限（批准的延期）", Params, handle, replayed=True)
