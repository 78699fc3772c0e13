"""The clue ledger (线索台账) page and its Excel, and the circulars page read by a region's units."""
import io
import json

from openpyxl import load_workbook

from tests.conftest import at
from tests.integration import test_clue_0137 as clue
from tests.integration import test_clue_0137_supervision as supervision
from tests.web.conftest import csrf_of, sign_in


def test_the_clue_ledger_shows_dates_flags_and_clearing_progress_and_exports_them(sessions, client):
    supervision.test_the_clue_ledger_shows_each_clues_dates_flags_and_clearing(sessions)
    sign_in(client, "city_ndrc")
    page = client.get("/ledgers/clue").get_data(as_text=True)
    assert "动态清零：共 1 条线索，已销号 <strong>1</strong> 条，未销号 <strong>0</strong> 条，清零率 100%" in page
    assert "临汾市尧都区人民政府" in page and "移交逾期、核查逾期" in page and "延至2026-03-20" in page
    assert "襄垣县" not in page  # the county's clue is another NDRC's
    assert 'href="/ledgers/clue"' in client.get("/ledgers/complaint").get_data(as_text=True)  # a tab of 工作台账
    answer = client.get("/ledgers/clue.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.data)).active
    assert sheet[3][3].value == "2026-02-13" and sheet[3][12].value == "已销号"
    client.post("/logout")
    sign_in(client, "county_ndrc")
    assert "动态清零：共 1 条线索，已销号 <strong>0</strong> 条" in client.get("/ledgers/clue").get_data(as_text=True)


def test_a_circular_is_read_by_the_units_of_its_region_only(sessions, client):
    supervision.test_a_report_reaches_the_government_at_once_and_a_circular_is_read_by_the_regions_units(sessions)
    sign_in(client, "yaodu_market_regulation")
    listing = client.get("/circulars").get_data(as_text=True)
    assert "关于临汾市尧都区人民政府在问题线索核查整改中核查逾期的通报" in listing and "2026年第1期" in listing
    circular_id = listing.split('/circulars/')[1].split('"')[0]
    text = client.get(f"/circulars/{circular_id}").get_data(as_text=True)
    assert "请严格落实0137制度" in text and "临汾市人民政府" in text
    client.post("/logout")
    sign_in(client, "county_housing")
    assert "暂无通报" in client.get("/circulars").get_data(as_text=True)
    assert client.get(f"/circulars/{circular_id}").status_code == 404


def _post_message(client, url, data, files=None):
    page = client.get(url)
    assert page.status_code == 200
    token = csrf_of(page.get_data(as_text=True))
    body = {"data": json.dumps(data), **(files or {})}
    return client.post(url, data=body, headers={"X-CSRFToken": token, "Accept": "application/json"},
                       content_type="multipart/form-data")


def test_the_competent_unit_asks_for_an_extension_and_any_party_reports_shirking_on_the_case_page(
        sessions, client, monkeypatch):
    case = clue.received_and_transferred(sessions)
    case.complete("verify", clue.COMPETENT, at("2026-02-24 16:00"), clue.VERIFY_YES)
    extension = f"/cases/{case.id}/messages/extension_request"
    shirking = f"/cases/{case.id}/messages/report_shirking"
    sign_in(client, clue.RESPONSIBLE)  # the responsible unit may report, but not ask for the extension
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "反映推诿敷衍" in page and "主管单位书面申请延期" not in page
    assert client.get(extension).status_code == 404
    client.post("/logout")
    sign_in(client, clue.COMPETENT)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "主管单位书面申请延期" in page and extension in page
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-26T10:00:00+08:00")
    asked = {"reason": "情况复杂需要延期处理。", "requested_until": "2026-03-20"}
    incomplete = _post_message(client, extension, asked)
    assert incomplete.status_code == 422 and "application" in incomplete.json["errors"]
    done = _post_message(client, extension, asked | {"application": "files::application"},
                         {"files::application": (io.BytesIO(b"%PDF-1.4 application"), "延期申请.pdf")})
    assert done.status_code == 200 and done.json["redirect"] == f"/cases/{case.id}"
    assert "forward_extension" in case.ready()
    reported = _post_message(client, shirking, {"unit_role": "responsible", "conduct": "delay",
                                                "description": "责任单位至今未启动整改。"})
    assert reported.status_code == 200
    assert "督办：被反映拖延（临汾市尧都区市场监督管理局）" in {t["title"] for t in case.view()["ready_tasks"]}
    client.post("/logout")
    sign_in(client, "county_housing")  # no party to the clue: neither the page nor the form
    assert client.get(shirking).status_code == 404
