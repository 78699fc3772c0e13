"""The demo cases of `zhunru init --demo`: each mechanism in the states a newcomer should see, in 襄垣县 and in
临汾市, so every page has something on it (handlers/demo_content.py says what they say).

They are made as staff make cases: started, claimed and completed through the runtime, each step at its own time
counted back in working days from `now`, and every deadline fired a minute after it falls due as the worker fires
it. So they are ordinary cases, with history, ledger rows, archive entries and notices, and
`zhunru audit verify --all` re-executes them. The caller's transaction holds them all: either the whole set is
there or none of it, and a second run finds the set and adds nothing."""
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import files, queries, runtime
from engine.people import claims, directory
from engine.store.models import HumanTask, Instance, Timer
from engine.timing import holidays
from engine.timing.clock import SHANGHAI

from .demo_content import LINFEN, PLACES, XIANGYUAN, Place


def clue_title(place: Place, kind: str) -> str:
    """The title clue_0137 gives a clue: its place and the start of its summary."""
    return f"{place.region}：{place.clues[kind]['summary'][:40]}"


# Any one of these cases found means the set was loaded (it is loaded in one transaction).
MARKER = clue_title(XIANGYUAN, "closed")


class Staff:
    """Acts on cases as the people of the demo organisations would, at the times it is told."""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now = session, now
        self.calendar = holidays.load(session)
        self.cases: list[str] = []
        self.archived: dict[str, list[dict[str, str]]] = {}  # region → the archive entries made, for notices

    def day(self, back: int, hhmm: str) -> datetime:
        """`hhmm` on the working day `back` working days before today (0: today)."""
        day = self.now.astimezone(SHANGHAI).date()
        while back > 0:
            day -= timedelta(days=1)
            back -= self.calendar.is_workday(day)[0]
        return self._at(day, hhmm)

    def after(self, instant: datetime, hhmm: str) -> datetime:
        """The first working day's `hhmm` later than `instant`: when an office acts on what happened then."""
        day = instant.astimezone(SHANGHAI).date()
        while not self.calendar.is_workday(day)[0] or self._at(day, hhmm) <= instant:
            day += timedelta(days=1)
        return self._at(day, hhmm)

    def _at(self, day: date, hhmm: str) -> datetime:
        when = datetime.combine(day, time.fromisoformat(hhmm), SHANGHAI)
        if when > self.now:
            raise ValueError(f"演示办件的时间 {when.isoformat()} 晚于当前时间")
        return when

    def start(self, process_id: str, user: str, when: datetime, data: dict[str, Any] | None = None) -> str:
        instance = runtime.start_instance(self.session, process_id, data or {}, directory.actor(self.session, user),
                                          when)
        self.cases.append(instance.id)
        return instance.id

    def _task(self, case: str, step: str, organisation: str | None) -> HumanTask:
        found = self.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == case, HumanTask.task_name == step,
            HumanTask.organisation == organisation).order_by(HumanTask.id)).first()
        if found is None:
            raise LookupError(f"演示办件 {case} 的环节 {step} 不在 {organisation} 的待办中")
        return found

    def do(self, case: str, step: str, user: str, when: datetime, data: dict[str, Any] | None = None) -> None:
        self.wait(case, when)
        actor = directory.actor(self.session, user)
        runtime.complete_task(self.session, self._task(case, step, actor.organisation).id, data or {}, actor, when)

    def claim(self, case: str, step: str, user: str, when: datetime) -> None:
        self.wait(case, when)
        actor = directory.actor(self.session, user)
        claims.claim(self.session, self._task(case, step, actor.organisation).id, actor, when)

    def wait(self, case: str, until: datetime) -> None:
        """Let time pass on a case: each timer due before `until` fires a minute after it falls due, as the
        worker fires it (a command would fire it too, but only at its own time)."""
        last: datetime | None = None
        while True:
            query = select(func.min(Timer.due_at)).where(Timer.instance_id == case,
                                                         Timer.due_at < until - timedelta(minutes=1))
            due = self.session.scalar(query if last is None else query.where(Timer.due_at > last))
            if due is None:
                return
            runtime.fire_timers(self.session, case, due + timedelta(minutes=1))
            last = due

    def due(self, case: str, timer: str) -> datetime:
        found = self.session.scalar(select(Timer.due_at).where(Timer.instance_id == case, Timer.task_name == timer))
        if found is None:
            raise LookupError(f"演示办件 {case} 没有等待中的定时器 {timer}")
        return found

    def data(self, case: str) -> dict[str, Any]:
        return queries.instance_view(self.session, case, self.now)["data"]

    def child(self, case: str, result: str) -> str:
        """The case a step of `case` started (its operator's result names it)."""
        started = self.data(case)[result]["instance_id"]
        self.cases.append(started)
        return started

    def upload(self, user: str, filename: str, when: datetime, *lines: str) -> str:
        text = (filename.rsplit(".", 1)[0], "（演示材料：单位、企业和人员均为虚构）", *lines)
        return files.upload(self.session, filename, _pdf(text), user, when).id


def _pdf(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF in the standard Chinese font (STSong-Light), so a demo evidence file opens and reads."""
    wrapped = [line[i:i + 38] for line in lines for i in range(0, max(len(line), 1), 38)]
    shown = " ".join(f"<{line.encode('utf-16-be').hex()}> Tj T*" for line in wrapped)
    stream = f"BT /F1 12 Tf 56 780 Td 20 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        "/Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 "
        "/Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    table = "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += (f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n{table}"
            f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{len(out)}\n%%EOF\n").encode("ascii")
    return out


def _clerk(unit: str) -> str:
    return f"{unit}_clerk"


def _register(staff: Staff, place: Place, kind: str, received: datetime) -> str:
    """A clue received and registered by the place's NDRC."""
    clue, clerk = place.clues[kind], _clerk(place.lead)
    case = staff.start("clue_0137", clerk, received)
    staff.do(case, "register", clerk, received + timedelta(minutes=10), {
        "received_on": received.astimezone(SHANGHAI).date().isoformat(), "source": clue["source"],
        "source_ref": clue["source_ref"], "summary": clue["summary"], "category": clue["category"],
        "region": place.region})
    return case


def _transfer(staff: Staff, place: Place, case: str, unit: str, when: datetime) -> None:
    staff.do(case, "transfer", _clerk(place.lead), when,
             {"competent_unit": unit, "transfer_note": "请按“0137”工作机制在三个工作日内核查并反馈。"})


def clue_closed(staff: Staff, place: Place) -> None:
    """Verified, rectified, closed, and its case registered in the archive by the NDRC."""
    clue, clerk = place.clues["closed"], _clerk(place.lead)
    competent, responsible = _clerk(clue["competent"]), _clerk(clue["responsible"])
    case = _register(staff, place, "closed", staff.day(20, "09:20"))
    _transfer(staff, place, case, clue["competent"], staff.day(20, "15:00"))
    staff.do(case, "verify", competent, staff.day(18, "10:00"), {
        "verification": clue["verification"], "violation_found": "yes", "responsible_unit": clue["responsible"],
        "rectification_opinion": clue["opinion"]})
    staff.do(case, "acknowledge_feedback", clerk, staff.day(18, "14:30"), {"feedback_note": "已阅，请按期完成整改。"})
    evidence = [staff.upload(responsible, name, staff.day(16, "15:00"), clue_title(place, "closed"), clue["report"])
                for name in clue["evidence"]]
    staff.do(case, "rectify", responsible, staff.day(16, "16:00"),
             {"rectification_report": clue["report"], "evidence": evidence})
    staff.do(case, "competent_review", competent, staff.day(15, "10:00"),
             {"competent_decision": "forward", "competent_opinion": "整改措施已落实，印证材料齐全，同意报送。"})
    staff.do(case, "check_report", clerk, staff.day(15, "15:00"),
             {"report_decision": "complete", "check_opinion": "整改到位，材料完整，同意销号。"})
    registry = staff.child(case, "archive_clue_result")
    staff.do(registry, "check_materials", clerk, staff.day(14, "09:30"),
             {"materials_decision": "accept", "check_opinion": "资料齐全，予以登记。"})
    _classify(staff, place, registry, staff.day(14, "10:30"), clue, staff.data(registry)["case_date"])
    staff.archived.setdefault(place.region, []).append(
        {"case": registry, "title": clue_title(place, "closed"), "facts": clue["summary"] + "。"})


def _classify(staff: Staff, place: Place, registry: str, when: datetime, entry: dict[str, Any],
              case_date: str) -> None:
    staff.do(registry, "classify", _clerk(place.lead), when, {
        "archive_category": entry["category"], "case_date": case_date, "importance": entry["importance"],
        "keywords": entry["keywords"]})


def case_submitted(staff: Staff, place: Place) -> None:
    """Case materials a department submits, checked and registered by its NDRC."""
    entry = place.submitted
    materials = [staff.upload(entry["user"], name, staff.day(13, "08:50"), entry["title"], entry["summary"])
                 for name in entry["materials"]]
    case_date = staff.day(25, "09:00").date().isoformat()
    registry = staff.start("case_registry", entry["user"], staff.day(13, "09:00"), {
        "title": entry["title"], "summary": entry["summary"], "category": entry["category"],
        "case_date": case_date, "materials": materials})
    staff.do(registry, "check_materials", _clerk(place.lead), staff.day(13, "14:00"),
             {"materials_decision": "accept", "check_opinion": "资料齐全，予以登记。"})
    _classify(staff, place, registry, staff.day(13, "15:00"), entry, case_date)
    staff.archived.setdefault(place.region, []).append(
        {"case": registry, "title": entry["title"], "facts": entry["summary"]})


def clue_overdue_xiangyuan(staff: Staff) -> None:
    """Not verified in three working days: the NDRC reports the lapse, the county government circulates it,
    and the verification is still open, red."""
    place, clue = XIANGYUAN, XIANGYUAN.clues["overdue"]
    case = _register(staff, place, "overdue", staff.day(9, "09:30"))
    _transfer(staff, place, case, clue["competent"], staff.day(9, "14:00"))
    reported = staff.after(staff.due(case, "verify_deadline"), "10:00")
    report = staff.upload(place.lead, "督办报告.pdf", reported - timedelta(minutes=20), clue["report"])
    staff.do(case, "supervise", place.lead, reported, {
        "supervision_decision": "report", "report_to_government": clue["report"], "report_files": [report]})
    staff.do(case, "government_review", place.government, staff.after(reported, "16:00"),
             {"government_instruction": clue["instruction"], "citywide_notice": True})


def clue_overdue_linfen(staff: Staff) -> None:
    """Late twice: the late verification reported and circulated by the city government; then the
    rectification ran out too, and that report waits on the city government."""
    place, clue = LINFEN, LINFEN.clues["overdue"]
    lead = place.lead
    case = _register(staff, place, "overdue", staff.day(16, "09:30"))
    _transfer(staff, place, case, clue["competent"], staff.day(16, "11:00"))
    reported = staff.after(staff.due(case, "verify_deadline"), "10:00")
    staff.do(case, "supervise", lead, reported,
             {"supervision_decision": "report", "report_to_government": clue["report"]})
    reviewed = staff.after(reported, "16:00")
    staff.do(case, "government_review", place.government, reviewed,
             {"government_instruction": clue["instruction"], "citywide_notice": True})
    verified = staff.after(reviewed, "11:00")
    staff.do(case, "verify", _clerk(clue["competent"]), verified, {
        "verification": clue["verification"], "violation_found": "yes", "responsible_unit": clue["responsible"],
        "rectification_opinion": clue["opinion"]})
    staff.do(case, "acknowledge_feedback", _clerk(lead), verified + timedelta(hours=4),
             {"feedback_note": "核查已逾期，请责任单位务必按期整改。"})
    staff.do(case, "supervise", lead, staff.after(staff.due(case, "rectify_deadline"), "10:00"),
             {"supervision_decision": "report", "report_to_government": clue["report_rectify"]})


def clue_verifying(staff: Staff, place: Place, claimed: bool) -> None:
    """Transferred on the last working day: its competent unit is verifying, within the three working days."""
    case = _register(staff, place, "verifying", staff.day(1, "09:30"))
    _transfer(staff, place, case, place.clues["verifying"]["competent"], staff.day(1, "11:00"))
    if claimed:
        staff.claim(case, "verify", _clerk(place.clues["verifying"]["competent"]), staff.day(1, "14:00"))


def clue_received(staff: Staff, place: Place) -> None:
    """Registered on the last working day, to be transferred by the end of the next (today, often: a yellow card)."""
    _register(staff, place, "received", staff.day(1, "16:00"))


# The complaint's main path: (step, working days after it arrived, time of day), in order.
_PATH = (("dispatch", 0, "11:00"), ("acknowledge", 0, "15:00"), ("handle", 2, "10:00"), ("reply", 3, "10:00"),
         ("revisit", 4, "10:00"), ("report", 6, "10:00"), ("accept_report", 7, "10:00"))


def complaint(staff: Staff, place: Place, kind: str, back: int, until: str | None) -> str:
    """A complaint that arrived `back` working days ago, taken along its main path up to step `until` (which is
    left waiting; None: to its close)."""
    text, clerk = place.complaints[kind], _clerk(place.lead)
    intake = text["intake"]
    case = staff.start("complaint", "hotline_12345" if intake["channel"] == "hotline_12345" else clerk,
                       staff.day(back, "09:00"), intake)
    department = _clerk(text["department"])
    steps: dict[str, tuple[str, dict[str, Any]]] = {  # a complaint's text has what its steps up to `until` need
        "dispatch": (clerk, {"department": text["department"]}),
        "acknowledge": (department, {"ack_decision": "acknowledge"}),
        "handle": (department, {"verification": text.get("verification"), "violation_found": "yes",
                                "handling_result": text.get("result"), "handler_person": text.get("person")}),
        "reply": (clerk, {"reply_method": "phone", "reply_content": text.get("reply")}),
        "revisit": (clerk, {"satisfaction": text.get("satisfaction"), "revisit_note": text.get("revisit")}),
        "report": (department, {"report_doc_no": text.get("doc_no")}),
        "accept_report": (clerk, {"report_decision": "complete", "accept_opinion": "报告规范，同意办结。"}),
    }
    for step, later, hhmm in _PATH:
        if step == until:
            break
        when = staff.day(back - later, hhmm)
        user, data = steps[step]
        if step == "report":  # the sealed report is scanned and uploaded just before it is sent
            data = data | {"report_document": [staff.upload(department, "核查处理情况报告.pdf",
                                                            when - timedelta(minutes=30), intake["subject"],
                                                            str(text["result"]))]}
        staff.do(case, step, user, when, data)
    return case


def complaint_assisting(staff: Staff) -> None:
    """Dispatched to the wrong department, returned with its reason, dispatched again with a co-department,
    whose opinion the handling department now waits for."""
    text, clerk = XIANGYUAN.complaints["assisting"], _clerk(XIANGYUAN.lead)
    case = staff.start("complaint", clerk, staff.day(3, "09:00"), text["intake"])
    staff.do(case, "dispatch", clerk, staff.day(3, "11:00"), {"department": text["wrong_department"]})
    staff.do(case, "acknowledge", _clerk(text["wrong_department"]), staff.day(2, "09:30"),
             {"ack_decision": "return", "return_reason": text["return_reason"]})
    staff.do(case, "dispatch", clerk, staff.day(2, "11:00"), {
        "department": text["department"], "co_departments": text["co_departments"],
        "dispatch_note": text["dispatch_note"]})
    staff.do(case, "acknowledge", _clerk(text["department"]), staff.day(2, "15:00"), {"ack_decision": "acknowledge"})


def complaint_arrived(staff: Staff) -> None:
    """Pushed by the 12345 hotline two hours ago, waiting to be dispatched."""
    staff.start("complaint", "hotline_12345", staff.now - timedelta(hours=2),
                XIANGYUAN.complaints["arrived"]["intake"])


def notice(staff: Staff, place: Place, back: int) -> str:
    """A typical-case notice of the place's archived cases, verified, found lawful, approved and published;
    it starts the region's self-inspection against it, which is returned."""
    text, clerk = place.notice, _clerk(place.lead)
    archived = staff.archived[place.region]
    started = staff.day(back, "09:00")
    case = staff.start("case_notice", clerk, started)
    numbers = [staff.data(entry["case"])["number_result"]["number"] for entry in archived]
    staff.do(case, "select_cases", clerk, staff.day(back, "10:00"), {
        "notice_title": f"{started.year}年{place.region}违背市场准入负面清单典型案例通报",
        "industry_department": text["industry"],
        "cases": [{"archive_no": number, "title": entry["title"], "facts": entry["facts"]}
                  for number, entry in zip(numbers, archived, strict=True)]})
    staff.do(case, "industry_verify", _clerk(text["industry"]), staff.day(back - 1, "10:00"), {
        "facts_confirmed": "yes", "facts_note": "案例事实经逐一核实无误。", "cases": text["findings"]})
    staff.do(case, "legality", _clerk(text["justice"]), staff.day(back - 2, "10:00"),
             {"legality_opinion": "approve", "legality_note": text["legality"]})
    staff.do(case, "approve", place.lead, staff.day(back - 3, "10:00"),
             {"approve_decision": "publish", "approve_note": "同意发布，并组织各部门对照开展自查自纠。"})
    return staff.child(case, "self_inspection_result")


def self_inspection(staff: Staff, place: Place, campaign: str) -> None:
    """The departments at work on the campaign: one found a problem and is rectifying it, one rectified
    its problem and waits for the NDRC's review, one found nothing and owes its written report; the others
    are still inspecting."""
    text = place.inspection
    deadline = (staff.now + timedelta(days=20)).astimezone(SHANGHAI).date().isoformat()
    staff.do(campaign, "inspect", _clerk(text["problem_unit"]), staff.day(4, "10:00"),
             text["problem"] | {"found_problem": "yes", "problem_deadline": deadline, "more": "no"})
    reviewed = _clerk(text["reviewed_unit"])
    staff.do(campaign, "inspect", reviewed, staff.day(4, "15:00"),
             text["reviewed"] | {"found_problem": "yes", "problem_deadline": deadline, "more": "no"})
    evidence = staff.upload(reviewed, "整改印证材料.pdf", staff.day(2, "09:30"), text["rectified"])
    staff.do(campaign, "rectify", reviewed, staff.day(2, "10:00"),
             {"rectification_result": text["rectified"], "rectification_evidence": [evidence]})
    staff.do(campaign, "inspect", _clerk(text["clean_unit"]), staff.day(3, "10:00"), {"found_problem": "no"})


def seeded(session: Session) -> bool:
    return session.scalar(select(Instance.id).where(Instance.title == MARKER).limit(1)) is not None


def seed(session: Session, now: datetime) -> list[str] | None:
    """Make the demo cases as of `now`, in the caller's transaction; None when they are already there.
    Returns the cases made (those other cases started included)."""
    if seeded(session):
        return None
    staff = Staff(session, now)
    # Numbers (complaints, archive entries, notices) follow the order cases are made: each kind oldest first.
    for place in PLACES:
        clue_closed(staff, place)
        case_submitted(staff, place)
    clue_overdue_xiangyuan(staff)
    clue_overdue_linfen(staff)
    for place, claimed in ((XIANGYUAN, True), (LINFEN, False)):
        clue_verifying(staff, place, claimed)
    clue_received(staff, XIANGYUAN)
    complaint(staff, XIANGYUAN, "closed", 13, None)
    complaint(staff, XIANGYUAN, "bad_rating", 8, "report")
    complaint_assisting(staff)
    complaint_arrived(staff)
    complaint(staff, LINFEN, "closed", 15, None)
    complaint(staff, LINFEN, "overdue", 10, "handle")
    complaint(staff, LINFEN, "revisit", 5, "revisit")
    for place, back in ((XIANGYUAN, 10), (LINFEN, 9)):
        self_inspection(staff, place, notice(staff, place, back))
    for case in staff.cases:  # what fell due since each case's last step: the worker's ticks until now
        staff.wait(case, now)
    return staff.cases
