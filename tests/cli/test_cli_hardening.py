"""Malformed command input (issue 19, point 8): a clear message and exit status 2, never a traceback, and
the database as it was."""
import os
import subprocess

import pytest

from engine.store.db import make_engine, make_sessionmaker
from tests.cli.conftest import ZHUNRU
from tests.conftest import ROOT
from tests.driver import snapshot


@pytest.fixture
def state(db_url, cli):
    engine = make_engine(db_url)
    yield lambda: snapshot(make_sessionmaker(engine))
    engine.dispose()


def _refused(cli, *args, words: str):
    result = cli(*args, expect=2)
    assert "Traceback" not in result.stderr and words in result.stderr, result.stderr
    return result


@pytest.mark.parametrize("args,words", [
    (("calendar", "show", "99999"), "超出范围"),
    (("calendar", "show", "0"), "超出范围"),
    (("calendar", "show", "99999999999999999999"), "超出范围"),
    (("calendar", "deadline", "2026-01-05T09:00", "99999999999"), "超出范围"),
    (("calendar", "deadline", "2026-01-05T09:00", "3000000"), "超出范围"),
    (("calendar", "deadline", "2026-01-05T09:00", "999999999", "--calendar-days"), "超出范围"),
    (("calendar", "deadline", "9999-12-30T09:00", "5"), "超出范围"),
    (("start", "clue_0137", "--data", '{"summary": ' + "9" * 5000 + "}"), "整数位数过多"),
    (("start", "clue_0137", "--data", '{"summary": "\\ud800"}'), "代理项"),
    (("start", "clue_0137", "--data", '{"summary": ' + "[" * 3000 + "]" * 3000 + "}"), "嵌套过深"),
    (("user", "add", "u" * 65, "--organisation", "city_ndrc"), "过长"),
    (("user", "add", "x" * 5000, "--organisation", "city_ndrc"), "过长"),
    (("user", "add", "clerk2", "--organisation", "city_ndrc", "--name", "张" * 300), "过长"),
])
def test_absurd_arguments_are_refused_clearly(cli, state, args, words):
    before = state()
    _refused(cli, *args, words=words)
    assert state() == before


def test_arguments_that_are_not_utf8_and_file_names_are_refused(cli, state, db_url, tmp_path):
    before = state()
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url}
    # A terminal in another encoding: the bytes arrive as lone surrogates.
    result = subprocess.run([ZHUNRU.encode(), b"user", b"add", b"\xff\xfe", b"--organisation", b"city_ndrc"],
                            cwd=ROOT, env=env, capture_output=True, timeout=120)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and "Traceback" not in stderr and "代理项" in stderr, stderr
    long_name = tmp_path / ("e" * 240 + ".pdf")  # within the file system's 255 bytes, beyond our 200
    long_name.write_bytes(b"%PDF-1.4 evidence")
    _refused(cli, "file", "add", str(long_name), "--user", "city_ndrc", words="过长")
    assert state() == before
    assert cli("calendar", "deadline", "2026-01-05T09:00", "5", "--json")["due_at"].startswith("2026-01-1")
