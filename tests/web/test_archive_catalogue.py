"""The archive catalogue page (案例档案) classifies as L§13(三) says — by category, by time (the year and quarter a
case happened, not when it was registered) and by importance — and each place's NDRC keeps its own numbers."""
from tests.conftest import at
from tests.driver import Case
from tests.web.conftest import sign_in


def _register(sessions, user, lead, title, case_date, category="HIDDEN_BARRIER", importance="general"):
    case = Case(sessions, "case_registry", user, at("2026-03-02 09:00"),
                {"title": title, "summary": "案情摘要：要求外地企业在本地设立分支机构。", "category": category,
                 "case_date": case_date})
    case.complete("check_materials", lead, at("2026-03-02 10:00"), {"materials_decision": "accept"})
    case.complete("classify", lead, at("2026-03-02 11:00"), {"archive_category": category, "case_date": case_date,
                                                            "importance": importance, "keywords": ""})


def _rows(client, query=""):
    html = client.get(f"/archive{query}").get_data(as_text=True)
    table = html[html.index('id="archive-table"'):]
    return [line for line in table.split("<tr>")[2:] if "<td>" in line]


def test_the_catalogue_filters_by_the_time_a_case_happened(client, sessions):
    _register(sessions, "county_housing", "county_ndrc", "上年第四季度的违规审批", "2025-11-03", "APPROVAL", "major")
    _register(sessions, "county_transport", "county_ndrc", "今年一季度的隐性壁垒", "2026-02-20")
    _register(sessions, "city_housing", "city_ndrc", "临汾的案例", "2026-02-21")
    sign_in(client, "county_ndrc_clerk")
    rows = _rows(client)
    assert len(rows) == 2  # Xiangyuan's NDRC keeps Xiangyuan's archive
    assert any("XY-2026-0001" in r and "2025年第四季度" in r and "重大" in r for r in rows)
    [row] = _rows(client, "?year=2025")
    assert "上年第四季度的违规审批" in row  # registered in 2026, happened in 2025
    assert _rows(client, "?year=2025&quarter=1") == []
    [row] = _rows(client, "?year=2026&quarter=1")
    assert "今年一季度的隐性壁垒" in row and "2026年第一季度" in row
    [row] = _rows(client, "?category=APPROVAL&importance=major")
    assert "XY-2026-0001" in row
    assert client.get("/archive?quarter=5").status_code == 400
    sign_in(client, "city_ndrc_clerk")
    [row] = _rows(client)
    assert "LF-2026-0001" in row and "临汾的案例" in row
