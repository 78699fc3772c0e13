"""A process another process calls (a co-department's part of a complaint, a department's self-inspection) is
started by its caller with the data its lanes need; nobody starts it by hand, and 发起办件 does not offer it."""
import pytest

from engine import runtime, versions
from engine.errors import NotEntitled
from engine.people import directory
from tests.conftest import at
from tests.web.conftest import sign_in


def test_called_processes_are_known(sessions):
    with sessions() as s:
        assert versions.called_processes(s) == {"complaint_assist", "self_inspection_unit",
                                                "self_inspection_problem", "self_inspection_spot"}


@pytest.mark.parametrize("user", ["county_housing", "admin"])
def test_a_called_process_is_not_started_by_hand(sessions, user):
    with sessions() as s, pytest.raises(NotEntitled, match="由其他流程调用发起"):
        runtime.start_instance(s, "complaint_assist", {}, directory.actor(s, user), at("2026-03-02 09:00"))


def test_the_start_page_offers_only_processes_a_person_starts(client):
    sign_in(client, "admin")
    page = client.get("/start").get_data(as_text=True)
    assert 'id="start-complaint"' in page and 'id="start-clue_0137"' in page
    for called in ("complaint_assist", "self_inspection_unit", "self_inspection_problem", "self_inspection_spot"):
        assert f'id="start-{called}"' not in page, called
