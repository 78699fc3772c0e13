"""region_units: the units of the region a case runs in, found from the organisation tree.

A diagram runs in any city or county: from the organisation that leads the case (its starter) this finds the
region's government, its lead (e.g. its NDRC), the region above and its lead, the prefix of the numbers the
region issues, and the units a matter can be passed to (as form options)."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    of = fields.String(required=True, metadata={"description": "本地区的一个单位（通常是牵头单位）的代码"})
    lead_function = fields.String(load_default="ndrc",
                                  metadata={"description": "牵头单位的职能（默认 ndrc 发展改革部门）"})
    also = fields.List(fields.String(allow_none=True), load_default=list,
                       metadata={"description": "另需写出名称的单位代码（如报送单位）"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    if not ctx.organisation_exists(params["of"]):
        raise ValidationError(f"单位 {params['of']} 不存在", "of")
    found = ctx.region(params["of"], params["lead_function"], tuple(c for c in params["also"] if c))
    if found["government"] is None:
        raise ValidationError(f"单位 {params['of']} 不在任何人民政府之下，无法确定所在地区", "of")
    return found


OPERATOR = Operator("region_units", "本地区的单位", Params, handle)
