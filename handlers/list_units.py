"""list_units: the organisations below one (e.g. every county department), for a multi-instance step."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    under = fields.String(required=True, metadata={"description": "上级单位代码"})
    kind = fields.String(load_default=None, allow_none=True, metadata={"description": "单位类型 (department…)"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    if not ctx.organisation_exists(params["under"]):
        raise ValidationError(f"单位 {params['under']} 不存在", "under")
    return {"units": ctx.units(params["under"], params["kind"])}


OPERATOR = Operator("list_units", "列出下级单位", Params, handle)
