"""Evidence cannot be borrowed: a submission links only its submitter's own unused uploads or the case's own files;
unused uploads are limited per user and cleaned after a setting's age."""
import pytest
from sqlalchemy import select

from engine import files, settings
from engine.errors import FormInvalid, InvalidInput
from engine.store.models import StoredFile
from tests.conftest import at
from tests.driver import snapshot, upload
from tests.integration.test_clue_0137 import COMPETENT, FORWARD, RESPONSIBLE, VERIFY_YES, received_and_transferred

RECTIFY = {"rectification_report": "已删除本地注册条款并重新发布招标文件。"}


def at_rectify(sessions, received="2026-02-13 09:30", transferred="2026-02-14 10:00"):
    case = received_and_transferred(sessions, received, transferred)
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    return case


def test_a_file_someone_else_uploaded_is_refused_naming_the_field(sessions):
    case = at_rectify(sessions)
    others = upload(sessions, "内部材料.pdf", b"%PDF-1.4 not yours", "city_ndrc", at("2026-03-01 09:00"))
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as refused:
        case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"), RECTIFY | {"evidence": [others]})
    assert set(refused.value.errors) == {"evidence"} and "文件" in refused.value.errors["evidence"]
    assert snapshot(sessions) == before
    with sessions() as s:
        assert files.of_instance(s, case.id) == []


def test_a_file_linked_to_one_case_cannot_be_borrowed_into_another_but_stays_usable_in_its_own(sessions):
    first = at_rectify(sessions)
    second = at_rectify(sessions, "2026-02-13 10:30", "2026-02-14 11:00")
    own = upload(sessions, "整改通知.pdf", b"%PDF-1.4 evidence", RESPONSIBLE, at("2026-03-01 09:00"))
    first.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"), RECTIFY | {"evidence": [own]})
    # Even its uploader cannot attach it to another case (whose readers would then download it)…
    with pytest.raises(FormInvalid) as refused:
        second.complete("rectify", RESPONSIBLE, at("2026-03-02 11:30"), RECTIFY | {"evidence": [own]})
    assert set(refused.value.errors) == {"evidence"}
    # …while the case's own files may be named again in it, by another of its units.
    first.complete("competent_review", COMPETENT, at("2026-03-02 15:00"), FORWARD)
    first.complete("check_report", "city_ndrc", at("2026-03-03 09:00"),
                   {"report_decision": "supplement", "check_opinion": "请补充整改后的招标公告。"})
    status = first.complete("rectify", RESPONSIBLE, at("2026-03-03 10:00"),
                            RECTIFY | {"evidence": [own]})
    assert status == "running"
    with sessions() as s:
        assert [f["file_id"] for f in files.of_instance(s, first.id)] == [own]
        assert files.of_instance(s, second.id) == []


def test_unlinked_uploads_are_limited_per_user(sessions):
    with sessions() as s, s.begin():
        settings.change(s, "upload_unlinked_max", "2", "admin", at("2026-03-01 08:00"))
    case = at_rectify(sessions)
    kept = [upload(sessions, f"{n}.pdf", b"%PDF-1.4 " + n.encode(), RESPONSIBLE, at("2026-03-01 09:00"))
            for n in ("a", "b")]
    with sessions() as s, s.begin(), pytest.raises(InvalidInput, match="2"):
        files.upload(s, "c.pdf", b"%PDF-1.4 c", RESPONSIBLE, at("2026-03-01 09:05"))
    with sessions() as s, s.begin():  # another user's allowance is their own
        files.upload(s, "d.pdf", b"%PDF-1.4 d", "city_ndrc", at("2026-03-01 09:05"))
    case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"), RECTIFY | {"evidence": kept[:1]})
    with sessions() as s, s.begin():  # linking one frees its place
        files.upload(s, "c.pdf", b"%PDF-1.4 c", RESPONSIBLE, at("2026-03-02 11:05"))


def test_unlinked_uploads_older_than_the_setting_are_cleaned_and_used_ones_kept(sessions):
    with sessions() as s, s.begin():
        settings.change(s, "upload_unlinked_days", "3", "admin", at("2026-03-01 08:00"))
    case = at_rectify(sessions)
    used, stale, fresh = (upload(sessions, f"{n}.pdf", b"%PDF-1.4 " + n.encode(), RESPONSIBLE, at(when))
                          for n, when in (("used", "2026-03-01 09:00"), ("stale", "2026-03-01 09:00"),
                                          ("fresh", "2026-03-03 09:00")))
    case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"), RECTIFY | {"evidence": [used]})
    with sessions() as s, s.begin():
        assert files.clean_unlinked(s, at("2026-03-04 08:59")) == 0  # not yet three days old
    with sessions() as s, s.begin():
        assert files.clean_unlinked(s, at("2026-03-04 09:01")) == 1
    with sessions() as s:
        assert set(s.scalars(select(StoredFile.id))) == {used, fresh}
