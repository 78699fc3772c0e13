"""Server-side validation of form-js data."""
import json

from engine import forms
from tests.conftest import ROOT

VERIFY = json.loads((ROOT / "forms" / "clue_verify.json").read_text())


def no_files(_file_id):
    return False


def test_fields_hidden_by_a_condition_are_not_required_and_not_kept():
    clean, errors = forms.validate(VERIFY, {"verification": "未发现违规情形。", "violation_found": "no",
                                            "responsible_unit": "county_housing"}, no_files)
    assert errors == {}
    # A visible optional field left empty is kept as empty, so a diagram may test it.
    assert clean == {"verification": "未发现违规情形。", "violation_found": "no", "verification_files": []}


def test_visible_required_fields_and_choices_are_checked():
    _, errors = forms.validate(VERIFY, {"verification": "短", "violation_found": "yes",
                                        "responsible_unit": "nowhere"}, no_files)
    assert errors == {"verification": "至少 5 个字", "responsible_unit": "'nowhere' 不是可选的值",
                      "rectification_opinion": "必填"}


def test_unknown_condition_syntax_is_a_schema_problem():
    schema = {"components": [{"type": "textfield", "key": "a", "conditional": {"hide": "=a > sum(b)"}}]}
    assert forms.check_schema(schema) == [("a", "不支持的显示条件 '=a > sum(b)'")]
