"""Decision tables from the command line: deployed with diagrams, refused with the file named, exported back."""
from tests.conftest import ROOT

DMN = "tests/fixtures/decisions/approval_level.dmn"
BPMN = "tests/fixtures/decision_probe.bpmn"


def test_deploy_export_and_refuse_a_decision_table(cli, tmp_path):
    deployed = cli("deploy", DMN, BPMN, "--json")
    assert [(d["kind"], d["id"], d["version"], d["created"]) for d in deployed] == [
        ("decision", "approval_level", 1, True), ("process", "decision_probe", 1, True)]
    exported = cli("export", "approval_level", "--decision", "--output", "-")
    assert exported.stdout == (ROOT / DMN).read_text(encoding="utf-8")
    target = tmp_path / "out.dmn"
    cli("export", "approval_level", "--decision", "--version", "1", "--output", str(target))
    assert target.read_bytes() == (ROOT / DMN).read_bytes()
    broken = tmp_path / "approval_level.dmn"
    broken.write_text((ROOT / DMN).read_text(encoding="utf-8").replace('hitPolicy="UNIQUE"', 'hitPolicy="MAYBE"'),
                      encoding="utf-8")
    refused = cli("deploy", str(broken), expect=2)
    assert str(broken) in refused.stderr and "approval_level_table" in refused.stderr and "DMN 模式" in refused.stderr
    assert cli("export", "approval_level", "--decision", "--version", "2", expect=2).stderr.strip().endswith(
        "决策表 approval_level 没有版本 v2")
