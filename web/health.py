"""`GET /healthz` for the reverse proxy and the monitoring, without signing in: 200 `{"status": "ok", "schema":
REVISION}` when the database answers and its schema is at the newest Alembic revision this code knows; else 503
`{"status": "error", "code": "database_unavailable" | "schema_outdated", "message", "schema", "expected"}`."""
import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine.store import schema

bp = Blueprint("health", __name__)
log = logging.getLogger("zhunru.health")


@bp.get("/healthz")
def healthz():
    head = schema.head_revision()
    try:
        with current_app.config["SESSIONS"]() as session:
            connection = session.connection()
            connection.execute(text("SELECT 1"))
            current = schema.current_revision(connection)
    except SQLAlchemyError as exc:
        # The driver's words (host names, accounts) go to the log, not to whoever asks without signing in.
        log.warning("health check: database unavailable: %s", str(getattr(exc, "orig", None) or exc).strip())
        return jsonify({"status": "error", "code": "database_unavailable",
                        "message": "数据库不可用 (原因见服务日志)", "schema": None, "expected": head}), 503
    if current != head:
        message = schema.outdated_text(current, head)
        log.warning("health check: %s", message)
        return jsonify({"status": "error", "code": "schema_outdated", "message": message,
                        "schema": current, "expected": head}), 503
    return jsonify({"status": "ok", "schema": current})
