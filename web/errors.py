"""How the web answers a failure: one table from error code to HTTP status, one JSON shape everywhere,
`{"code": ..., "message": ..., "errors"?: {field: message}}` (for /api and for page scripts asking for JSON),
and an HTML error page for a browser: a raw JSON body or a traceback never reaches one.

`code` is the engine error's own (engine/errors.py) or, for what Flask, werkzeug, webargs and flask-wtf refuse
before a view runs, one of the web's below; `errors` only where fields are at fault.
"""
from typing import Any

import flask_smorest
from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from engine.errors import ZhunruError

from .i18n import text

STATUS = {
    # engine/errors.py: the classes' codes, then the more specific ones their instances may carry
    "invalid_input": 400, "not_found": 404, "not_entitled": 403, "conflict": 409, "definition_invalid": 422,
    "form_invalid": 422, "handler_failed": 400, "limit_exceeded": 400,
    "already_claimed": 409, "task_closed": 409, "stale_version": 409,
    # the web's own
    "bad_request": 400, "csrf_failed": 400, "unauthenticated": 401, "token_invalid": 401,
    "method_not_allowed": 405, "too_large": 413, "validation_failed": 422, "internal_error": 500,
}
CODES = tuple(STATUS)
# What werkzeug's exceptions (raised by routing, by `abort`, by webargs, by a body too large) are called.
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "not_entitled", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 422: "validation_failed", 500: "internal_error"}
MESSAGES = {
    "bad_request": "请求无效",
    "csrf_failed": "表单已过期或缺少安全令牌 (CSRF)，请刷新页面后重试",
    "unauthenticated": "需要登录或令牌",
    "not_entitled": "无权操作",
    "not_found": "不存在或无权查看",
    "method_not_allowed": "此地址不接受这种请求方法",
    "too_large": "上传内容过大 (每次提交合计不超过 64 MB，单个文件不超过 20 MB)",
    "validation_failed": "数据未通过校验",
    "internal_error": "系统出错",
}


def wants_json() -> bool:
    """An API call, or a page's script that asked for JSON; everything else is a browser reading a page."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def body(code: str, message: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON every error answer carries."""
    return {"code": code, "message": message, **({"errors": errors} if errors else {})}


def answer(code: str, message: str, errors: dict[str, str] | None = None, status: int | None = None) -> Response:
    """JSON or an HTML page, as the request wants, with the status of the code."""
    status = status or STATUS.get(code, 400)
    if wants_json():
        return make_response(jsonify(body(code, message, errors)), status)
    try:
        page = render_template("error.html", code=status, message=message, errors=errors or {},
                               request_id=g.get("request_id") if status >= 500 else None)
    except Exception:  # noqa: BLE001 - the page itself failed (the database is down): a page without the layout
        page = f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"
    return make_response(page, status)


def refuse(exc: ZhunruError, message: str | None = None) -> Response:
    """The answer to an engine error; `message` replaces the error's own (a summary above its field errors)."""
    return answer(exc.code, message or str(exc), getattr(exc, "errors", None))


def _flat(messages: Any, prefix: str = "") -> dict[str, str]:
    """webargs' {location: {field: [messages]}} as {field: message} (nested fields dotted, as a form's are)."""
    if not isinstance(messages, dict):
        return {prefix or "_schema": "；".join(map(str, messages)) if isinstance(messages, list) else str(messages)}
    flat: dict[str, str] = {}
    for key, value in messages.items():
        flat |= _flat(value, f"{prefix}.{key}" if prefix else str(key))
    return flat


def http_error(error: HTTPException) -> Response:
    """What werkzeug raised (routing, `abort`, webargs' 422, a body too large, an unhandled error's 500)."""
    status = error.code or 500
    code = HTTP_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
    data = getattr(error, "data", None) or {}
    code = data.get("code") if data.get("code") in STATUS else code
    errors = None
    if "messages" in data:  # webargs: by location, then field
        errors = {}
        for located in data["messages"].values():
            errors |= _flat(located)
    fallback = MESSAGES["internal_error" if status >= 500 else "bad_request"]
    message = data.get("message") or MESSAGES.get(code, fallback)
    if code == "not_found" and not wants_json():
        message = text("not_found")
    elif status >= 500 and wants_json():  # the page shows the id beside the message
        message = f"{message} (请求编号 {g.get('request_id')})"
    response = answer(code, message, errors, status)
    response.headers.update(data.get("headers") or {})
    response.headers.update({k: v for k, v in error.get_headers() if k == "Allow"})  # a 405: what it accepts
    return response


class Api(flask_smorest.Api):
    """flask-smorest, answering its errors (webargs' 422 among them) in the one shape."""

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_error(error)


def init_app(app: Flask) -> None:
    """Answer every failure of `app` in the one shape (JSON) or as the error page (HTML)."""
    app.register_error_handler(ZhunruError, refuse)
    app.register_error_handler(CSRFError, lambda exc: answer("csrf_failed", MESSAGES["csrf_failed"]))
    # An unhandled exception reaches this as a 500 after Flask logged it with its traceback (and request id).
    app.register_error_handler(HTTPException, http_error)
