"""notify_unit: an in-app message to an organisation (e.g. 'a clue was transferred to you')."""
from marshmallow import Schema, ValidationError, fields

from .registry import HandlerContext, Operator


class Params(Schema):
    organisation = fields.String(required=True, metadata={"description": "收件单位代码"})
    title = fields.String(required=True, metadata={"description": "标题"})
    body = fields.String(load_default="", metadata={"description": "正文"})


def handle(params: dict, ctx: HandlerContext) -> dict:
    if not ctx.organisation_exists(params["organisation"]):
        raise ValidationError(f"单位 {params['organisation']} 不存在", "organisation")
    ctx.notify(params["organisation"], params["title"], params["body"])
    return {"notified": params["organisation"], "at": ctx.now.isoformat()}


OPERATOR = Operator("notify_unit", "通知单位（站内消息）", Params, handle)
