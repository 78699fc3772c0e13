"""notify_units: one in-app message to several organisations (a decision the documents say goes to each party,
e.g. L§12(四): an extension decided is told to the competent unit, the responsible unit and the lead NDRC)."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .notify_unit import tidy
from .registry import Operator


class Params(Schema):
    organisations = fields.List(fields.String(allow_none=True), required=True,
                                metadata={"description": "收件单位代码列表 (重复或空的略过)"})
    title = fields.String(required=True, metadata={"description": "标题"})
    body = fields.String(load_default="", metadata={"description": "正文"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    codes = list(dict.fromkeys(code for code in params["organisations"] if code))
    unknown = [code for code in codes if not ctx.organisation_exists(code)]
    if unknown:
        raise ValidationError(f"单位 {', '.join(unknown)} 不存在", "organisations")
    for code in codes:
        ctx.notify(code, tidy(params["title"]), tidy(params["body"]))
    return {"notified": codes, "at": ctx.now.isoformat()}


OPERATOR = Operator("notify_units", "通知多个单位（站内消息）", Params, handle)
