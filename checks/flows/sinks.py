"""Where data leaves the process: logs, console output, outbound HTTP. Syntactic, per file.

`sink_of(call, …)` returns the sink a call is and the argument expressions whose value leaves
through it, or None. Logging: any level, `exception()`, `log()`, `extra=`, structlog, loggers bound
from `logging.getLogger` under any name. Output: `print`, `sys.stdout.write`, a command's
`self.stdout.write`. HTTP: requests, httpx, urllib, urllib3, aiohttp: the URL (its variable parts)
and the payload (`json`, `data`, `params`, `files`, `content`, `body`, `fields`). Vendors: error
trackers and analytics SDKs (Sentry, Segment, PostHog, Mixpanel, Rollbar, New Relic…) and LLM SDK
calls (`client.chat.completions.create`, `client.messages.create`, `model.generate_content`).
"""
from __future__ import annotations

import ast
from collections.abc import Callable

from ..names import ImportMap, last_part
from .model import HTTP, LOG, OUTPUT, VENDOR, Sink

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal",
                         "msg"})
LOGGER_NAMES = frozenset({"logger", "log", "_logger", "_log", "LOGGER", "LOG", "audit_log", "log_", "logging"})
HTTP_CLIENTS = ("requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.")
HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "request", "urlopen", "Request", "stream"})
HTTP_PAYLOAD = frozenset({"json", "data", "params", "files", "content", "body", "fields"})
_NOT_PAYLOAD = frozenset({"exc_info", "stack_info", "stacklevel", "file", "end", "sep", "flush", "timeout",
                          "headers", "auth", "verify", "cert", "allow_redirects", "stream", "proxies"})
_LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "getChild"})
# Error trackers and product analytics: every call sends its arguments to the vendor.
_VENDOR_SDKS = ("sentry_sdk.", "analytics.", "posthog.", "mixpanel.", "segment.", "rollbar.", "bugsnag.",
                "newrelic.agent.", "datadog.", "ddtrace.")
_VENDOR_CALLS = frozenset({"capture_message", "capture_exception", "set_user", "set_context", "set_tag", "set_extra",
                           "add_breadcrumb", "track", "identify", "capture", "people_set", "report_message",
                           "notify", "add_custom_attribute", "add_custom_parameter", "record_custom_event", "set_tags"})
# LLM SDKs: `client.chat.completions.create(...)`, `client.messages.create(...)`, `model.generate_content(...)`.
_LLM_TAILS = (("chat", "completions", "create"), ("messages", "create"), ("responses", "create"),
              ("completions", "create"), ("generate_content",), ("invoke",), ("chat", "complete"))
_LLM_LAST = frozenset(t[-1] for t in _LLM_TAILS)

# name -> the expressions a name is assigned, in the function and in the module
Env = Callable[[str], list[ast.expr]]


def sink_of(call: ast.Call, imports: ImportMap, env: Env) -> tuple[Sink, list[ast.expr]] | None:
    func = call.func
    q = imports.qualname(func) or ""
    line = call.lineno
    if q in ("print", "builtins.print") and "print" not in imports.defined:
        return Sink(OUTPUT, "print", line), _payload(call)
    if q.startswith(HTTP_CLIENTS) and last_part(q) in HTTP_VERBS:
        url = call.args[:1] + [k.value for k in call.keywords if k.arg == "url"]
        return Sink(HTTP, q, line), url + list(call.args[1:]) + [
            k.value for k in call.keywords if k.arg in HTTP_PAYLOAD]
    if q.startswith(_VENDOR_SDKS) and last_part(q) in _VENDOR_CALLS:
        return Sink(VENDOR, q, line), _payload(call)
    if not isinstance(func, ast.Attribute):
        return None
    if _llm_call(func):
        return Sink(VENDOR, ast.unparse(func), line), _payload(call)
    recv = func.value
    if func.attr == "write" and isinstance(recv, ast.Attribute) and recv.attr in ("stdout", "stderr"):
        return Sink(OUTPUT, f"{_name(recv.value)}.{recv.attr}.write".lstrip("."), line), _payload(call)
    if func.attr not in LOG_METHODS:
        return None
    name = _name(recv)
    logger = q.startswith(("logging.", "structlog.")) or name in LOGGER_NAMES or name.lower().endswith("logger")
    if not logger and isinstance(recv, ast.Name):  # x = logging.getLogger(...) under any name
        logger = any(last_part(imports.qualname(v)) in _LOGGER_FACTORIES for v in env(recv.id))
    if logger:
        return Sink(LOG, f"{name}.{func.attr}" if name else func.attr, line), _payload(call)
    return None


def _llm_call(func: ast.Attribute) -> bool:
    if func.attr not in _LLM_LAST:
        return False
    parts: list[str] = []
    node: ast.expr = func
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    for tail in _LLM_TAILS:
        if tuple(parts[-len(tail):]) == tail and (len(tail) > 1 or _llm_owner(node, parts)):
            return True
    return False


def _llm_owner(root: ast.expr, parts: list[str]) -> bool:
    """A one-word tail (`generate_content`, `invoke`) only on an object named like a model or LLM client."""
    name = (root.id if isinstance(root, ast.Name) else "") + "." + ".".join(parts[:-1])
    return any(w in name.lower() for w in ("llm", "gemini", "genai", "openai", "anthropic", "claude", "gpt",
                                           "chat_model", "chatmodel"))


def _payload(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords if k.arg not in _NOT_PAYLOAD)]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
