"""Interface text in Simplified Chinese (default) and English, switched per session."""
from flask import session

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (中文, English)
    "app": ("准入 · 市场准入负面清单工作机制", "Zhunru · Market access negative list"),
    "tasks": ("待办任务", "Tasks"), "cases": ("办件", "Cases"), "start": ("发起", "Start"),
    "ledgers": ("工作台账", "Ledgers"), "archive": ("案例档案", "Case archive"),
    "status_page": ("运行概况", "Status"), "sign_in": ("登录", "Sign in"), "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "Username"), "password": ("密码", "Password"),
    "bad_login": ("用户名或密码不正确", "Wrong username or password"),
    "platform_login": ("平台接口账号只能以 API 令牌调用接口，不能登录网页",
                       "A platform account uses the API with a token; it cannot sign in here"),
    "signed_out": ("已退出登录", "You have signed out"),
    "login_locked": ("登录失败次数过多，已暂时锁定，请约 {minutes} 分钟后再试",
                     "Too many failed sign-ins: locked for now, try again in about {minutes} minutes"),
    "mine": ("我的任务", "My tasks"), "organisation": ("本单位任务", "My organisation's tasks"),
    "process": ("流程", "Process"), "case": ("办件", "Case"), "step": ("环节", "Step"),
    "received": ("收到时间", "Received"), "due": ("截止时间", "Due"), "card": ("时限", "Deadline"),
    "holder": ("办理人", "Holder"), "actions": ("操作", "Actions"), "all": ("全部", "All"),
    "green": ("绿牌 正常", "Green · on time"), "yellow": ("黄牌 即将到期", "Yellow · due within a working day"),
    "red": ("红牌 已逾期", "Red · overdue"), "no_deadline": ("无时限", "No deadline"),
    "provisional": ("暂定（该年节假日未载入，按周一至周五计算）",
                    "Provisional (holidays of that year not loaded; Mon–Fri used)"),
    "search": ("搜索", "Search"), "filter": ("筛选", "Filter"), "text": ("关键词", "Text"),
    "claim": ("认领", "Claim"), "release": ("退回", "Release"), "reassign": ("改派", "Reassign"),
    "open": ("办理", "Open"), "view": ("查看", "View"), "unclaimed": ("待认领", "Unclaimed"),
    "no_tasks": ("没有符合条件的任务", "No tasks match"),
    "page_of": ("第 {page} 页，共 {pages} 页（{total} 条）", "Page {page} of {pages} ({total} items)"),
    "prev": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "summary": ("办件概要", "Case summary"), "previous_steps": ("已办环节", "Previous steps"),
    "instructions": ("办理说明", "Instructions"), "form": ("办理表单", "Form"), "submit": ("提交", "Submit"),
    "who": ("办理人", "Who"), "when": ("时间", "When"), "what": ("内容", "What"),
    "fix_errors": ("请更正标红的字段后再提交", "Please correct the fields marked in red"),
    "submitted": ("已提交", "Submitted"), "started_at": ("发起时间", "Started"),
    "started_by": ("发起人", "Started by"), "state": ("状态", "Status"),
    "running": ("办理中", "Running"), "completed": ("已办结", "Completed"), "error": ("出错", "Error"),
    "cancelled": ("已撤销", "Cancelled"), "current_steps": ("当前环节", "Current steps"),
    "deadlines": ("时限", "Deadlines"), "files": ("证明材料", "Evidence files"), "diagram": ("流程图", "Diagram"),
    "history": ("办理记录", "History"), "download": ("下载", "Download"), "size": ("大小", "Size"),
    "start_case": ("发起办件", "Start a case"), "no_start": ("你所在单位没有可发起的流程",
                                                       "Your organisation cannot start any process"),
    "escalations": ("逾期报告", "Delay reports"), "reported_to": ("报告对象", "Reported to"),
    "not_found": ("页面不存在或无权查看", "Not found or not yours to see"),
    "forbidden": ("无权执行此操作", "Not allowed"), "language": ("English", "中文"),
    "to": ("给", "to"), "version": ("版本", "Version"), "legend": ("图例", "Legend"),
    "done_steps": ("已完成", "Done"), "active": ("当前", "Current"), "waiting": ("等待中", "Waiting"),
    "start_hint": ("发起后请在待办中完成第一个环节", "After starting, complete the first step"),
    "processes": ("流程管理", "Processes"), "forms": ("表单", "Forms"), "modeler": ("流程建模", "Modeller"),
    "validate": ("校验", "Validate"), "deploy": ("部署", "Deploy"), "import": ("导入 BPMN 文件", "Import BPMN file"),
    "download_xml": ("下载 XML", "Download XML"), "edit": ("编辑", "Edit"), "deployed_by": ("部署人", "Deployed by"),
    "undo": ("撤销", "Undo"), "redo": ("重做", "Redo"),
    "deployed_at": ("部署时间", "Deployed at"), "used_by": ("使用该表单的流程", "Used by"),
    "versions": ("个版本", "versions"),
    "decisions": ("决策表", "Decision tables"), "decision": ("决策表", "Decision table"),
    "decision_used_by": ("使用该决策表的流程", "Used by"), "new_decision": ("新建决策表", "New decision table"),
    "decision_id": ("决策 id", "Decision id"), "import_dmn": ("导入 DMN 文件", "Import DMN file"),
    "decision_pin_hint": ("每个流程版本固定使用部署时的决策表版本；部署决策表的新版本时，使用它的流程随之部署新版本，"
                          "新办件使用新决策表，办理中的办件仍用原版本。",
                          "Each process version keeps the decision table versions it was deployed with; deploying a "
                          "table gives each process using it a new version: new cases use the new table, running "
                          "cases keep theirs."),
    "audit": ("审计", "Audit"), "replay": ("回放", "Replay"), "heatmap": ("环节统计", "Counts per element"),
    "access_log": ("访问日志", "Access log"), "export_xes": ("导出 XES", "Export XES"),
    "export_csv": ("导出 CSV", "Export CSV"), "first": ("第一步", "First"), "last": ("最后一步", "Last"),
    "data_changed": ("数据变化", "Data changed"), "event": ("事件", "Event"),
    "passed": ("经过", "passed"), "mean_hours": ("平均用时（小时）", "mean hours"),
    "form_pin_hint": ("每个流程版本固定使用部署时的表单版本；表单部署新版本后，请重新部署流程以启用。",
                      "Each process version keeps the form versions it was deployed with; redeploy the process "
                      "to use a new form version."),
}

EVENT_KINDS: dict[str, tuple[str, str]] = {
    "instance_started": ("发起", "started"), "task_completed": ("办理", "completed"),
    "message_received": ("收到", "received"), "timer_fired": ("期限届满", "deadline passed"),
    "reminder_sent": ("催办", "reminder"), "escalated": ("逾期上报", "escalated"),
    "deadline_extended": ("延期", "extended"), "deadline_recounted": ("期限重算", "deadline recounted"),
    "task_claimed": ("认领", "claimed"), "task_released": ("退回", "released"),
    "task_reassigned": ("改派", "reassigned"), "error": ("出错", "error"), "retried": ("重试", "retried"),
    "instance_cancelled": ("撤销", "cancelled"),
}


def language() -> str:
    """Chinese unless the user switched to English for this session."""
    return "en" if session.get("lang") == "en" else "zh"


def text(key: str, **values: object) -> str:
    pair = MESSAGES.get(key) or EVENT_KINDS.get(key) or (key, key)
    chosen = pair[1] if language() == "en" else pair[0]
    return chosen.format(**values) if values else chosen
