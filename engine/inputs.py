"""Text and JSON from outside (API bodies, form submissions, command options) read without surprises: a
malformed value is refused with an `InvalidInput` naming what is wrong and where, never an exception the
caller did not expect (a RecursionError on deep nesting, a ValueError on a 5,000-digit number, a
UnicodeEncodeError on a lone surrogate when the value is hashed or stored)."""
import json
from typing import Any

from engine.errors import InvalidInput

MAX_DEPTH = 32  # nesting of objects and lists in data from outside; forms use three or four
MAX_INT = 2**63 - 1  # beyond any amount, count or id; the largest integer a database column holds
CONTROL = frozenset("\x00\r\n")  # never part of an id, a name, a parameter or a path


def shown(text: str, limit: int = 80) -> str:
    """Text fit to be repeated in a message: escapes for what cannot be encoded or printed, cut short."""
    clipped = text if len(text) <= limit else text[:limit] + "…"
    return clipped.encode("utf-8", "backslashreplace").decode("utf-8").translate(
        {ord("\r"): "\\r", ord("\n"): "\\n", 0: "\\u0000"})


def has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_text(text: str, where: str, *, lines: bool = False) -> None:
    """Refuse NUL, lone surrogates and (unless `lines`) CR/LF in one value; `where` names it."""
    if "\x00" in text:
        raise InvalidInput(f"{where} 含有不允许的空字符 (\\u0000)")
    if not lines and ("\r" in text or "\n" in text):
        raise InvalidInput(f"{where} 含有不允许的换行或回车字符")
    if has_surrogate(text):
        raise InvalidInput(f"{where} 含有无法编码的字符 (单独的 UTF-16 代理项): {shown(text)}")


def loads(text: str | bytes, what: str) -> Any:
    """Parse JSON from outside; `what` names it in the message ("请求正文", "--data")."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput(f"{what}嵌套过深 (对象和数组最多 {MAX_DEPTH} 层)") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{what}不是有效的 JSON: {exc.msg} (第 {exc.pos + 1} 个字符)") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{what}不是有效的 UTF-8 文本") from None
    except ValueError:  # an integer literal beyond Python's digit limit (4,300 digits)
        raise InvalidInput(f"{what}中的整数位数过多 (绝对值不超过 {MAX_INT})") from None


def check_value(value: Any, what: str, path: str, depth: int) -> None:
    """One value of data from outside, at `path` and nesting `depth` (the top object's fields are 1)."""
    if isinstance(value, str):
        check_text(value, f"{what}的字段 {shown(path)}", lines=True)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise InvalidInput(f"{what}的字段 {shown(path)} 的整数超出范围 (绝对值不超过 {MAX_INT})")
    elif isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        raise InvalidInput(f"{what}的字段 {shown(path)} 嵌套过深 (对象和数组最多 {MAX_DEPTH} 层)")
