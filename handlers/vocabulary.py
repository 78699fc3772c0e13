"""The code lists several processes share, defined once.

A form's choice field names one by its custom property `vocabulary` (deploy fills the field's options from it,
so every form offers the same codes), and the handlers and registers that take such a code check it here."""

VOCABULARIES: dict[str, dict[str, str]] = {
    # DOMAIN.md, 发改体改〔2021〕1670号: the four categories of typical cases, exactly these codes.
    "case_category": {"APPROVAL": "审批违规", "ENTITY": "主体违规", "HIDDEN_BARRIER": "隐性壁垒", "OTHER": "其他"},
    # L§13(三): cases are classified by importance.
    "case_importance": {"major": "重大", "important": "重要", "general": "一般"},
    # X-A7 §5: the channels complaints arrive by.
    "complaint_channel": {"hotline_12345": "12345政务服务便民热线", "hall_box": "政务服务大厅投诉箱",
                          "hall_register": "政务服务大厅投诉登记簿", "report_phone": "举报电话 7222534",
                          "website": "门户网站", "wechat": "微信公众号"},
    # 好差评: five levels.
    "satisfaction": {"very_satisfied": "非常满意", "satisfied": "满意", "basic": "基本满意",
                     "dissatisfied": "不满意", "very_dissatisfied": "非常不满意"},
    # L§9(二), X-A9 §3, X-A7 §2: what a self-inspection covers. L§9 names the objects (the policy documents and
    # approval flows of governments and departments; market entities' qualifications and competition) and what
    # to look for in each; X-A9 §3 adds what the nation opened up but is still approved locally, and monopolies
    # made by administrative means where approval was lifted; X-A7 §2 trade associations and chambers.
    "inspection_scope": {
        "policy": "政策文件：是否超出负面清单增设审批条件、变相设定地方保护条款",
        "approval": "审批流程：是否违规设置隐性门槛",
        "opened_still_approved": "国家层面已放开但地方仍在审批的事项",
        "administrative_monopoly": ("已放开审批的行业领域：是否通过行政手段干预造成行业垄断，"
                                    "导致其他市场主体难以公平准入"),
        "qualification": "市场主体准入资质：是否通过虚假材料等手段规避准入限制",
        "competition": "市场主体竞争行为：是否通过垄断协议等手段排除、限制竞争",
        "associations": "行业协会、商会：是否排除、限制本行业经营主体平等准入",
    },
}

CASE_CATEGORIES = VOCABULARIES["case_category"]
CASE_IMPORTANCE = VOCABULARIES["case_importance"]
