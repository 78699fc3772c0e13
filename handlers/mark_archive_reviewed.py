"""mark_archive_reviewed: note in the catalogue that an archived case was reviewed (L§13(五))."""
from marshmallow import Schema, fields

from .registry import HandlerContext, Operator


class Params(Schema):
    archive_no = fields.String(required=True, metadata={"description": "档案编号"})


def handle(params: dict, ctx: HandlerContext) -> dict:
    ctx.mark_archive_reviewed(params["archive_no"])
    return {"archive_no": params["archive_no"], "reviewed_at": ctx.now.isoformat()}


OPERATOR = Operator("mark_archive_reviewed", "记录档案定期审核", Params, handle)
