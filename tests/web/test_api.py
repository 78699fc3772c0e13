"""The JSON API: bearer tokens, the same objects as the CLI, JSON errors, and the OpenAPI document."""
import pytest

from engine import queries
from engine.people import credentials
from tests.conftest import at

REGISTER = {"source": "national", "summary": "某部门设置隐性门槛", "category": "OTHER", "region": "临汾市"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-13T11:00:00+08:00")


@pytest.fixture
def token(sessions):
    def issue(username: str) -> dict[str, str]:
        with sessions() as s, s.begin():
            return {"Authorization": f"Bearer {credentials.issue_token(s, username, at('2026-02-13 08:00'))}"}
    return issue


def test_a_clue_through_the_api(client, token, sessions):
    ndrc, county = token("city_ndrc"), token("yaodu_gov")
    assert "clue_0137" in [p["process_id"] for p in client.get("/api/v1/processes", headers=ndrc).json]
    started = client.post("/api/v1/instances", headers=ndrc, json={"process_id": "clue_0137", "data": {}})
    assert started.status_code == 201
    instance_id = started.json["instance_id"]
    page = client.get("/api/v1/tasks?scope=organisation", headers=ndrc).json
    assert page["total"] == 1 and page["items"][0]["task_name"] == "register"
    register = page["items"][0]["task_id"]
    assert client.post(f"/api/v1/tasks/{register}/claim", headers=ndrc).json["assignee"] == "city_ndrc"
    again = client.post(f"/api/v1/tasks/{register}/claim", headers=ndrc)
    assert again.status_code == 409 and again.json["code"] == "already_claimed"
    assert client.get("/api/v1/tasks?scope=mine", headers=ndrc).json["items"][0]["task_id"] == register

    invalid = client.post(f"/api/v1/tasks/{register}/complete", headers=ndrc, json={"data": {"category": "X"}})
    assert invalid.status_code == 422 and invalid.json["code"] == "form_invalid"
    assert set(invalid.json["errors"]) >= {"category", "summary"}
    done = client.post(f"/api/v1/tasks/{register}/complete", headers=ndrc, json={"data": REGISTER})
    assert done.json == {"instance_id": instance_id, "status": "running", "error": None}
    transfer = client.get("/api/v1/tasks?scope=organisation", headers=ndrc).json["items"][0]
    client.post(f"/api/v1/tasks/{transfer['task_id']}/complete", headers=ndrc,
                json={"data": {"competent_unit": "yaodu_gov"}})

    verify = client.get("/api/v1/tasks?scope=organisation", headers=county).json["items"][0]
    assert verify["task_name"] == "verify" and verify["card"] == "green" and verify["provisional"] is False
    assert verify["due_at"] == "2026-02-26T00:00:00+08:00"
    # The same object as the CLI's --json output.
    with sessions() as s:
        from engine.people import directory
        cli_view = queries.tasks_for(s, directory.actor(s, "yaodu_gov"), at("2026-02-13 11:00"))[0]
    assert verify == cli_view
    instance = client.get(f"/api/v1/instances/{instance_id}", headers=county).json
    assert instance["status"] == "running" and instance["ready_tasks"][0]["task_name"] == "verify"
    history = client.get(f"/api/v1/instances/{instance_id}/history", headers=county).json
    assert [e["kind"] for e in history if e["kind"] != "service_called"][:2] == ["instance_started", "task_claimed"]


def _shape(answer) -> tuple[int, str]:
    """The status and code of an error answer, after checking it has the one shape."""
    assert set(answer.json) <= {"code", "message", "errors"} and isinstance(answer.json["message"], str), answer.json
    return answer.status_code, answer.json["code"]


def test_errors_are_json_with_a_code_and_a_message(client, token):
    assert _shape(client.get("/api/v1/tasks")) == (401, "unauthenticated")
    assert _shape(client.get("/api/v1/tasks", headers={"Authorization": "Bearer nonsense"})) == (401, "token_invalid")
    ndrc = token("city_ndrc")
    assert _shape(client.get("/api/v1/instances/0123456789abcdef", headers=ndrc)) == (404, "not_found")
    assert _shape(client.post("/api/v1/instances", headers=ndrc, json={"process_id": "nope"})) == (404, "not_found")
    missing = client.post("/api/v1/instances", headers=ndrc, json={"data": {}})
    assert _shape(missing) == (422, "validation_failed") and set(missing.json["errors"]) == {"process_id"}
    scope = client.get("/api/v1/tasks?scope=everything", headers=ndrc)
    assert _shape(scope) == (422, "validation_failed") and set(scope.json["errors"]) == {"scope"}
    assert _shape(client.get("/api/v1/tasks?page=0", headers=ndrc)) == (422, "validation_failed")
    assert _shape(client.get("/api/v1/no-such-route", headers=ndrc)) == (404, "not_found")
    wrong_method = client.delete("/api/v1/tasks", headers=ndrc)
    assert _shape(wrong_method) == (405, "method_not_allowed") and "GET" in wrong_method.headers["Allow"]
    county = token("county_transport")
    assert _shape(client.post("/api/v1/instances", headers=county, json={"process_id": "clue_0137"})) == (
        403, "not_entitled")


def test_the_openapi_document_describes_the_one_error_shape(client):
    spec = client.get("/api/v1/openapi.json").json
    error = spec["components"]["schemas"]["ApiError"]
    assert set(error["properties"]) == {"code", "message", "errors"} and set(error["required"]) == {"code", "message"}
    assert {"invalid_input", "not_found", "already_claimed", "form_invalid", "validation_failed",
            "internal_error"} <= set(error["properties"]["code"]["enum"])
    conflict = spec["paths"]["/api/v1/tasks/{task_id}/claim"]["post"]["responses"]["409"]
    assert "already_claimed" in conflict["description"]


def test_another_unit_gets_404_for_a_case_it_has_no_part_in(client, token):
    started = client.post("/api/v1/instances", headers=token("city_ndrc"), json={"process_id": "clue_0137"})
    other = token("county_transport")
    instance_id = started.json["instance_id"]
    for url in (f"/api/v1/instances/{instance_id}", f"/api/v1/instances/{instance_id}/history"):
        answer = client.get(url, headers=other)
        assert answer.status_code == 404 and "临汾" not in answer.get_data(as_text=True)
    assert client.get("/api/v1/tasks?scope=organisation", headers=other).json["total"] == 0


def test_files_can_be_uploaded_for_form_data(client, token):
    import io
    answer = client.post("/api/v1/files", headers=token("city_ndrc"),
                         data={"file": (io.BytesIO(b"%PDF-1.4 x"), "证据.pdf")}, content_type="multipart/form-data")
    assert answer.status_code == 201 and len(answer.json["sha256"]) == 64
    refused = client.post("/api/v1/files", headers=token("city_ndrc"),
                          data={"file": (io.BytesIO(b"MZ"), "tool.exe")}, content_type="multipart/form-data")
    assert (refused.status_code, refused.json["code"]) == (400, "invalid_input") and "不允许" in refused.json["message"]


def test_openapi_document_describes_every_route_and_the_bearer_scheme(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/processes", "/api/v1/instances", "/api/v1/instances/{instance_id}",
            "/api/v1/instances/{instance_id}/history", "/api/v1/tasks", "/api/v1/tasks/{task_id}/claim",
            "/api/v1/tasks/{task_id}/complete"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert "201" in spec["paths"]["/api/v1/instances"]["post"]["responses"]
    assert set(spec["components"]["schemas"]["Task"]["properties"]) >= {"due_at", "provisional", "card", "overdue"}


def test_nul_characters_and_reserved_names_are_refused_not_crashed_on(client, token):
    ndrc = token("city_ndrc")
    assert client.get("/api/v1/tasks?q=%00", headers=ndrc).status_code == 400
    assert client.get("/api/v1/instances/%00", headers=ndrc).status_code == 400
    bad = client.post("/api/v1/instances", headers=ndrc, json={"process_id": "clue_0137", "data": {"a": "x\u0000"}})
    assert bad.status_code == 400 and "空字符" in bad.json["message"]
    nan = client.post("/api/v1/instances", headers={**ndrc, "Content-Type": "application/json"},
                      data='{"process_id": "clue_0137", "data": {"amount": NaN}}')
    assert nan.status_code == 400 and "NaN" in nan.json["message"]
    shadow = client.post("/api/v1/instances", headers=ndrc,
                         json={"process_id": "clue_0137", "data": {"working_deadline": 1}})
    assert shadow.status_code == 400 and "working_deadline" in shadow.json["message"]
