"""The clue ledger (线索台账) page and its Excel, and the circulars page read by a region's units."""
import io

from openpyxl import load_workbook

from tests.integration import test_clue_0137_supervision as supervision
from tests.web.conftest import sign_in


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
