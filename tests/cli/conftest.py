"""The `zhunru` command run as its users run it: one new process per command."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

ZHUNRU = str(Path(os.sys.executable).parent / "zhunru")


@pytest.fixture
def cli(db_url, tmp_path):
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url}
    env.pop("ZHUNRU_NOW", None)

    def run(*args, now=None, expect=0):
        run_env = {**env, **({"ZHUNRU_NOW": now} if now else {})}
        result = subprocess.run([ZHUNRU, *args], cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == expect, (args, result.stdout, result.stderr)
        if expect == 0 and "--json" in args:
            return json.loads(result.stdout)
        return result

    run("init", "--demo", "--no-cases")  # the demo organisations and users, none of the demo cases
    return run
