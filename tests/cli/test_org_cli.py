"""`zhunru org`: a new city or county is added from the command line and runs the processes."""


def test_org_commands_add_a_region_that_runs_the_processes(cli):
    cli("org", "add", "pingyao_gov", "--name", "平遥县人民政府", "--kind", "government", "--parent", "province_gov",
        "--prefix", "PY")
    cli("org", "add", "pingyao_ndrc", "--name", "平遥县发展和改革局", "--parent", "pingyao_gov",
        "--function", "ndrc")
    listed = {r["code"]: r for r in cli("org", "list", "--json")}
    assert listed["pingyao_ndrc"] == {"code": "pingyao_ndrc", "name": "平遥县发展和改革局", "kind": "department",
                                      "function": "ndrc", "parent": "pingyao_gov", "number_prefix": None}
    refused = cli("org", "add", "bad", "--name", "坏前缀", "--prefix", "L-F", expect=2)
    assert "编号前缀" in refused.stderr
    refused = cli("org", "add", "pingyao_gov", "--name", "重复", "--kind", "government", expect=2)
    assert "已存在" in refused.stderr
    cli("user", "add", "py_clerk", "--organisation", "pingyao_ndrc")
    assert "py_clerk" in cli("user", "list").stdout
