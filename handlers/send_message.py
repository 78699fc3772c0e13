"""send_message: deliver a message to another running matter (a repeat complaint to the one it is merged into)."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    instance_id = fields.String(required=True, metadata={"description": "收件办件的编号 (实例 id)"})
    message = fields.String(required=True, metadata={"description": "消息名称 (收件流程中等待的消息)"})
    payload = fields.Dict(load_default=dict, metadata={"description": "消息内容"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    refused = ctx.deliver(params["instance_id"], params["message"], params["payload"])
    # A matter that does not wait for the message (one running an older version of its process) is said so:
    # the sending diagram decides what to do instead.
    return {"delivered": refused is None, "instance_id": params["instance_id"], "reason": refused}


OPERATOR = Operator("send_message", "向另一在办件发送消息", Params, handle)
