"""start_process: start another case in the same transaction (a closed clue is archived; a notice starts
a self-inspection). The new case's data name this one as `source_instance`."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    process_id = fields.String(required=True, metadata={"description": "流程标识"})
    data = fields.Dict(load_default=dict, metadata={"description": "启动数据"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    return {"instance_id": ctx.start_case(params["process_id"], params["data"])}


OPERATOR = Operator("start_process", "发起另一流程", Params, handle)
