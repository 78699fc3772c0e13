"""record_ledger: add or update one line of a ledger (complaint ledger, problem/rectification ledger)."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext
from handlers.registers import ledgers

from .params import Instant
from .registry import Operator


class Params(Schema):
    ledger = fields.String(required=True, metadata={"description": "台账: complaint 或 rectification"})
    item_key = fields.String(required=True, metadata={"description": "事项编号 (本办件内唯一)"})
    status = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "状态: open/dispatched/redispatch/replying/handled/reopened/"
                                                    "rectifying/reviewing/closed/merged (不填则不变，新事项为 open)"})
    source = fields.String(load_default=None, allow_none=True, metadata={"description": "来源"})
    title = fields.String(load_default=None, allow_none=True, metadata={"description": "事项"})
    organisation = fields.String(load_default=None, allow_none=True, metadata={"description": "责任单位代码"})
    person = fields.String(load_default=None, allow_none=True, metadata={"description": "责任人"})
    deadline = Instant(load_default=None, allow_none=True, metadata={"description": "期限 (ISO 时间)"})
    detail = fields.Dict(load_default=None, allow_none=True, metadata={"description": "其他信息"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    if params["organisation"] and not ctx.organisation_exists(params["organisation"]):
        raise ValidationError(f"单位 {params['organisation']} 不存在", "organisation")
    ledger, key = params.pop("ledger"), params.pop("item_key")
    if params["status"] is None:  # an update that leaves the status as it is (a new item opens)
        params.pop("status")
    row_id = ledgers.keep(ctx, ledger, key, **params)
    return {"ledger": ledger, "item_key": key, "status": params.get("status"), "row": row_id}


OPERATOR = Operator("record_ledger", "登记或更新台账事项", Params, handle, replayed=True)
