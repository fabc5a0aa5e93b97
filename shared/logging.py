"""Structured JSON logs (structlog) with the correlation id bound per request/event.

Log calls carry ids and counts only; never names, national ids or free text about a
person. :func:`sanitise` enforces that for everything that reaches stdout — our own
log calls and the libraries' (uvicorn's "Exception in ASGI application" traceback
included):

* an exception is logged as its type names and code locations, never its message:
  a driver error's message quotes SQL parameters (SQLAlchemy's ``StatementError``
  appends ``[parameters: …]``), a pydantic ``ValidationError`` quotes the input, and
  either can hold a whole event payload;
* text that still looks like such a message (``[parameters:``, ``input_value=``) is
  cut where the quoted values begin;
* access log lines lose their query string and the client address.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import PurePath
from types import TracebackType
from typing import Any

import structlog

_QUOTING_MARKERS = ("[parameters:", "[SQL:", "input_value=", "input_type=")
_HIDDEN = "[hidden: may quote personal data]"


def configure_logging(service: str, level: str = "INFO", json_output: bool = True) -> None:
    """Route stdlib and structlog output through one sanitising JSON renderer on stdout."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    shared_processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        sanitise,
    ]
    structlog.configure(
        processors=[*shared_processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            pass_foreign_args=True,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn's loggers keep their own handlers unless told otherwise; everything goes
    # through the sanitising handler above instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if name == "uvicorn.access" and not logger.handlers and not logger.propagate:
            # ``uvicorn --no-access-log`` left it so. uvicorn writes an access line
            # whenever the logger has a handler anywhere up the chain, so propagating
            # to the root would turn the access log back on (and format a line, through
            # every processor, on every request).
            continue
        logger.handlers = []
        logger.propagate = True
    # httpx logs every request line at INFO, query string and all: a catch-up URL or a
    # service call would put cursors and ids in the log on every poll.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))


def sanitise(
    _: object, __: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """structlog processor: no exception message, SQL parameter or input value gets out."""
    record = event_dict.get("_record")
    # A library's message arguments are never rendered on their own.
    args = event_dict.pop("positional_args", None)
    if isinstance(record, logging.LogRecord) and record.name == "uvicorn.access":
        event_dict["event"] = _access_line(args)
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        error = _exception(exc_info)
        if error is not None:
            event_dict["exception"] = describe_exception(error)
    event_dict.pop("stack_info", None)
    for key, value in list(event_dict.items()):
        if key.startswith("_"):
            continue
        event_dict[key] = _clean(value)
    return event_dict


def describe_exception(error: BaseException) -> str:
    """An exception as types and code locations only, causes included.

    ``IntegrityError (at shared/eventstore.py:250 append <- …) caused by
    UniqueViolationError (…)`` — what an operator needs to find the code, and
    nothing a message could quote.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(parts) < 5:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)[-4:]
        where = " <- ".join(f"{_short(f.filename)}:{f.lineno} {f.name}" for f in reversed(frames))
        parts.append(f"{type(current).__name__}" + (f" (at {where})" if where else ""))
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return " caused by ".join(parts)


def _exception(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info is True:
        return sys.exc_info()[1]
    return None


def _clean(value: Any) -> Any:
    if isinstance(value, BaseException):
        return describe_exception(value)
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, TracebackType):
        return "traceback"
    return value


def _cut(text: str) -> str:
    cut = min((i for i in (text.find(m) for m in _QUOTING_MARKERS) if i >= 0), default=-1)
    return text if cut < 0 else text[:cut] + _HIDDEN


def _access_line(args: Any) -> str:
    """uvicorn's access line without the client address and the query string."""
    if isinstance(args, tuple) and len(args) == 5:
        _, method, path, version, status = args
        return f"{method} {str(path).split('?', 1)[0]} HTTP/{version} {status}"
    return "request"


def _short(filename: str) -> str:
    return "/".join(PurePath(filename).parts[-2:])


def _add_service(service: str) -> structlog.typing.Processor:
    def add(
        _: object, __: str, event_dict: structlog.typing.EventDict
    ) -> structlog.typing.EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return add


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
