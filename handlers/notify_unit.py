"""notify_unit: an in-app message to an organisation (e.g. 'a clue was transferred to you')."""
import re

from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    organisation = fields.String(required=True, metadata={"description": "收件单位代码"})
    title = fields.String(required=True, metadata={"description": "标题"})
    body = fields.String(load_default="", metadata={"description": "正文"})


# A message is written around what staff typed: "{summary}。请…" after a summary that ends in 。 reads "。。".
_DOUBLED = re.compile(r"([。，；：！？、])[。，；：！？、.,;:]+")


def tidy(text: str) -> str:
    return _DOUBLED.sub(r"\1", text.strip())


def handle(params: dict, ctx: OperatorContext) -> dict:
    if not ctx.organisation_exists(params["organisation"]):
        raise ValidationError(f"单位 {params['organisation']} 不存在", "organisation")
    ctx.notify(params["organisation"], tidy(params["title"]), tidy(params["body"]))
    return {"notified": params["organisation"], "at": ctx.now.isoformat()}


OPERATOR = Operator("notify_unit", "通知单位（站内消息）", Params, handle)
