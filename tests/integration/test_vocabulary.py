"""One vocabulary: the code lists several processes share are defined once (handlers/vocabulary.py), every form
offers them and every handler takes them, and a value one form offers is never refused further on."""
import json

import pytest
from marshmallow import validate
from sqlalchemy import select

from engine import definitions, forms
from engine.errors import DefinitionError
from engine.store.models import FormDefinition, Instance
from handlers import registry
from handlers.registers import archive
from handlers.vocabulary import VOCABULARIES
from tests.conftest import ROOT, at
from tests.driver import Case, upload
from tests.integration.test_clue_0137 import COMPETENT, FORWARD, REGISTER, RESPONSIBLE, VERIFY_YES


def _choices(schema):
    stack, found = list(schema["components"]), []
    while stack:
        comp = stack.pop()
        stack.extend(comp.get("components") or [])
        if comp.get("values") is not None:
            found.append(comp)
    return found


def test_forms_offering_the_same_field_offer_the_same_codes(sessions):
    """A field key offered by several forms (category in a clue and in the archive) has one code list."""
    offered: dict[str, dict[tuple, list[str]]] = {}
    with sessions() as s:
        newest = {}
        for row in s.scalars(select(FormDefinition).order_by(FormDefinition.version)):
            newest[row.form_key] = row.schema
    for key, schema in newest.items():
        for comp in _choices(schema):
            codes = tuple(sorted(v["value"] for v in comp["values"]))
            offered.setdefault(comp["key"].removeprefix("archive_"), {}).setdefault(codes, []).append(key)
    mixed = {field: variants for field, variants in offered.items() if len(variants) > 1
             and field in ("category", "importance", "channel", "satisfaction", "scope")}
    assert mixed == {}
    # Shared lists come from the vocabulary, not from each file.
    for path in sorted((ROOT / "forms").glob("*.json")):
        for comp in _choices(json.loads(path.read_text())):
            if comp["key"].removeprefix("archive_") in ("category", "importance", "channel", "satisfaction", "scope"):
                assert (comp.get("properties") or {}).get("vocabulary") in VOCABULARIES, (path.name, comp["key"])


def test_handlers_take_exactly_the_codes_forms_offer():
    for operator in registry.operators().values():
        for name, field in operator.params().fields.items():
            vocabulary = field.metadata.get("vocabulary")
            if vocabulary is None:
                continue
            checks = [v for v in field.validators if isinstance(v, validate.OneOf)]
            assert checks and set(checks[0].choices) == set(VOCABULARIES[vocabulary]), (operator.name, name)
    assert archive.CATEGORIES is VOCABULARIES["case_category"]


def test_a_form_naming_an_unknown_code_list_is_refused(empty_sessions):
    schema = {"components": [{"type": "select", "key": "category", "id": "f", "values": [],
                              "properties": {"vocabulary": "no_such_list"}}]}
    with empty_sessions() as s, s.begin(), pytest.raises(DefinitionError, match="代码表 'no_such_list' 不存在"):
        definitions.deploy(s, [("forms/odd.json", json.dumps(schema).encode())], "admin", at("2026-03-01 10:00"))
    filled, problems = forms.with_vocabularies(json.loads(json.dumps(schema).replace("no_such_list", "satisfaction")),
                                               VOCABULARIES)
    assert problems == [] and [v["value"] for v in filled["components"][0]["values"]] == list(
        VOCABULARIES["satisfaction"])


@pytest.mark.parametrize("category", list(VOCABULARIES["case_category"]))
def test_every_category_of_clue_closes_and_is_archived(sessions, category):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER | {"category": category})
    case.complete("transfer", "city_ndrc", at("2026-02-14 10:00"), {"competent_unit": COMPETENT})
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    case.complete("acknowledge_feedback", "city_ndrc", at("2026-02-25 09:00"))
    evidence = upload(sessions, "整改通知.pdf", b"%PDF-1.4 fixed", RESPONSIBLE, at("2026-03-01 09:00"))
    case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"),
                  {"rectification_report": "已删除本地注册条款。", "evidence": [evidence]})
    case.complete("competent_review", COMPETENT, at("2026-03-02 15:00"), FORWARD)
    assert case.complete("check_report", "city_ndrc", at("2026-03-03 09:00"),
                         {"report_decision": "complete", "check_opinion": "同意销号。"}) == "completed"
    with sessions() as s:
        registry_case = s.scalars(select(Instance).where(Instance.process_id == "case_registry")).one()
    assert registry_case.status == "running" and registry_case.error_message is None
    registered = Case.of(sessions, registry_case.id, at("2026-03-03 09:00"))
    assert registered.view()["data"]["category"] == category
    lead = registered.view()["data"]["lead"]  # the NDRC that keeps the clue's region's archive
    registered.complete("check_materials", lead, at("2026-03-03 10:00"), {"materials_decision": "accept"})
    registered.complete("classify", lead, at("2026-03-03 11:00"),
                        {"archive_category": category, "case_date": "2026-03-03", "importance": "general",
                         "keywords": "线索"})
    with sessions() as s:
        [entry] = archive.catalogue(s)
    assert (entry["category"], entry["category_text"]) == (category, VOCABULARIES["case_category"][category])


@pytest.mark.parametrize("path, element", [("processes/self_inspection.bpmn", "scheduled_campaign"),
                                           ("processes/case_notice.bpmn", "start_self_inspection")])
def test_campaigns_started_without_a_person_cover_every_scope_of_the_shared_list(path, element):
    """A scheduled campaign and one a notice starts cover all of L§9 / X-A9's scope: the diagrams name exactly the
    codes of the shared list (a new scope added there must be added to them)."""
    from lxml import etree

    node = etree.parse(str(ROOT / path)).find(f".//*[@id='{element}']")
    text = etree.tostring(node, encoding="unicode").replace("&quot;", '"')
    named = text[text.index('"scope": [' if '"scope": [' in text else "scope = [") :]
    codes = named[named.index("[") + 1:named.index("]")].replace('"', "").replace(" ", "").split(",")
    assert codes == list(VOCABULARIES["inspection_scope"])
    assert {"opened_still_approved", "qualification", "competition"} <= set(codes)  # L§9(二), X-A9 §3
