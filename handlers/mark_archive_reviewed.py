"""mark_archive_reviewed: note in the catalogue that an archived case was reviewed (L§13(五))."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext
from handlers.registers import archive

from .registry import Operator


class Params(Schema):
    archive_no = fields.String(required=True, metadata={"description": "档案编号"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    archive.mark_reviewed(ctx.session, params["archive_no"], ctx.now)
    return {"archive_no": params["archive_no"], "reviewed_at": ctx.now.isoformat()}


OPERATOR = Operator("mark_archive_reviewed", "记录档案定期审核", Params, handle)
