"""export_ledger: the case's ledger lines as an Excel file attached to the case."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext
from handlers.registers import ledgers

from .registry import Operator


class Params(Schema):
    ledger = fields.String(required=True, metadata={"description": "台账: complaint 或 rectification"})
    item_prefix = fields.String(load_default=None, allow_none=True,
                                metadata={"description": "另含编号以此开头的事项 (如本次自查的各部门问题)"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    return {"file": ledgers.export_to_case(ctx, params["ledger"], params["item_prefix"])}


OPERATOR = Operator("export_ledger", "导出台账（Excel）", Params, handle)
