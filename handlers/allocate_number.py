"""allocate_number: the next number of the year under a prefix, e.g. LF-2026-0001 (L§13(四): 标号、登记):
sequential and gap-free per prefix and year. A number that carries a place takes the prefix of the region
that issues it (region_units gives `number_prefix`: LF 临汾, XY 襄垣)."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext
from handlers.registers import archive

from .registry import Operator


class Params(Schema):
    prefix = fields.String(required=True, allow_none=True,
                           metadata={"description": "编号前缀：本地区的前缀 (region_units 的 number_prefix，"
                                                    "如 LF、XY)，可加种类 (如 XY-ZC 自查)"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    if not params["prefix"]:
        raise ValidationError("没有编号前缀：本地区 (或其上级) 的人民政府未设编号前缀", "prefix")
    return {"number": archive.allocate(ctx.session, ctx.now.year, params["prefix"])}


OPERATOR = Operator("allocate_number", "分配编号（按年连续、不重复）", Params, handle)
