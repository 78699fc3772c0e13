"""Settings of local practice the mechanisms' processes read (time limits, cycles, which regions run a
scheduled campaign): declared here, kept and changed through `engine.settings` like the engine's own."""
from engine.settings import Known, code_list, codes, day_unit, days
from engine.timing import cycles

SETTINGS: dict[str, Known] = {
    # DOMAIN, 12345 conventions: dispatch in 1 working day, return a misrouted order within 2, handle in 5,
    # a complex one in 15 by an approved extension.
    "complaint_dispatch_days": Known("1", "投诉派单时限 (工作日)", days, "complaint"),
    "complaint_return_days": Known("2", "投诉退单时限 (工作日)", days, "complaint"),
    "complaint_handle_days": Known("5", "投诉办理时限 (工作日)", days, "complaint"),
    "complaint_complex_days": Known("15", "复杂投诉经批准延期后的办理时限 (工作日)", days, "complaint"),
    "complaint_report_days": Known("5", "承办部门向牵头发展改革部门报送正式书面报告的时限 (工作日)", days,
                                   "complaint"),
    # X-A7 §6 "组织协调涉及的有关部门研究处理": a co-department's opinion reaches the handling department first.
    "complaint_assist_days": Known("3", "协办部门向承办部门提出协办意见的时限 (工作日，自签收起)", days,
                                   "complaint"),
    # X-A7 §6 "按规定将处理结果及时反馈投诉举报方", then the return visit and the NDRC's reviews.
    "complaint_reply_days": Known("2", "核查处理后答复每位投诉举报人的时限 (工作日)", days, "complaint"),
    "complaint_revisit_days": Known("3", "答复后回访投诉举报人 (好差评) 的时限 (工作日)", days, "complaint"),
    "complaint_review_days": Known("2", "牵头发展改革部门审核延期申请与书面报告的时限 (工作日)", days,
                                   "complaint"),
    # L§12(四): 责任单位原则上应在七日内完成整改 — "七日", not 工作日: calendar days unless set otherwise.
    "clue_rectify_days": Known("7", "“0137”线索整改时限 (天，自落实责任单位起)", days, "clue_0137"),
    "clue_rectify_day_unit": Known("calendar", "“0137”整改时限按自然日 (calendar) 还是工作日 (working) 计",
                                   day_unit, "clue_0137", str),
    # L§12(六) sets no time for the NDRC's 督办 of a lapse; a local rule, as 12345's 催办 the day after expiry.
    "clue_supervise_days": Known("2", "“0137”逾期或推诿敷衍的督办时限：发展改革部门决定催办或报告政府 (工作日)",
                                 days, "clue_0137"),
    # L§13(五): the archive is reviewed periodically; every case's materials at this interval.
    "archive_review_days": Known("180", "案例档案定期审核间隔 (自然日)", days, "case_registry"),
    "self_inspection_report_days": Known("20", "自查自纠书面报告时限 (工作日)", days, "self_inspection"),
    "notice_verify_days": Known("5", "典型案例通报：行业部门核实与司法部门合法性意见时限 (工作日)", days,
                                "case_notice"),
    # X-A9, MECHANISMS §3: self-inspection campaigns are periodic (e.g. quarterly); the timer start reads this.
    "self_inspection_cycle": Known("R/2026-01-05T09:00/P3M", "定期自查自纠的启动周期 (ISO 8601 重复区间，"
                                   "如 R/2026-01-05T09:00/P3M 为自该时刻起每三个月；填 停用 则只手动发起)",
                                   cycles.clean),
    # L§13(六): the case-material office checks the archive's security periodically.
    "archive_security_cycle": Known("R/2026-01-05T09:00/P3M", "案例资料定期安全检查的启动周期 (ISO 8601 "
                                    "重复区间；填 停用 则只手动发起)", cycles.clean),
    "archive_security_days": Known("10", "案例资料安全检查的完成时限 (工作日)", days, "archive_security_check"),
    # A case the system starts on a cycle has no starter to take its lead from: these settings name the regions
    # (any of their organisations, e.g. their NDRC) that run one, each its own case led by the region's NDRC.
    "self_inspection_leads": Known("county_ndrc", "定期自查自纠由哪些地区开展 (单位代码，逗号分隔，如 "
                                   "county_ndrc,city_ndrc；每个地区各开展一次，由该地区发展改革部门牵头)",
                                   codes, "self_inspection", code_list),
    "archive_security_leads": Known("city_ndrc", "定期案例资料安全检查由哪些地区开展 (单位代码，逗号分隔；"
                                    "每个地区各检查本地区登记的案例档案，由该地区发展改革部门负责)",
                                    codes, "archive_security_check", code_list),
}
