"""`zhunru --help` and the simple commands start fast: they do not import what only other commands use.

Not a timing test: a fresh interpreter runs the command and reports which heavy packages it imported.
"""
import json
import os
import subprocess
import sys

from tests.conftest import ROOT

# Slow to import and needed only by some commands: deploying or running a process, Excel ledgers, the schema
# upgrade, the web app, the timer worker.
HEAVY = {"SpiffWorkflow", "lxml", "alembic", "openpyxl", "flask", "werkzeug", "marshmallow", "jinja2",
         "RestrictedPython", "apscheduler", "handlers"}
# The operators' package: a simple command may read the settings it declares, never load its operators.
LIGHT_HANDLERS = {"handlers", "handlers.registry", "handlers.local_settings"}

RUN = """
import json, sys
from web.cli import main
code = None
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported(args: list[str], db_url: str | None = None) -> set[str]:
    """The modules a fresh `zhunru ARGS` imported, and their top-level packages."""
    env = {**os.environ, **({"ZHUNRU_DATABASE_URL": db_url} if db_url else {})}
    result = subprocess.run([sys.executable, "-c", RUN, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), (args, result.stdout, result.stderr)
    modules = set(report["modules"])
    heavy_handlers = {name for name in modules if name.split(".")[0] == "handlers"} - LIGHT_HANDLERS
    return ({name.split(".")[0] for name in modules} - {"handlers"}) | modules - LIGHT_HANDLERS | (
        {"handlers"} if heavy_handlers else set())


def test_help_imports_no_engine():
    assert imported(["--help"]) & {*HEAVY, "sqlalchemy", "engine.store.models"} == set()


def test_simple_commands_import_only_what_they_use(cli, db_url):
    assert imported(["setting", "show"], db_url) & HEAVY == set()
    assert imported(["calendar", "deadline", "2026-02-13T09:30:00+08:00", "3"], db_url) & HEAVY == set()
    assert imported(["processes", "--json"], db_url) & HEAVY == set()


def test_tasks_scope_choices_are_the_engines():
    from engine import queries
    from web.cli import tasks

    [scope] = [p for p in tasks.params if p.name == "scope"]
    assert tuple(scope.type.choices) == queries.SCOPES
