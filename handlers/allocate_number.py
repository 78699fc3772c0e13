"""allocate_number: the next archive number of the year, e.g. LF-2026-0001 (L§13(四): 标号、登记)."""
from marshmallow import Schema, fields

from .registry import HandlerContext, Operator


class Params(Schema):
    prefix = fields.String(load_default="LF", metadata={"description": "编号前缀 (LF 案例档案, TS 投诉)"})


def handle(params: dict, ctx: HandlerContext) -> dict:
    return {"number": ctx.allocate_number(params["prefix"])}


OPERATOR = Operator("allocate_number", "分配档案编号（按年连续、不重复）", Params, handle)
