"""Command start: `zhunru --help` and simple commands, each in a fresh process, against `python -c pass`.

Best of several rounds; the commands alternate within a round, so a shared machine's drift weighs on all alike."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZHUNRU = str(Path(sys.executable).parent / "zhunru")
COMMANDS = {"help": ["--help"], "processes": ["processes", "--json"], "setting_show": ["setting", "show"],
            "calendar_deadline": ["calendar", "deadline", "2026-02-13T09:30:00+08:00", "3"]}


def run(quick: bool) -> dict[str, float]:
    rounds = 5 if quick else 20
    runs = {"python": [sys.executable, "-c", "pass"], **{name: [ZHUNRU, *args] for name, args in COMMANDS.items()}}
    best = dict.fromkeys(runs, float("inf"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ZHUNRU_DATABASE_URL": f"sqlite:///{tmp}/zhunru.db"}
        subprocess.run([ZHUNRU, "init"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603 - ours
        for _ in range(rounds):
            for name, argv in runs.items():
                began = time.perf_counter()
                subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603 - ours
                best[name] = min(best[name], time.perf_counter() - began)
    figures = {"cli_python_ms": round(best["python"] * 1000)}
    for name in COMMANDS:
        figures[f"cli_{name}_ms"] = round(best[name] * 1000)
        figures[f"cli_{name}_vs_python"] = round(best[name] / best["python"], 1)
    return figures
