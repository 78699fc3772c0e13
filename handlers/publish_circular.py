"""publish_circular: issue a circular (通报) within a region, numbered per region and year (第N期), read in the
product by every unit of the region (L§12(六) 按要求在全市范围内通报)."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext
from handlers.registers import circulars

from .notify_unit import tidy
from .registry import Operator


class Params(Schema):
    region = fields.String(required=True, metadata={"description": "发布地区 (人民政府) 的单位代码"})
    issuer = fields.String(required=True, metadata={"description": "发文单位代码"})
    title = fields.String(required=True, metadata={"description": "通报标题"})
    body = fields.String(required=True, metadata={"description": "通报正文"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    for key in ("region", "issuer"):
        if not ctx.organisation_exists(params[key]):
            raise ValidationError(f"单位 {params[key]} 不存在", key)
    circular = circulars.issue(ctx.session, instance_id=ctx.case_id, region=params["region"], issuer=params["issuer"],
                               title=tidy(params["title"]),
                               body=params["body"].strip(), actor=ctx.actor, now=ctx.now)
    return {"circular_id": circular.id, "issue": circulars.issue_text(circular)}


OPERATOR = Operator("publish_circular", "发布本地区通报（站内，本地区各单位可阅）", Params, handle)
