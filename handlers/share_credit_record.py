"""share_credit_record: put a record in the outbox to the credit-information sharing platform (L§14)."""
from marshmallow import Schema, fields

from .registry import HandlerContext, Operator


class Params(Schema):
    kind = fields.String(required=True, metadata={"description": "记录类型"})
    subject = fields.String(required=True, metadata={"description": "主体"})
    payload = fields.Dict(load_default=dict, metadata={"description": "内容"})


def handle(params: dict, ctx: HandlerContext) -> dict:
    record_id = ctx.share_credit(params["kind"], params["subject"], params["payload"])
    return {"credit_record": record_id}


OPERATOR = Operator("share_credit_record", "推送信用信息共享平台（出件箱）", Params, handle)
