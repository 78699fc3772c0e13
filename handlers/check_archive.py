"""check_archive: the archive's periodic security check by the system (L§13(六)): every archived
case's hash chain and evidence, and every catalogued material, as stored."""
from marshmallow import Schema

from .registry import HandlerContext, Operator


class Params(Schema):
    pass


def handle(params: dict, ctx: HandlerContext) -> dict:
    result = ctx.check_archive()
    return {**result, "at": ctx.now.isoformat()}


OPERATOR = Operator("check_archive", "核验案例档案完整性", Params, handle)
