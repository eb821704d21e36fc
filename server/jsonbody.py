"""Reading a JSON request body within bounds, so no body can cost much memory or crash the parser.

The app factory has already refused a body over its size limit unread
(MAX_JSON_BYTES, or MAX_EVENTS_BYTES for a batch of events). Here, before
json.loads, a scan of the text with its strings taken out refuses more than
MAX_ITEMS values (a few bytes each would cost far more as Python objects)
and nesting deeper than MAX_DEPTH (the parser recurses). While parsing,
numbers must be finite and fit in 64 bits; after it, text must hold no NUL
and no unpaired surrogate (neither can be stored or mailed). Every refusal
is an APIError in the one error shape.
"""
import json
import math
import re
from itertools import accumulate

from .errors import APIError

MAX_DEPTH = 32
MAX_ITEMS = 50_000  # a full batch of 500 events is about 10,000
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# a JSON string, or an unterminated one running to the end (so a match never fails and rescans: linear time)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class _Refused(ValueError):
    """A number the API never takes; answered 422."""


def _int(text):
    if len(text.lstrip("-")) > 19:
        raise _Refused("Numbers must fit in 64 bits.")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise _Refused("Numbers must fit in 64 bits.")
    return value


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("Numbers must be finite.")
    return value


def _constant(name):
    raise ValueError(f"{name} is not JSON")


def _malformed(message="The request body is not valid JSON."):
    return APIError(400, "malformed_json", message)


def loads(raw, check_text=True):
    """Parse raw (UTF-8 bytes) as JSON within the bounds above; raise APIError 400, 413 or 422.

    check_text=False leaves NUL and unpaired surrogates to the caller (the
    events batch names the event that holds them).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _malformed("The request body is not UTF-8.") from None
    structure = _STRING.sub("", text)  # what is left: brackets, commas, colons, numbers, literals, spaces
    too_deep = _malformed(f"JSON nested more than {MAX_DEPTH} deep is not accepted.")
    if "[" * (MAX_DEPTH + 1) in structure:
        raise too_deep
    opened = structure.count("[") + structure.count("{")
    if opened + structure.count(",") > MAX_ITEMS:
        raise APIError(413, "too_large", f"Send at most {MAX_ITEMS} values in one request.")
    brackets = _NOT_BRACKETS.sub("", structure)
    if len(brackets) > 2 * opened:
        raise _malformed()
    if max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH:
        raise too_deep
    try:
        data = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _Refused as e:
        raise APIError(422, "invalid", str(e)) from None
    except (ValueError, RecursionError):
        raise _malformed() from None
    if check_text:
        where = bad_text(data)
        if where is not None:
            raise APIError(422, "invalid", "Text can't hold NUL characters or unpaired surrogates.",
                           {where or "body": "Remove the invalid characters."})
    return data


def bad_text(value):
    """Return the path ("events.3.payload.text") of the first text in value with a NUL or lone surrogate, or None."""
    stack = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if _BAD_TEXT.search(node):
                return path
        elif isinstance(node, dict):
            for key, child in node.items():
                if _BAD_TEXT.search(key):
                    return path
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(node))
    return None


def is_clean_text(value):
    """Whether a string holds no NUL and no unpaired surrogate."""
    return _BAD_TEXT.search(value) is None
