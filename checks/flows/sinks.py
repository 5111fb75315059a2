"""Where data leaves the process: logs, console output, outbound HTTP. Syntactic, per file.

`sink_of(call, …)` returns the sink a call is and the argument expressions whose value leaves
through it, or None. Logging: any level, `exception()`, `log()`, `extra=`, structlog, loggers bound
from `logging.getLogger` under any name. Output: `print`, `sys.stdout.write`, a command's
`self.stdout.write`. HTTP: requests, httpx, urllib, urllib3, aiohttp: the URL (its variable parts)
and the payload (`json`, `data`, `params`, `files`, `content`, `body`, `fields`). Vendors: error
trackers and analytics SDKs (Sentry, Segment, PostHog, Mixpanel, Rollbar, New Relic…) and LLM SDK
calls (`client.chat.completions.create`, `client.messages.create`, `model.generate_content`).
Tasks: Celery `.delay(...)`, `.apply_async(args, kwargs)`, `send_task(name, args, kwargs)`: the arguments are
serialised into the broker, shown by monitors and logged by workers. Cache: the key of `cache.set/get/add/
delete/get_or_set/incr/...` (keys are listed by monitoring, slow logs and `KEYS`). Files: `.write()` on a file
opened for writing, `csv` writers over one, `json.dump(x, f)`, `Path.write_text/write_bytes`, pandas `to_csv`
and friends, unless the path is under the media store (`MEDIA_ROOT`, `default_storage`). Messages: Django's
`send_mail`, `send_mass_mail`, `mail_admins`, `mail_managers`, `EmailMessage`/`EmailMultiAlternatives`,
Twilio's `client.messages.create(to=..., body=...)` and SNS `publish(PhoneNumber=..., Message=...)`. Chat:
Slack's `client.chat_postMessage(...)` (slack_sdk) and `slack.chat.post_message(...)` (Slacker).
"""
from __future__ import annotations

import ast
from collections.abc import Callable

from ..names import ImportMap, last_part
from .model import CACHE, FILE, HTTP, LOG, MESSAGE, OUTPUT, TASK, VENDOR, Sink

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

_TASK_OPTIONS = frozenset({"countdown", "eta", "expires", "queue", "priority", "retry", "retry_policy", "routing_key",
                           "exchange", "link", "link_error", "task_id", "serializer", "compression", "headers",
                           "shadow", "ignore_result", "time_limit", "soft_time_limit"})
_CACHE_METHODS = frozenset({"set", "get", "add", "delete", "get_or_set", "incr", "decr", "touch", "has_key",
                            "set_many", "get_many", "delete_many", "aget", "aset", "adelete", "aadd"})
_MAIL = frozenset({"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "EmailMessage",
                   "EmailMultiAlternatives"})
_MAIL_PAYLOAD = frozenset({"subject", "message", "body", "html_message", "datatuple", "alternatives"})
_SMS_KEYS = frozenset({"to", "from_", "body", "media_url"})
# Chat tools: slack_sdk's WebClient (`chat_postMessage`...) and Slacker's `slack.chat.post_message(...)`.
_CHAT_CALLS = frozenset({"chat_postMessage", "chat_postEphemeral", "chat_update", "chat_scheduleMessage"})
_WRITE_MODES = ("w", "a", "x", "+")
_FILE_DUMPS = frozenset({"json.dump", "pickle.dump", "yaml.dump", "yaml.safe_dump", "toml.dump"})
_FRAME_WRITERS = frozenset({"to_csv", "to_excel", "to_json", "to_parquet", "to_pickle"})
_MEDIA = ("MEDIA_ROOT", "default_storage", "storage", "upload_to", "FileSystemStorage")

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
    if last_part(q) in _MAIL and (q.startswith("django.core.mail") or last_part(q) == q):
        return Sink(MESSAGE, last_part(q), line), [*call.args[:2], *(k.value for k in call.keywords
                                                                  if k.arg in _MAIL_PAYLOAD)]
    if q in _FILE_DUMPS and len(call.args) >= 2 and _file_target(call.args[1], env):
        return Sink(FILE, q, line), call.args[:1]
    if isinstance(func, ast.Name):  # `level = logger.error if failed else logger.info; level(msg, ...)`
        method = next((v for v in env(func.id) for v in _alternatives(v) if isinstance(v, ast.Attribute)
                       and v.attr in LOG_METHODS and _is_logger(v, imports, env)), None)
        if method is not None:
            return Sink(LOG, f"{_name(method.value)}.{method.attr}", line), _payload(call)
    if not isinstance(func, ast.Attribute):
        return None
    other = _task_cache_file_or_message(call, func, imports, env)
    if other is not None:
        return other
    if _llm_call(func):
        return Sink(VENDOR, ast.unparse(func), line), _payload(call)
    recv = func.value
    if func.attr == "write" and isinstance(recv, ast.Attribute) and recv.attr in ("stdout", "stderr"):
        return Sink(OUTPUT, f"{_name(recv.value)}.{recv.attr}.write".lstrip("."), line), _payload(call)
    if func.attr not in LOG_METHODS:
        return None
    if _is_logger(func, imports, env):
        name = _name(recv)
        return Sink(LOG, f"{name}.{func.attr}" if name else func.attr, line), _payload(call)
    return None


def _is_logger(method: ast.Attribute, imports: ImportMap, env: Env) -> bool:
    """`method` (`log.info`, `logging.error`) is a logger's: by module, by the receiver's name, or bound from
    `logging.getLogger(...)` under any name."""
    recv, name = method.value, _name(method.value)
    if (imports.qualname(method) or "").startswith(("logging.", "structlog.")) or name in LOGGER_NAMES \
            or name.lower().endswith("logger"):
        return True
    return isinstance(recv, ast.Name) and any(last_part(imports.qualname(v)) in _LOGGER_FACTORIES for v in env(recv.id))


def _alternatives(value: ast.expr) -> list[ast.expr]:
    """The values an expression can take: both arms of `a if c else b`."""
    return [*_alternatives(value.body), *_alternatives(value.orelse)] if isinstance(value, ast.IfExp) else [value]


def _task_cache_file_or_message(call: ast.Call, func: ast.Attribute, imports: ImportMap,
                                env: Env) -> tuple[Sink, list[ast.expr]] | None:
    line, attr, recv = call.lineno, func.attr, func.value
    if attr == "delay":
        return Sink(TASK, f"{_name(recv) or 'task'}.delay", line), _payload(call)
    if attr in ("apply_async", "send_task"):
        args = call.args[1:] if attr == "send_task" else call.args
        return Sink(TASK, f"{_name(recv) or 'task'}.{attr}", line), [
            *args, *(k.value for k in call.keywords if k.arg in ("args", "kwargs"))]
    if attr in _CACHE_METHODS and _is_cache(recv, imports):
        key = call.args[:1] + [k.value for k in call.keywords if k.arg in ("key", "keys")]
        if attr in ("set_many",) and call.args and isinstance(call.args[0], ast.Dict):
            key = [k for k in call.args[0].keys if k is not None]
        return Sink(CACHE, f"cache.{attr}", line), key
    if attr == "create" and isinstance(recv, ast.Attribute) and recv.attr == "messages" \
            and {k.arg for k in call.keywords} & _SMS_KEYS and not any(k.arg == "model" for k in call.keywords):
        return Sink(MESSAGE, "messages.create (SMS)", line), [k.value for k in call.keywords if k.arg == "body"]
    if attr in _CHAT_CALLS or (attr == "post_message" and isinstance(recv, ast.Attribute) and recv.attr == "chat"):
        return Sink(VENDOR, f"{ast.unparse(func)[:40]} (chat)", line), _payload(call)
    if attr == "publish" and any(k.arg == "PhoneNumber" for k in call.keywords):
        return Sink(MESSAGE, "sns.publish (SMS)", line), [k.value for k in call.keywords if k.arg == "Message"]
    if attr in ("write", "writelines") and isinstance(recv, ast.Name) and _file_target(recv, env):
        return Sink(FILE, f"{recv.id}.{attr}", line), _payload(call)
    if attr in ("writerow", "writerows") and isinstance(recv, ast.Name) and any(
            isinstance(v, ast.Call) and last_part(imports.qualname(v.func) or "") in ("writer", "DictWriter")
            and v.args and _file_target(v.args[0], env) for v in env(recv.id)):
        return Sink(FILE, f"{recv.id}.{attr}", line), _payload(call)
    if attr in ("write_text", "write_bytes") and not _media(recv):
        return Sink(FILE, f"{ast.unparse(recv)[:40]}.{attr}", line), call.args[:1]
    if attr in _FRAME_WRITERS and (call.args or call.keywords) and not any(_media(a) for a in call.args[:1]) \
            and not (call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value is None):
        if not call.args and not any(k.arg in ("path_or_buf", "excel_writer", "path") for k in call.keywords):
            return None  # `df.to_csv()` returns the text: no file
        return Sink(FILE, f"{_name(recv) or 'frame'}.{attr}", line), [recv]
    return None


def _is_cache(recv: ast.expr, imports: ImportMap) -> bool:
    """Django's cache: `cache`, `caches["x"]`, `django.core.cache.cache`, a name bound to one of them."""
    if isinstance(recv, ast.Subscript):
        recv = recv.value
    q = imports.qualname(recv) or ""
    return q.startswith("django.core.cache") or _name(recv) in ("cache", "caches", "redis_cache")


def _file_target(node: ast.expr, env: Env, depth: int = 0) -> bool:
    """`f` opened for writing (`open(p, "w")`, `p.open("a")`, a name bound to one) outside the media store."""
    if depth > 3:
        return False
    if isinstance(node, ast.Name):
        return any(_file_target(v, env, depth + 1) for v in env(node.id))
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name != "open":
        return False
    args = node.args[1:] if isinstance(f, ast.Name) or (isinstance(f, ast.Attribute) and _name(f.value) in (
        "io", "codecs")) else node.args
    mode: object = next((a.value for a in args[:1] if isinstance(a, ast.Constant)), None)
    mode = next((k.value.value for k in node.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)), mode)
    if not isinstance(mode, str) or not any(m in mode for m in _WRITE_MODES):
        return False
    path = node.args[0] if isinstance(f, ast.Name) and node.args else (
        f.value if isinstance(f, ast.Attribute) else None)
    return path is None or not _media(path)


def _media(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return any(m in text for m in _MEDIA)


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
