"""Logging for every Zhunru process, set up here and nowhere else.

`zhunru` commands (the timer worker and `zhunru serve` among them) call `configure()` when they start; gunicorn
takes `dict_config()` from `web/gunicorn_conf.py` (`gunicorn -c python:web.gunicorn_conf …`), so its own lines
come out the same way; the app factory calls `configure(if_unset=True)`, which installs the same handler when
nothing else did (gunicorn started without that file). Records go to standard error, one a line:

- `ZHUNRU_LOG_LEVEL`: DEBUG, INFO (default), WARNING, ERROR or CRITICAL.
- `ZHUNRU_LOG_FORMAT`: `text` (default: `time LEVEL logger [context]: message`) or `json` (one JSON object a
  line: time, level, logger, message, and the record's context: request_id, case_id, step, method, path, …).

Each web request gets an id (`init_app`): the `X-Request-Id` header it came with when that is a sane token, else
a new one; it is answered in the `X-Request-Id` header, carried by every record logged while the request runs,
and the request is logged on `zhunru.request` with method, path, status and duration.
"""
from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import time
import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import IO, Any

LEVEL_VARIABLE, FORMAT_VARIABLE = "ZHUNRU_LOG_LEVEL", "ZHUNRU_LOG_FORMAT"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
# Libraries that write a line at INFO on every tick, request or migration (APScheduler's job runs, Werkzeug's own
# request line, Alembic's steps): only their warnings, unless the level is DEBUG.
CHATTY = ("apscheduler", "werkzeug", "alembic", "spiff")  # spiff: a line per task state change
# The context the text format shows in brackets; JSON lines carry every field a record was given.
CONTEXT = ("request_id", "case_id", "step")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"

REQUEST_ID_HEADER = "X-Request-Id"
# What a proxy's id may look like to be taken over (a UUID, nginx's $request_id, a base64 token): no spaces,
# quotes or line breaks that could forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9+/=._:-]{0,127}")

_request_id: ContextVar[str | None] = ContextVar("zhunru_request_id", default=None)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "context",
                                                                          "taskName"}


def settings(level: str | None = None, fmt: str | None = None) -> tuple[str, str]:
    """The level and format asked for (arguments, else the environment), checked."""
    level_name = (level or os.environ.get(LEVEL_VARIABLE) or "INFO").strip().upper()
    if level_name not in LEVELS:
        raise ValueError(f"{LEVEL_VARIABLE}={level_name} 无效，应为 {'、'.join(LEVELS)} 之一")
    format_name = (fmt or os.environ.get(FORMAT_VARIABLE) or "text").strip().lower()
    if format_name not in FORMATS:
        raise ValueError(f"{FORMAT_VARIABLE}={format_name} 无效，应为 text 或 json")
    return level_name, format_name


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the record carries beyond the standard attributes (`extra=`, the request id), None left out."""
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and value is not None}


class RequestContext(logging.Filter):
    """Gives every record logged while a web request runs that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        shown = " ".join(f"{key}={fields[key]}" for key in CONTEXT if key in fields)
        record.context = f" [{shown}]" if shown else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(), **_fields(record)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Handler(logging.StreamHandler):
    """Zhunru's handler (standard error unless told), recognised when `configure` runs again."""

    zhunru = True


def dict_config(level: str | None = None, fmt: str | None = None) -> dict[str, Any]:
    """The whole configuration as `logging.config.dictConfig` takes it (gunicorn's `logconfig_dict` too): the
    root logger to standard error; gunicorn's loggers through it; the chatty libraries at WARNING."""
    level_name, format_name = settings(level, fmt)
    quiet = level_name if level_name == "DEBUG" else max(level_name, "WARNING", key=LEVELS.index)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContext}},
        "formatters": {"zhunru": {"()": JsonFormatter if format_name == "json" else TextFormatter}},
        "handlers": {"zhunru": {"class": f"{__name__}.Handler", "stream": "ext://sys.stderr",
                                "formatter": "zhunru", "filters": ["request"]}},
        "root": {"level": level_name, "handlers": ["zhunru"]},
        "loggers": {
            "gunicorn.error": {"level": level_name, "handlers": [], "propagate": True},
            # gunicorn's access line says less than zhunru.request (no request id): only at DEBUG.
            "gunicorn.access": {"level": "DEBUG" if level_name == "DEBUG" else "WARNING", "handlers": [],
                                "propagate": True},
            **{name: {"level": quiet} for name in CHATTY},
        },
    }


def configure(level: str | None = None, fmt: str | None = None, *, if_unset: bool = False) -> None:
    """Set up logging for this process; with `if_unset`, only when the root logger has no handler yet."""
    if if_unset and logging.getLogger().handlers:
        return
    logging.config.dictConfig(dict_config(level, fmt))


def handler(stream: IO[str], fmt: str = "text") -> logging.Handler:
    """One more handler of Zhunru's kind, on another stream (tests read what a process would write)."""
    made = Handler(stream)
    made.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    made.addFilter(RequestContext())
    return made


def request_id(offered: str | None) -> str:
    """The id a request is logged under: the one its proxy gave when sane, else a new one."""
    if offered and SANE_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def init_app(app: Any) -> None:
    """Give each request of `app` an id, answer it in `X-Request-Id` and log the request when it is answered.
    Register before other `before_request` functions, so what they log carries the id."""
    from flask import g, request

    log = logging.getLogger("zhunru.request")

    @app.before_request
    def begin_request() -> None:
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_token = _request_id.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Any) -> Any:
        rid = g.get("request_id")
        if rid is None:
            return response
        response.headers[REQUEST_ID_HEADER] = rid
        duration = round((time.perf_counter() - g.request_started) * 1000, 1)
        # The health check is polled every few seconds by the proxy and the monitoring: only its failures at INFO.
        level = logging.DEBUG if request.path == "/healthz" and response.status_code == 200 else (
            logging.WARNING if response.status_code >= 500 else logging.INFO)
        log.log(level, "%s %s %s %.1f ms", request.method, request.path, response.status_code, duration,
                extra={"method": request.method, "path": request.path, "status": response.status_code,
                       "duration_ms": duration})
        return response

    @app.teardown_request
    def end_request(_exc: BaseException | None) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # torn down in another context (a streamed response): no id there either way
                _request_id.set(None)
