"""find_open_case: a running case of the same process about the same subject (a repeat complaint)."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    process_id = fields.String(required=True, metadata={"description": "流程标识"})
    subject_key = fields.String(required=True, metadata={"description": "事项主题键"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    return {"instance_id": ctx.open_case_with_subject(params["process_id"], params["subject_key"])}


OPERATOR = Operator("find_open_case", "查找同一事项的在办件（重复投诉）", Params, handle)
