"""register_archive: enter a case's materials in the archive catalogue under its number (L§13)."""
from marshmallow import Schema, fields, validate

from engine.operator_context import OperatorContext
from handlers.registers import archive

from .params import Day
from .registry import Operator
from .vocabulary import CASE_CATEGORIES, CASE_IMPORTANCE


class Params(Schema):
    archive_no = fields.String(required=True, metadata={"description": "档案编号"})
    title = fields.String(required=True, metadata={"description": "案例名称"})
    summary = fields.String(load_default="", metadata={"description": "案情摘要"})
    category = fields.String(required=True, validate=validate.OneOf(CASE_CATEGORIES),
                             metadata={"description": "类别代码", "vocabulary": "case_category"})
    importance = fields.String(load_default="general", validate=validate.OneOf(CASE_IMPORTANCE),
                               metadata={"description": "重要程度", "vocabulary": "case_importance"})
    case_date = Day(load_default=None, allow_none=True, metadata={"description": "案例时间"})
    source_unit = fields.String(load_default=None, allow_none=True, metadata={"description": "报送单位"})
    source_instance = fields.String(load_default=None, allow_none=True, metadata={"description": "来源办件"})
    files = fields.List(fields.String(), load_default=list, metadata={"description": "案例材料文件"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    number = archive.register(ctx.session, instance_id=ctx.case_id, archive_no=params["archive_no"], values=params,
                              actor=ctx.actor, now=ctx.now).archive_no
    return {"archive_no": number, "registered_at": ctx.now.isoformat()}


OPERATOR = Operator("register_archive", "案例资料登记入档案目录", Params, handle)
