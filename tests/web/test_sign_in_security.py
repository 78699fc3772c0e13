"""Sign-in as a government system must (等保 2.0): throttling and lockout, no telling who exists, sessions and
tokens that end at once, token expiry, cookie flags, security headers and a trusted proxy."""
import re

import pytest

from engine import settings
from engine.audit import access_log
from engine.people import credentials, directory
from tests.conftest import at
from tests.web.conftest import csrf_of, sign_in
from web.app import create_app

NOW = "2026-03-02T09:00:00+08:00"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", NOW)


def setting(sessions, key, value):
    with sessions() as s, s.begin():
        settings.change(s, key, value, "admin", at("2026-03-01 08:00"))


def signed_in(client) -> bool:
    return client.get("/tasks").status_code == 200


def error_of(answer) -> str:
    return re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.get_data(as_text=True)).group(1)


def locked_events(sessions):
    with sessions() as s:
        return [r for r in access_log.entries(s) if r["action"] == "login_locked"]


def test_failed_sign_ins_lock_the_account_for_the_settings_minutes_and_are_recorded(client, sessions, monkeypatch):
    setting(sessions, "login_lockout_count", "3")
    setting(sessions, "login_lockout_minutes", "10")
    for _ in range(3):
        assert sign_in(client, "city_ndrc", "wrong-password").status_code == 401
    refused = sign_in(client, "city_ndrc")  # the right password, but locked
    assert refused.status_code == 429 and "锁定" in refused.get_data(as_text=True)
    assert not signed_in(client)
    [event] = locked_events(sessions)
    assert event["username"] == "city_ndrc" and event["detail"]["failures"] == 3
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:09:00+08:00")
    assert sign_in(client, "city_ndrc").status_code == 429
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:11:00+08:00")
    assert sign_in(client, "city_ndrc").status_code == 302 and signed_in(client)


def test_an_unknown_account_is_answered_and_locked_alike(client, sessions):
    setting(sessions, "login_lockout_count", "2")
    answers = [sign_in(client, name, "wrong-password") for name in ("city_ndrc", "no_such_user")]
    assert [a.status_code for a in answers] == [401, 401]
    assert error_of(answers[0]) == error_of(answers[1]) == "用户名或密码不正确"
    for name in ("city_ndrc", "no_such_user"):  # the second failure locks either name
        assert sign_in(client, name, "wrong-password").status_code == 401
    locked = [sign_in(client, name, "wrong-password") for name in ("city_ndrc", "no_such_user")]
    assert [a.status_code for a in locked] == [429, 429]
    assert error_of(locked[0]) == error_of(locked[1]) and "锁定" in error_of(locked[0])


def test_failures_from_one_address_lock_that_address_only(app, client, sessions):
    setting(sessions, "login_address_lockout_count", "3")
    for name in ("ghost1", "ghost2", "ghost3"):
        sign_in(client, name, "wrong-password")
    assert sign_in(client, "city_ndrc").status_code == 429
    assert locked_events(sessions)[0]["target"] == "127.0.0.1"
    other = app.test_client()
    token = csrf_of(other.get("/login", environ_base={"REMOTE_ADDR": "10.1.1.7"}).get_data(as_text=True))
    answer = other.post("/login", data={"username": "city_ndrc", "password": "zhunru-demo", "csrf_token": token},
                        environ_base={"REMOTE_ADDR": "10.1.1.7"})
    assert answer.status_code == 302


def test_an_unknown_user_costs_a_password_hash_check_too(client, monkeypatch):
    checked = []
    real = credentials.check_password_hash
    monkeypatch.setattr(credentials, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    for name in ("no_such_user", "hotline_12345", "city_ndrc"):  # unknown, no password, wrong password
        sign_in(client, name, "wrong-password")
    assert len(checked) == 3


def test_signing_out_ends_every_session_and_token_of_the_user(app, client, sessions):
    other = app.test_client()
    sign_in(client, "city_ndrc")
    sign_in(other, "city_ndrc")
    with sessions() as s, s.begin():
        token = credentials.issue_token(s, "city_ndrc", at("2026-03-02 08:00"))
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/processes", headers=bearer).status_code == 200
    assert signed_in(client) and signed_in(other)
    csrf = csrf_of(client.get("/tasks").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf})
    assert not signed_in(other)
    assert client.get("/api/v1/processes", headers=bearer).status_code == 401


@pytest.mark.parametrize("ending", ["password", "disable", "revoke"])
def test_a_password_change_disabling_and_revoking_end_every_session(app, client, sessions, ending):
    sign_in(client, "city_ndrc")
    with sessions() as s, s.begin():
        token = credentials.issue_token(s, "city_ndrc", at("2026-03-02 08:00"))
    assert signed_in(client)
    with sessions() as s, s.begin():
        if ending == "password":
            credentials.set_password(s, "city_ndrc", "a-new-secret", at("2026-03-02 08:30"))
        elif ending == "disable":
            directory.disable(s, "city_ndrc", at("2026-03-02 08:30"))
        else:
            credentials.revoke_tokens(s, "city_ndrc", at("2026-03-02 08:30"))
    assert not signed_in(client)
    assert client.get("/api/v1/processes", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    if ending == "disable":  # a disabled user cannot sign in again, with the right password
        assert sign_in(client, "city_ndrc").status_code == 401


def test_tokens_expire_after_the_setting_and_show_their_last_use(sessions):
    with sessions() as s, s.begin():
        settings.change(s, "token_lifetime_days", "30", "admin", at("2026-03-01 08:00"))
        token = credentials.issue_token(s, "city_ndrc", at("2026-03-02 08:00"))
    with sessions() as s, s.begin():
        assert credentials.actor_for_token(s, token, at("2026-03-31 08:00")).username == "city_ndrc"
    with sessions() as s, s.begin():
        assert credentials.actor_for_token(s, token, at("2026-04-01 08:01")) is None
        [shown] = credentials.tokens(s, "city_ndrc", at("2026-04-01 08:01"))
    assert shown["last_used_at"].startswith("2026-03-31T08:00")
    assert shown["expires_at"].startswith("2026-04-01T08:00") and shown["state"] == "已过期"


def test_pages_send_security_headers_and_cookies_are_same_site(client):
    answer = client.get("/login")
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self'" in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    cookie = sign_in(client, "city_ndrc").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_secure_cookie_setting_marks_the_session_cookie_secure(sessions):
    setting(sessions, "session_cookie_secure", "是")
    client = create_app({"SESSIONS": sessions, "SECRET_KEY": "test-secret"}).test_client()
    assert "Secure" in sign_in(client, "city_ndrc").headers["Set-Cookie"]


def test_a_trusted_proxy_gives_the_address_it_forwards(sessions):
    setting(sessions, "login_address_lockout_count", "2")
    setting(sessions, "trusted_proxies", "1")
    client = create_app({"SESSIONS": sessions, "SECRET_KEY": "test-secret"}).test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    for name in ("ghost1", "ghost2"):
        token = csrf_of(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": name, "password": "x" * 8, "csrf_token": token}, headers=forwarded)
    assert [e["target"] for e in locked_events(sessions)] == ["203.0.113.9"]
