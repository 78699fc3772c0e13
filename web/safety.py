"""What the web layer takes from a request and puts into a response header, checked in one place: request
paths, parameters and JSON bodies (`check_request`), redirect targets (`local_path`) and download file
names (`attachment`)."""
from urllib.parse import quote, urlsplit

from flask import Request
from werkzeug.routing import IntegerConverter

from engine import inputs
from engine.errors import InvalidInput

MAX_ID = 2**31 - 1  # the largest id or version number a database integer column holds


class BoundedInt(IntegerConverter):
    """`<int:…>` in every route: a number beyond any id answers 404, as a missing one does, instead of an
    overflow in the database driver."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def check_request(request: Request) -> None:
    """Refuse, before any view runs, what no view can use: NUL or CR/LF in the path or a query parameter
    (they would end up in a header, a log line or a database that refuses NUL), and a JSON body that cannot
    be read (nested too deep, a number of thousands of digits)."""
    inputs.check_text(request.path, "请求路径")
    for name, value in request.args.items(multi=True):
        inputs.check_text(name, "请求参数名")
        inputs.check_text(value, f"请求参数 {inputs.shown(name)}")
    if request.is_json and request.content_length:
        inputs.loads(request.get_data(cache=True), "请求正文 (JSON) ")


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None; CR/LF or another control character in it is
    refused. Browsers drop tabs and newlines from a URL and read a backslash as a slash, so `/%09/evil` and
    `/\\evil` would lead to another host."""
    if not target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        raise InvalidInput(f"跳转地址 next 含有不允许的控制字符 (如换行、回车或制表符): {inputs.shown(target)}")
    if not target.startswith("/") or target.startswith("//") or "\\" in target or inputs.has_surrogate(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def attachment(filename: str) -> str:
    """A Content-Disposition header for a download named `filename`, whatever it contains: an ASCII
    fallback for old clients and the exact name per RFC 6266/5987 (a name from a filter or an upload
    could otherwise carry non-Latin-1 text or CR/LF into the header, which the server cannot send)."""
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in filename)
    exact = quote(filename, safe="", errors="replace")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"
