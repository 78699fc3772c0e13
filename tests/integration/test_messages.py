"""Messages from outside: delivered to the event waiting for them, as their correlation keys decide."""
from pathlib import Path

import pytest

from engine.audit import replay
from engine.errors import Conflict, InvalidInput
from tests.conftest import at
from tests.driver import Case, snapshot
from tests.integration.test_runtime import deploy

CORRELATION = (Path(__file__).resolve().parent.parent / "fixtures" / "correlation.bpmn").read_bytes()


def test_a_message_is_caught_only_when_its_correlation_matches_the_case(sessions):
    deploy(sessions, "correlation.bpmn", CORRELATION)
    case = Case(sessions, "corr", "admin", at("2026-03-02 09:00"))
    case.message("received", "admin", at("2026-03-02 10:00"), {"letter_no": "ZX-7"})  # the first sets the key
    before = snapshot(sessions)
    with pytest.raises(Conflict, match=r"消息 replied 的关联值 \(letter: letter_no='ZX-8'\) 与办件的 "
                                       r"\(letter: letter_no='ZX-7'\) 不符"):
        case.message("replied", "admin", at("2026-03-02 11:00"), {"letter_no": "ZX-8"})
    with pytest.raises(InvalidInput, match="消息 replied 缺少关联属性 letter_no"):
        case.message("replied", "admin", at("2026-03-02 11:00"), {"answer": "同意"})
    with pytest.raises(Conflict, match="不在等待消息 received"):
        case.message("received", "admin", at("2026-03-02 11:00"), {"letter_no": "ZX-7"})
    assert snapshot(sessions) == before
    case.message("replied", "admin", at("2026-03-02 11:00"), {"letter_no": "ZX-7", "answer": "同意"})
    assert case.ready() == ["confirm"] and case.view()["data"]["reply"]["answer"] == "同意"
    assert [e["kind"] for e in case.history()].count("message_received") == 2
    with sessions() as s:
        assert replay.verify(s, [case.id])["failed"] == []
