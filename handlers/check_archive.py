"""check_archive: the archive's periodic security check by the system (L§13(六)): every archived
case's hash chain and evidence, and every catalogued material, as stored (of one region's archive, by the
prefix of its numbers)."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext
from handlers.registers import archive

from .registry import Operator


class Params(Schema):
    prefix = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "只核验该编号前缀（本地区）的档案，如 LF；不填则核验全部"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    result = archive.security_check(ctx.session, params["prefix"])
    return {**result, "at": ctx.now.isoformat()}


OPERATOR = Operator("check_archive", "核验案例档案完整性", Params, handle)
