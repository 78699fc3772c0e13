"""record_lapse: put a lapse before the unit that supervises it (L§12(六)): a step overdue or a unit reported for
shirking is recorded as a delay report to `reported_to` (the lead NDRC for its 督办, or the government it reports
to), in the case's history, and that unit is told by name what is late and whose it is."""
from marshmallow import Schema, ValidationError, fields

from engine.operator_context import OperatorContext

from .notify_unit import tidy
from .registry import Operator


class Params(Schema):
    step = fields.String(required=True, metadata={"description": "逾期或被反映的环节 (BPMN id，或 shirking)"})
    unit = fields.String(load_default=None, allow_none=True, metadata={"description": "逾期或被反映单位代码"})
    reported_to = fields.String(required=True, metadata={"description": "报送单位代码 (督办的发展改革部门或人民政府)"})
    title = fields.String(required=True, metadata={"description": "通知标题 (写明环节和单位名称)"})
    body = fields.String(load_default="", metadata={"description": "通知正文"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    for key in ("unit", "reported_to"):
        if params[key] and not ctx.organisation_exists(params[key]):
            raise ValidationError(f"单位 {params[key]} 不存在", key)
    report_id = ctx.escalate(params["step"], params["unit"], params["reported_to"])
    ctx.notify(params["reported_to"], tidy(params["title"]), tidy(params["body"]))
    return {"report_id": report_id, "reported_to": params["reported_to"], "at": ctx.now.isoformat()}


OPERATOR = Operator("record_lapse", "记录逾期或推诿敷衍并报送督办单位", Params, handle)
