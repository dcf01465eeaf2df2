"""Every error as RFC 9457 problem details, through Litestar's ProblemDetailsPlugin.

The plugin renders them (`application/problem+json`); the functions here only decide what a
client is told: the field at fault for a bad request, never a traceback or a server path.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from askshow.errors import AskshowError

log = logging.getLogger("askshow.api")
PROBLEM = "application/problem+json"


class ServiceUnavailable(HTTPException):
    status_code = 503


def problem(
    status: int,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, object] | None = None,
) -> ProblemDetailsException:
    """A problem-details error; `extra` members go beside `detail` (RFC 9457 extensions)."""
    return ProblemDetailsException(
        type_="about:blank",
        status_code=status,
        title=title or HTTPStatus(status).phrase,
        detail=detail,
        headers=headers,
        extra=extra,
    )


def from_validation(exc: ValidationException) -> ProblemDetailsException:
    """A 400 whose detail names each field at fault (`question: must not be blank`)."""
    errors = [e for e in exc.extra or [] if isinstance(e, dict)]
    fields = [str(e["key"]) for e in errors if e.get("key")]
    if fields == ["data"]:  # no body at all: Litestar names its own parameter
        fields, detail = ["body"], "body: a JSON object with a `question` is required"
    else:
        messages = [_plain_message(str(e.get("message"))) for e in errors]
        detail = "; ".join(f"{k}: {m}" for k, m in zip(fields, messages, strict=False))
    refused = problem(400, detail or exc.detail, title="Invalid request")
    if fields:
        refused.extra = {"fields": fields}
    return refused


def _plain_message(message: str) -> str:
    if "matching regex" in message:  # the only pattern is the question's `\S`
        return "must not be blank"
    return message


def from_http(exc: HTTPException) -> ProblemDetailsException:
    return problem(exc.status_code, exc.detail, headers=exc.headers)


def from_askshow(exc: AskshowError) -> ProblemDetailsException:
    server_side = exc.status_code >= 500
    detail = "the service cannot answer right now" if server_side else str(exc)
    return problem(exc.status_code, detail, title=exc.title)


def from_crash(exc: Exception) -> ProblemDetailsException:
    log.error("unhandled error", exc_info=exc)
    return problem(500, "something went wrong on our side", title="Internal error")


problem_details = ProblemDetailsPlugin(
    ProblemDetailsConfig(
        exception_to_problem_detail_map={
            ValidationException: from_validation,
            HTTPException: from_http,
            AskshowError: from_askshow,
            Exception: from_crash,
        }
    )
)
