"""publish_notice: publish a typical-case notice (第N期) on the public page, with portal and WeChat text."""
from marshmallow import Schema, fields

from engine.operator_context import OperatorContext
from handlers.registers import notices

from .registry import Operator


class Case(Schema):
    title = fields.String(required=True)
    facts = fields.String(required=True)
    clause = fields.String(required=True)
    rectification = fields.String(required=True)
    archive_no = fields.String(load_default=None, allow_none=True)


class Params(Schema):
    title = fields.String(required=True, metadata={"description": "通报标题"})
    cases = fields.List(fields.Nested(Case), required=True, metadata={"description": "案例列表"})
    issuer = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "发布单位的名称（写入通报全文，如 襄垣县发展改革和科学技术局）"})


def handle(params: dict, ctx: OperatorContext) -> dict:
    notice = notices.publish(ctx.session, instance_id=ctx.case_id, title=params["title"], cases=params["cases"],
                             actor=ctx.actor, now=ctx.now,
                             issuer=params["issuer"])
    return {"notice_id": notice.id, "issue": notices.issue_text(notice)}


OPERATOR = Operator("publish_notice", "发布典型案例通报（门户网站、微信公众号）", Params, handle)
