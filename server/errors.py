"""Errors: one JSON shape for the API, an HTML page for people."""
import logging

from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error answered as {"error": {"code", "message"[, "fields"]}} with an HTTP status."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


class ValidationError(APIError):
    """Input that failed validation; fields maps each bad field to a message."""

    def __init__(self, fields, message="Some fields need attention."):
        super().__init__(422, "invalid", message, fields)


def error_body(code, message, fields=None):
    """Return the one JSON error body."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def wants_json():
    """Answer in JSON for the API and for clients that prefer JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes
    return best["application/json"] > best["text/html"]


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


def _respond(status, code, message, fields=None):
    if wants_json():
        response = jsonify(error_body(code, message, fields))
        response.status_code = status
        return response
    return render_template("errors/error.html", status=status, message=message), status


def handle_api_error(e):
    return _respond(e.status, e.code, e.message, e.fields)


def handle_http_error(e):
    from flask_wtf.csrf import CSRFError

    status = e.code or 500
    code = "csrf_failed" if isinstance(e, CSRFError) else _CODES.get(status, "error")
    message = e.description if isinstance(e.description, str) else e.name
    if isinstance(e, CSRFError):
        message = "This form has expired or did not come from Minuted. Reload the page and try again."
    response = make_response(_respond(status, code, message))
    if status == 405 and getattr(e, "valid_methods", None):
        # RFC 9110: a 405 names the methods the resource does support
        response.headers["Allow"] = ", ".join(sorted(e.valid_methods))
    return response


def handle_server_error(e):
    from .db import db

    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(500, "server_error", "Something went wrong on the server. Nothing was half-saved; please try again.")


def init_app(app):
    """Register the error handlers."""
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_server_error)
