"""`zhunru user disable|enable` and `zhunru user token --revoke|--list`: what an administrator does at once."""
from engine.people import credentials
from engine.store.db import make_engine, make_sessionmaker
from tests.conftest import at

NOW = "2026-03-02T09:00:00+08:00"


def test_disable_revoke_and_list_tokens(cli, db_url):
    token = cli("user", "token", "county_gov", now=NOW).stdout.strip()
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as s, s.begin():
            assert credentials.actor_for_token(s, token, at("2026-03-02 10:00")).username == "county_gov"
        listed = cli("user", "token", "county_gov", "--list", now=NOW).stdout
        assert "最近使用 2026-03-02 10:00" in listed and "有效" in listed

        assert "已吊销" in cli("user", "token", "county_gov", "--revoke", now=NOW).stdout
        with sessions() as s, s.begin():
            assert credentials.actor_for_token(s, token, at("2026-03-02 10:05")) is None
        assert "已吊销" in cli("user", "token", "county_gov", "--list", now=NOW).stdout

        token = cli("user", "token", "county_gov", now=NOW).stdout.strip()
        assert "已停用" in cli("user", "disable", "county_gov", now=NOW).stdout
        with sessions() as s, s.begin():
            assert credentials.actor_for_token(s, token, at("2026-03-02 10:10")) is None
            assert credentials.check_password(s, "county_gov", "zhunru-demo") is None
        assert "停用" in cli("user", "list").stdout
        cli("user", "enable", "county_gov", now=NOW)
        with sessions() as s, s.begin():
            assert credentials.check_password(s, "county_gov", "zhunru-demo").username == "county_gov"
            assert credentials.actor_for_token(s, token, at("2026-03-02 10:15")) is None  # stays ended
        assert "ghost" in cli("user", "disable", "ghost", expect=2).stderr
    finally:
        engine.dispose()
