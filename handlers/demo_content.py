"""What the demo cases say (handlers/demo_cases.py drives them): the clues, complaints, archive materials, notices
and self-inspections of 襄垣县 and 临汾市, written as staff write them. Every company and person is made up
(示例…有限公司, 王女士) and every telephone number is a fake one of the 1380000xxxx kind."""
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Place:
    """One of the two places: its NDRC and government, the units each demo case passes through, and its texts."""

    region: str
    lead: str
    government: str
    clues: dict[str, dict[str, Any]]
    complaints: dict[str, dict[str, Any]]
    submitted: dict[str, Any]
    notice: dict[str, Any]
    inspection: dict[str, Any]


XIANGYUAN = Place(
    region="襄垣县", lead="county_ndrc", government="county_gov",
    clues={
        "closed": {
            "source": "province", "source_ref": "晋发改体改函〔2026〕35号", "category": "HIDDEN_BARRIER",
            "summary": "县老旧小区改造项目材料采购公告要求供应商须在本县注册并纳税满一年",
            "competent": "county_housing", "responsible": "county_housing",
            "verification": "经核查，该项目材料采购公告第四条设置了“在本县注册并纳税满一年”的资格条件，"
                            "致使外地企业示例建材有限公司无法参与投标，属于以注册地、纳税地限制外地经营者参与的情形。",
            "opinion": "删除采购公告中的注册地、纳税地条件，重新发布公告并延长报名时间。",
            "report": "已责成项目单位删除相关条件，于次日重新发布采购公告并将报名时间延长五日，"
                      "示例建材有限公司已报名参与。",
            "evidence": ("整改通知书.pdf", "重新发布的采购公告.pdf"),
            "importance": "important", "keywords": "政府采购 注册地限制",
        },
        "overdue": {
            "source": "national", "source_ref": "发改办体改〔2026〕118号转办", "category": "HIDDEN_BARRIER",
            "summary": "县出租汽车经营权配置方案要求参与企业的驾驶员中本县户籍人员不少于八成",
            "competent": "county_transport",
            "urge": "县交通运输局核查已逾期，经电话催办仍未反馈。",
            "report": "县交通运输局收到移交的问题线索后，超过三个工作日未落实整改责任单位、未反馈核查情况，"
                      "经电话催办仍未办理。根据“0137”工作机制，特报请县政府督促。",
            "instruction": "请县交通运输局于两个工作日内完成核查并书面说明逾期原因。此事在全县范围内通报。",
        },
        "verifying": {
            "source": "province", "source_ref": "晋发改体改函〔2026〕52号", "category": "APPROVAL",
            "summary": "县行政审批服务管理局办理食品经营许可时额外要求提供社区出具的同意经营证明",
            "competent": "county_approval_bureau",
        },
        "received": {
            "source": "other", "source_ref": "市发展改革委转来群众来信", "category": "OTHER",
            "summary": "县某开发区招商政策规定区内新设充电站只能由本地国有企业投资运营",
        },
    },
    complaints={
        "closed": {
            "intake": {"channel": "wechat", "complainant": "陈女士", "phone": "13800000421",
                       "enterprise": "示例商贸有限公司", "respondent": "县市场监督管理局",
                       "subject": "个体工商户登记要求提供房屋租赁备案证明",
                       "content": "办理个体工商户登记时，窗口要求先到社区办理房屋租赁备案，国家规定中没有这一要求。"},
            "department": "county_market_regulation", "person": "郭晓峰",
            "verification": "经核查，登记窗口确有要求提供租赁备案证明的情况，系沿用旧版办事指南所致。",
            "result": "已修订办事指南，取消租赁备案证明要求，并对窗口人员进行了培训。",
            "reply": "您反映的问题已核实，租赁备案证明不再作为登记材料，欢迎您随时前来办理。",
            "revisit": "投诉人表示已顺利办理登记，对处理结果非常满意。", "satisfaction": "very_satisfied",
            "doc_no": "襄市监函〔2026〕41号",
        },
        "bad_rating": {
            "intake": {"channel": "hotline_12345", "hotline_ref": "12345-XY-0917", "complainant": "李先生",
                       "phone": "13800000732", "enterprise": "示例物流有限公司", "respondent": "县行政审批服务管理局",
                       "subject": "道路货物运输经营许可要求提供本地停车场产权证明",
                       "content": "申请道路货物运输经营许可时，被要求提供在本县自有停车场的产权证明，"
                                  "租赁的停车场不予认可。"},
            "department": "county_approval_bureau", "person": "韩立新",
            "verification": "经核查，审批指南未要求停车场产权证明，系窗口人员口头提出。",
            "result": "已向申请人说明租赁停车场可以满足条件，并要求窗口按指南受理。",
            "reply": "经核实，租赁的停车场符合要求，请按办事指南提交材料。",
            "revisit": "投诉人反映申请虽已受理，但审核人员仍口头要求补充本地停车场证明，对处理结果不满意。",
            "satisfaction": "dissatisfied",
        },
        "assisting": {
            "intake": {"channel": "website", "complainant": "赵先生", "phone": "13800000586",
                       "enterprise": "示例建筑工程有限公司", "respondent": "县住房和城乡建设管理局",
                       "subject": "施工许可要求外地企业在本县设立分公司",
                       "content": "我公司中标县城老旧小区改造项目，办理施工许可时被要求先在本县设立分公司。"},
            "wrong_department": "county_transport",
            "return_reason": "该事项属建筑工程施工许可，不属本局职责，请改派县住房和城乡建设管理局。",
            "department": "county_housing", "co_departments": ["county_market_regulation"],
            "dispatch_note": "请县市场监督管理局就分公司登记要求提出协办意见。",
        },
        "arrived": {
            "intake": {"channel": "hotline_12345", "hotline_ref": "12345-XY-1126", "complainant": "杨先生",
                       "phone": "13800000915", "enterprise": "示例新能源科技有限公司", "respondent": "县某镇人民政府",
                       "subject": "充电桩项目只允许本地企业承建",
                       "content": "镇政府在充电桩建设项目中口头要求只能由本地企业承建，外地企业报名不予受理。"},
        },
    },
    submitted={
        "user": "county_market_regulation_clerk",
        "title": "某行业协会章程限制外地企业入会",
        "summary": "县某行业协会章程规定会员须在本县注册满三年，并以此作为参与协会组织的工程推介活动的条件，"
                   "排除外地企业平等参与。经约谈，协会已修改章程。",
        "category": "ENTITY", "importance": "general", "keywords": "行业协会 章程",
        "materials": ("协会章程（修订前）.pdf",),
    },
    notice={
        "industry": "county_market_regulation", "justice": "county_justice",
        "findings": [
            {"clause": "《市场准入负面清单（2025年版）》说明第二条；《公平竞争审查条例》第九条",
             "rectification": "已删除注册地、纳税地条件，重新发布采购公告。"},
            {"clause": "《中华人民共和国反垄断法》第二十一条",
             "rectification": "协会已修改章程，删除注册年限要求。"},
        ],
        "legality": "通报内容事实清楚，不涉及国家秘密和个人隐私，同意通报。",
    },
    inspection={
        "problem_unit": "county_housing", "reviewed_unit": "county_market_regulation",
        "clean_unit": "county_transport",
        "problem": {"problem_source": "政策文件清理",
                    "problem_description": "《县老旧小区改造项目管理办法》要求施工单位须为本县注册企业",
                    "root_cause": "文件制定时未开展公平竞争审查", "plan": "修订管理办法，删除注册地要求",
                    "measures": "起草修订稿，征求意见后以局文印发", "problem_target": "管理办法不再设置注册地条件",
                    "responsible_person": "王建军"},
        "reviewed": {"problem_source": "审批流程梳理", "problem_description": "个体工商户登记仍要求提供租赁备案证明",
                     "root_cause": "办事指南未及时更新", "plan": "更新办事指南，培训窗口人员",
                     "measures": "已发布新版办事指南", "problem_target": "登记材料与国家规定一致",
                     "responsible_person": "郭晓峰"},
        "rectified": "已发布新版办事指南，删除租赁备案证明要求，并组织窗口人员培训。",
    },
)

LINFEN = Place(
    region="临汾市", lead="city_ndrc", government="city_gov",
    clues={
        "closed": {
            "source": "national", "source_ref": "发改办体改〔2026〕96号转办", "category": "APPROVAL",
            "summary": "市住房和城乡建设局在建筑业企业资质核准中要求外地企业提供本市社保缴纳证明",
            "competent": "city_housing", "responsible": "city_housing",
            "verification": "经核查，资质核准窗口确有要求外地企业提供本市社保缴纳证明的做法，无上位法依据。",
            "opinion": "立即停止要求提供本市社保缴纳证明，清理办事指南，对已退件的申请重新受理。",
            "report": "已停止该做法并修订办事指南，对此前退件的三家企业重新受理，其中示例建设集团有限公司已取得资质。",
            "evidence": ("整改情况报告.pdf", "修订后的办事指南.pdf"),
            "importance": "major", "keywords": "建筑业资质 社保证明",
        },
        "overdue": {
            "source": "province", "source_ref": "晋发改体改函〔2026〕61号", "category": "HIDDEN_BARRIER",
            "summary": "尧都区某街道要求示例餐饮管理有限公司办理营业执照前须取得街道出具的准入证明",
            "competent": "yaodu_gov", "responsible": "yaodu_market_regulation",
            "report": "尧都区人民政府收到移交的问题线索后，超过三个工作日未落实整改责任单位、未反馈核查情况。"
                      "特此报告。",
            "instruction": "请尧都区人民政府立即组织核查并说明逾期原因。此事在全市范围内通报。",
            "verification": "经核查，该街道确有要求出具“准入证明”的做法，已责成区市场监督管理局牵头整改。",
            "opinion": "取消街道“准入证明”，由区市场监督管理局对辖区类似做法开展排查。",
            "report_rectify": "尧都区市场监督管理局整改期限届满，未报送整改情况，也未申请延期。特报请市政府督促。",
        },
        "verifying": {
            "source": "other", "source_ref": "12345热线转来线索", "category": "APPROVAL",
            "summary": "洪洞县某镇要求新设加油站须先取得镇政府同意意见方可申请审批",
            "competent": "hongtong_gov",
        },
    },
    complaints={
        "closed": {
            "intake": {"channel": "hall_box", "complainant": "刘女士", "phone": "13800000263",
                       "enterprise": "示例餐饮管理有限公司", "respondent": "市市场监督管理局",
                       "subject": "食品经营许可要求提供本市健康证明",
                       "content": "从业人员持外地体检机构出具的健康证明，窗口不予认可，要求在本市重新体检。"},
            "department": "city_market_regulation", "person": "孙国平",
            "verification": "经核查，外地体检机构出具的健康证明依法有效，窗口做法不当。",
            "result": "已通知窗口认可外地健康证明，并在全市市场监管系统通报。",
            "reply": "您反映的问题属实，外地健康证明可以使用，已通知窗口改正。",
            "revisit": "投诉人表示问题已解决，对处理结果满意。", "satisfaction": "satisfied",
            "doc_no": "临市监函〔2026〕77号",
        },
        "overdue": {
            "intake": {"channel": "website", "complainant": "张女士", "phone": "13800000658",
                       "enterprise": "示例医药连锁有限公司", "respondent": "市行政审批服务管理局",
                       "subject": "药品零售许可设置门店间距限制",
                       "content": "申请药品零售企业许可时，被告知新开门店与现有药店距离须在三百米以上，"
                                  "国家已取消该限制。"},
            "department": "city_approval_bureau",
        },
        "revisit": {
            "intake": {"channel": "hall_register", "complainant": "周先生", "phone": "13800000349",
                       "enterprise": "示例装饰工程有限公司", "respondent": "市住房和城乡建设局",
                       "subject": "招标文件要求提供本市项目业绩",
                       "content": "市某装修工程招标文件要求投标人近三年在本市有同类项目业绩，外地企业无法参与。"},
            "department": "city_housing", "person": "吴志强",
            "verification": "经核查，招标文件确有本市业绩要求，不符合公平竞争审查规定。",
            "result": "已责令招标人删除本市业绩要求，发布澄清公告并顺延开标时间。",
            "reply": "您反映的问题属实，招标人已删除本市业绩要求并顺延开标时间，欢迎参与投标。",
        },
    },
    submitted={
        "user": "city_market_regulation_clerk",
        "title": "以备案名义变相设置准入审批",
        "summary": "市某部门要求美容美发企业开业前另行办理辖区经营备案，未备案不予登记，实为变相审批。"
                   "经督促，该部门已取消备案要求。",
        "category": "APPROVAL", "importance": "important", "keywords": "变相审批 备案",
        "materials": ("情况说明.pdf",),
    },
    notice={
        "industry": "city_market_regulation", "justice": "city_justice",
        "findings": [
            {"clause": "《市场准入负面清单（2025年版）》说明第二条",
             "rectification": "已停止要求提供本市社保缴纳证明，对退件企业重新受理。"},
            {"clause": "《优化营商环境条例》第二十条", "rectification": "已取消辖区经营备案要求。"},
        ],
        "legality": "经审查，通报内容合法，案例事实已经核实，同意发布。",
    },
    inspection={
        "problem_unit": "city_approval_bureau", "reviewed_unit": "city_housing", "clean_unit": "city_justice",
        "problem": {"problem_source": "审批流程梳理", "problem_description": "药品零售许可仍执行门店间距要求",
                    "root_cause": "地方规范性文件未随国家政策调整", "plan": "提请废止相关文件，修改审批细则",
                    "measures": "暂停执行间距要求，起草废止请示", "problem_target": "审批不再设置门店间距条件",
                    "responsible_person": "马红梅"},
        "reviewed": {"problem_source": "政策文件清理", "problem_description": "招标文件示范文本含本市业绩条款",
                     "root_cause": "示范文本长期未修订", "plan": "修订示范文本", "measures": "印发新版示范文本",
                     "problem_target": "示范文本不再设置本地业绩要求", "responsible_person": "吴志强"},
        "rectified": "已印发新版招标文件示范文本，删除本市业绩条款。",
    },
)

PLACES = (XIANGYUAN, LINFEN)
