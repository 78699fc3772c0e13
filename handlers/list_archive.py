"""list_archive: the newest cases of a region's archive as choices for a form (e.g. to pick cases for a notice)."""
from marshmallow import Schema, fields, validate

from engine.operator_context import OperatorContext
from handlers.registers import archive

from .registry import Operator


class Params(Schema):
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000),
                           metadata={"description": "最多列出的案例数（最新的在前）"})
    prefix = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "只列出该编号前缀（本地区）的档案，如 XY；不填则列出全部"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    return {"options": archive.choices(ctx.session, params["limit"], params["prefix"])}


OPERATOR = Operator("list_archive", "列出案例档案（供选取）", Params, handle)
