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


ROWS = {"components": [
    {"type": "radio", "key": "confirmed", "values": [{"value": "yes"}, {"value": "no"}]},
    {"type": "dynamiclist", "path": "rows", "allowAddRemove": False, "components": [
        {"type": "textfield", "key": "title", "readonly": True},
        {"type": "textfield", "key": "note", "validate": {"required": True},
         "conditional": {"hide": '=confirmed != "yes"'}}]}]}


def test_a_fixed_list_keeps_its_rows_and_takes_only_their_editable_fields():
    current = {"rows": [{"title": "甲", "ref": 1}, {"title": "乙", "ref": 2}]}
    clean, errors = forms.validate(ROWS, {"confirmed": "yes", "rows": [{"title": "改", "note": "一"}, {"note": "二"}]},
                                   no_files, current)
    assert errors == {}
    assert clean["rows"] == [{"title": "甲", "ref": 1, "note": "一"}, {"title": "乙", "ref": 2, "note": "二"}]
    # A condition's bare name is the whole form's field, as in form-js: hidden rows' fields are not required.
    clean, errors = forms.validate(ROWS, {"confirmed": "no", "rows": [{}, {}]}, no_files, current)
    assert errors == {} and clean["rows"] == current["rows"]
    _, errors = forms.validate(ROWS, {"confirmed": "yes", "rows": [{"note": "一"}, {"extra": 1}]}, no_files, current)
    assert errors == {"rows.1.extra": "第 2 行：表单中没有此字段", "rows.1.note": "第 2 行：必填"}
    _, errors = forms.validate(ROWS, {"confirmed": "yes", "rows": {"note": "一"}}, no_files, current)
    assert errors == {"rows": "应为若干行组成的列表"}


def test_list_schema_problems_name_the_list_and_field():
    schema = {"components": [
        {"type": "dynamiclist", "id": "l1", "components": [{"type": "textfield", "key": "a"}]},
        {"type": "dynamiclist", "path": "rows", "properties": {"minItems": "one"}, "components": [
            {"type": "filepicker", "key": "scan"}, {"type": "textfield", "key": "a"}, {"type": "number", "key": "a"}]},
        {"type": "dynamiclist", "path": "empty", "components": [{"type": "text", "text": "说明"}]},
        {"type": "group", "path": "g", "components": []}]}
    assert forms.check_schema(schema) == [
        ("l1", "动态列表需要一个由字母、数字、下划线组成的 数据路径 (path)"),
        ("rows", "自定义属性 minItems 应为非负整数"),
        ("rows.scan", "动态列表中不能上传文件，请把附件字段放在列表之外"),
        ("rows.a", "key a 重复"),
        ("empty", "动态列表中至少要有一个输入组件"),
        ("g", "分组不能设置数据路径 (path)，请用动态列表保存多行数据")]
    assert forms.input_keys(schema) == ["rows", "empty"]
