"""share_credit_record: put a record in the outbox to the credit-information sharing platform (L§14)."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext
from handlers.registers import credit

from .registry import Operator


class Params(Schema):
    kind = fields.String(required=True, metadata={"description": "记录类型"})
    subject = fields.String(required=True, metadata={"description": "主体"})
    payload = fields.Dict(load_default=dict, metadata={"description": "内容"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    record_id = credit.share(ctx.session, instance_id=ctx.case_id, kind=params["kind"], subject=params["subject"],
                             payload=params["payload"], now=ctx.now).id
    return {"credit_record": record_id}


OPERATOR = Operator("share_credit_record", "推送信用信息共享平台（出件箱）", Params, handle)
