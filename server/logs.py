"""Logs an operator can read: one line per record, with a UTC timestamp and the request's id; never content.

Every request gets an id: the caller's ``X-Request-Id`` when it is a plain token
(a proxy's or load balancer's), else a new one. It is sent back in the answer's
``X-Request-Id`` and carried by every record logged while the request runs, so a
failure's lines and the access line it belongs to can be found together.

The access line names the route (``/api/v1/meetings/<meeting_id>/events``), not
the path, and never the query string: a path can hold a password-reset token. A
traceback is folded into the same line, one ``file:line function`` per frame.
What a record says about the database was redacted as it was made (server/db.py).
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime
from datetime import timezone
from pathlib import Path

from flask import g
from flask import has_request_context
from flask import request

log = logging.getLogger("server.requests")

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# fields a record may carry (extra=...) that the line shows after the message
FIELDS = ("method", "route", "status", "ms", "user", "job")
_FRAME = re.compile(r'\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_ROOTS = sorted({str(Path(p).resolve()) for p in sys.path if p and Path(p).is_dir()}, key=len, reverse=True)


def request_id():
    """Return the current request's id, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


def _begin():
    offered = request.headers.get("X-Request-Id", "")
    g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _end(response):
    rid = g.get("request_id")
    if rid is None:  # a request that failed before its first hook
        return response
    response.headers["X-Request-Id"] = rid
    from . import metrics

    user = g.get("user")
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    seconds = time.perf_counter() - g.request_started
    metrics.observe_request(request.method, route, response.status_code, seconds)
    log.info("request", extra={
        "method": request.method,
        "route": route,
        "status": response.status_code,
        "ms": round(seconds * 1000, 1),
        "user": getattr(user, "id", None),
    })
    return response


def init_app(app):
    """Give each request an id (echoed in X-Request-Id) and an access line; first of the request hooks."""
    app.before_request(_begin)
    app.after_request(_end)
    stamp_records()


def stamp_records():
    """Put the current request's id on every log record as it is made (``-`` outside a request); once."""
    make = logging.getLogRecordFactory()
    if getattr(make, "stamps_request_id", False):
        return

    def factory(*args, **kwargs):
        record = make(*args, **kwargs)
        record.request_id = request_id() or "-"
        return record

    factory.__dict__.update(getattr(make, "__dict__", {}))  # the flags of the factories it wraps
    factory.stamps_request_id = True
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """Put the current request's id on each record (``-`` outside a request)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id() or "-"
        return True


def _short(path):
    for root in _ROOTS:
        if path.startswith(root + "/"):
            return path[len(root) + 1:]
    return path


def fold(text):
    """Fold a traceback into one line: ``file:line function`` per frame, then the exception's own lines."""
    parts = []
    for line in text.splitlines():
        frame = _FRAME.match(line)
        if frame:
            parts.append(f"{_short(frame['file'])}:{frame['line']} {frame['func']}")
        elif not line.strip() or line.startswith(("    ", "Traceback ")) or set(line.strip()) <= set("^~ "):
            continue  # the code of a frame, the header, or a caret line under it
        elif line.startswith(("The above exception", "During handling")):
            parts.append("<-")
        else:
            parts.append(line.strip())
    return " | ".join(parts)


class LineFormatter(logging.Formatter):
    """One line per record: ``text`` (key=value, the message quoted) or ``json`` (one object per line)."""

    def __init__(self, style="text"):
        super().__init__()
        self.json = style == "json"

    def format(self, record):
        when = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        out = {"ts": when.replace("+00:00", "Z"), "level": record.levelname, "logger": record.name,
               "request_id": getattr(record, "request_id", None) or request_id() or "-",
               "msg": record.getMessage()}
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                out[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = fold(record.exc_text)
        if record.stack_info:
            out["stack"] = fold(record.stack_info)
        if self.json:
            return json.dumps(out, ensure_ascii=False, default=str)
        head = f"{out.pop('ts')} {out.pop('level')} {out.pop('logger')}"
        return head + "".join(f" {key}={_value(value)}" for key, value in out.items())


def _value(value):
    text = str(value)
    if re.fullmatch(r"[A-Za-z0-9._:/<>@+-]+", text):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, with any newline written as \n


def configure(style="text", level=logging.INFO):
    """Send this process's logs to stderr as one-line records (the `minuted` commands, a WSGI server's app).

    A handler already on the root logger (a WSGI server's logging config) is left alone.
    """
    root = logging.getLogger()
    if any(getattr(h, "minuted_lines", False) for h in root.handlers):
        return
    if root.handlers:
        for handler in root.handlers:
            handler.addFilter(RequestIdFilter())
        return
    handler = logging.StreamHandler()
    handler.setFormatter(LineFormatter(style))
    handler.addFilter(RequestIdFilter())
    handler.minuted_lines = True
    root.addHandler(handler)
    root.setLevel(level)
