"""escalate: report an overdue step to the region's government and the lead that supervises it (L§12(六))."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext

from .registry import Operator


class Params(Schema):
    step = fields.String(required=True, metadata={"description": "逾期环节"})
    overdue_unit = fields.String(load_default=None, allow_none=True, metadata={"description": "逾期单位代码"})
    # No default: the region's government and lead come from the organisation tree (region_units).
    reported_to = fields.String(required=True, metadata={"description": "报告对象单位代码 (本地区人民政府)"})
    supervisor = fields.String(required=True, metadata={"description": "督办单位代码 (本地区牵头单位)"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    report_id = ctx.escalate(params["step"], params["overdue_unit"], params["reported_to"])
    # People read it: the matter by its title, the step and the units by their names, never codes or ids.
    unit = ctx.unit_name(params["overdue_unit"]) or "有关单位"
    body = f"办件「{ctx.case_title}」的环节「{ctx.step_title(params['step'])}」已超过时限，逾期单位：{unit}。"
    ctx.notify(params["reported_to"], "逾期情况报告", body)
    ctx.notify(params["supervisor"], "督办提醒", body)
    return {"report_id": report_id, "reported_to": params["reported_to"], "at": ctx.now.isoformat()}


OPERATOR = Operator("escalate", "逾期上报本地区政府并督办", Params, handle)
