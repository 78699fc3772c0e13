"""A case restored from the database behaves as the in-memory workflow that saved it: loops, multi-instance,
event sub-processes, called processes with boundary events. Each step is compared with SpiffWorkflow run alone."""
from pathlib import Path

from tests.parity import Both

FIXTURE = [("loops_and_event_subprocesses.bpmn",
            (Path(__file__).resolve().parent.parent / "fixtures" / "loops_and_event_subprocesses.bpmn").read_bytes())]


def test_parallel_multi_instance_over_a_collection_then_sequential_by_cardinality(sessions):
    both = Both(sessions, FIXTURE, "mi", {"units": ["housing", "transport", "market"]})
    forms = {"review": lambda n: {"result": f"review-{n}"}, "summary": lambda n: {"conclusion": "合格"}}
    steps = both.run(lambda name, n: forms[name](n) if name in forms else {})
    assert steps == ["review"] * 3 + ["sign"] * 3 + ["summary"]
    assert both.status() == "completed"
    assert sorted(both.raw.workflow.data["results"]) == ["review-0", "review-1", "review-2"]
    # spiffworkflow:variableName: the submission lies under the variable, as add_data_from_form puts it.
    data = both.raw.workflow.data
    assert data["summary_form"] == {"conclusion": "合格"} and "conclusion" not in data


def test_standard_loop_ends_on_its_condition(sessions):
    both = Both(sessions, FIXTURE, "loop", {"again": True})
    steps = both.run(lambda name, n: {"again": n < 2} if name == "attempt" else {})
    assert steps == ["attempt"] * 3 + ["finish"] and both.status() == "completed"


def test_event_sub_processes_interrupting_and_not(sessions):
    both = Both(sessions, FIXTURE, "esp", {})
    both.compare()
    both.message("note", {"note": "first"})
    both.compare()
    both.complete_first({})  # the note is read; the work goes on
    both.compare()
    both.message("note", {"note": "second"})
    both.compare()
    both.complete_first({})
    both.message("withdraw", {"reason": "申请人撤回"})
    both.compare()
    steps = both.run()
    assert "close_withdrawn" in steps and not {"work", "more_work"} & set(steps)
    assert both.status() == "completed"


def test_called_process_per_unit_each_with_its_own_multi_instance(sessions):
    both = Both(sessions, FIXTURE, "calls", {"units": ["housing", "transport"]})
    assert both.run() == ["check_item"] * 4 + ["collect"]
    assert both.status() == "completed"


def test_boundary_message_on_a_call_activity(sessions):
    both = Both(sessions, FIXTURE, "guarded", {})
    both.complete_first({})
    both.compare()
    both.message("abort", {"why": "撤销"})
    assert both.run() == ["explain_abort"]
    assert both.status() == "completed"


def test_call_activity_runs_to_its_end_when_no_message_comes(sessions):
    both = Both(sessions, FIXTURE, "guarded", {})
    assert both.run() == ["check_item", "check_item", "accept"]
    assert both.status() == "completed"
