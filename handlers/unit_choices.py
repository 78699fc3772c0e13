"""unit_choices: a unit and the organisations below it, by name, as form options (L§12(三): the competent unit
designates the responsible unit among its own: itself, or a department of the county it governs)."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    of = fields.String(required=True, metadata={"description": "单位代码 (如主管单位)"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    if not ctx.organisation_exists(params["of"]):
        raise ValidationError(f"单位 {params['of']} 不存在", "of")
    options = ctx.unit_choices(params["of"]) or []
    return {"options": options, "names": {o["value"]: o["label"] for o in options}}


OPERATOR = Operator("unit_choices", "本单位及所属单位（选项）", Params, handle)
