"""Every mechanism driven through the command line, one new process per command, as a restarted web worker or a
second gunicorn process also sees a case: nothing may depend on what an earlier process kept in memory.
(Self-inspection, case registry, notices and the archive's security check, in both places: test_two_places_cli;
the 0137 clue in both places: test_clue_0137_cli.)"""
from tests.cli import steps
from tests.integration import test_complaint as complaint


def _registered(cli, iid, category, day):
    """A case_registry case checked and classified by the NDRC that keeps it (its lead): its archive number."""
    lead = steps.view(cli, iid)["data"]["lead"]
    steps.complete(cli, lead, "check_materials", {"materials_decision": "accept"}, f"{day}T10:00:00+08:00", iid)
    steps.complete(cli, lead, "classify", {"archive_category": category, "case_date": day, "importance": "important",
                                      "keywords": ""}, f"{day}T11:00:00+08:00", iid)
    return steps.view(cli, iid)["data"]["number_result"]["number"]


def test_complaint_from_intake_to_close(cli, tmp_path):
    iid = steps.start(cli, "complaint", "county_ndrc", complaint.INTAKE, "2026-03-02T09:00:00+08:00")
    steps.complete(cli, "county_ndrc", "dispatch", {"department": "county_housing"}, "2026-03-02T11:00:00+08:00")
    steps.complete(cli, "county_housing", "acknowledge", {"ack_decision": "acknowledge"}, "2026-03-02T14:00:00+08:00")
    steps.complete(cli, "county_housing", "handle", complaint.HANDLE, "2026-03-04T10:00:00+08:00")
    # The NDRC answers the complainant; the department complained about never gets the contact.
    steps.complete(cli, "county_ndrc", "reply", complaint.REPLY, "2026-03-04T11:00:00+08:00")
    steps.complete(cli, "county_ndrc", "revisit", {"satisfaction": "satisfied", "revisit_note": "投诉人表示满意。"},
              "2026-03-05T09:00:00+08:00")
    document = steps.upload(cli, tmp_path, "核查情况报告.pdf", "county_housing")
    steps.complete(cli, "county_housing", "report",
                   {"report_doc_no": "襄住建函〔2026〕8号", "report_document": [document]},
              "2026-03-05T10:00:00+08:00")
    done = steps.complete(cli, "county_ndrc", "accept_report", {"report_decision": "complete"},
                          "2026-03-05T15:00:00+08:00")
    assert done["status"] == "completed"
    view = steps.view(cli, iid)
    assert view["ready_tasks"] == [] and view["waiting_timers"] == []
    assert cli("audit", "verify", iid, "--json")["failed"] == []
