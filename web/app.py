"""Flask app factory; nothing runs at import time."""
from typing import Any

from flask import Flask, render_template
from sqlalchemy import func, select

from engine import definitions
from engine.clock import system_now
from engine.db import make_engine, make_sessionmaker
from engine.models import HumanTask, Instance, Timer


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config or {})
    if "SESSIONS" not in app.config:
        app.config["SESSIONS"] = make_sessionmaker(make_engine(app.config.get("DATABASE_URL")))

    @app.get("/")
    def overview():
        with app.config["SESSIONS"]() as session:
            processes = definitions.process_summaries(session)
            by_status = dict(session.execute(
                select(Instance.status, func.count()).group_by(Instance.status)).all())
            now = system_now()
            open_tasks = session.scalar(select(func.count()).select_from(HumanTask))
            overdue = session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.due_at <= now))
            provisional = session.scalar(select(func.count()).select_from(HumanTask)
                                         .where(HumanTask.due_provisional))
            waiting = session.scalar(select(func.count()).select_from(Timer).where(Timer.kind == "event"))
            failing = session.scalar(select(func.count()).select_from(Timer).where(Timer.attempts > 0))
        return render_template("overview.html", processes=processes, by_status=by_status, open_tasks=open_tasks,
                               overdue=overdue, provisional=provisional, waiting_timers=waiting, failing=failing)

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    return app
