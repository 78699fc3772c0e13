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
    # L§9, X-A9: what a self-inspection covers.
    "inspection_scope": {"policy": "政策文件（是否超出负面清单增设审批条件、设定地方保护条款）",
                         "approval": "审批流程（是否违规设置隐性门槛）", "qualification": "市场主体准入资质",
                         "competition": "竞争行为（垄断协议、虚假材料等）"},
}

CASE_CATEGORIES = VOCABULARIES["case_category"]
CASE_IMPORTANCE = VOCABULARIES["case_importance"]
