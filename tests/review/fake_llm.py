"""A local stand-in for the Anthropic Messages API and the OpenAI chat-completions API.

The real SDK clients talk to it through `base_url`. Each request pops the next scripted step (a
function of the API flavour and the request JSON returning a `Reply`); when the script is empty,
every finding is confirmed with a quote taken from the hunk. Every raw request body is recorded.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Step = Callable[[str, dict[str, Any]], Reply]  # (api: "anthropic" | "openai", request json) -> Reply


# -- reading a wardgate request -------------------------------------------------------------------
def user_text(api: str, req: dict[str, Any]) -> str:
    msg = req["messages"][0] if api == "anthropic" else req["messages"][1]
    content = msg["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


def finding_ids(api: str, req: dict[str, Any]) -> list[str]:
    m = re.search(r"exactly one verdict for each of: ([F0-9, ]+)\.", user_text(api, req))
    return [s.strip() for s in m.group(1).split(",")] if m else ["F1"]


def hunk_lines(api: str, req: dict[str, Any]) -> list[str]:
    text = user_text(api, req)
    b = re.search(r"boundary token of this request is (\w+)", text).group(1)
    block = re.search(r"## Hunk:.*?<<<DATA boundary=" + b + r">>>\n(.*?)\n<<<END boundary=" + b, text, re.DOTALL)
    return [line.partition(" | ")[2] for line in block.group(1).splitlines()]


def quote(api: str, req: dict[str, Any], containing: str | None = None) -> str:
    lines = [ln.strip() for ln in hunk_lines(api, req) if ln.strip()]
    for ln in lines:
        if containing is None or containing in ln:
            return ln
    return lines[0]


# -- building replies -----------------------------------------------------------------------------
def verdicts(api: str, req: dict[str, Any], verdict: str = "confirmed", evidence: str | None = None,
             **extra: Any) -> dict[str, Any]:
    ev = evidence if evidence is not None else quote(api, req)
    return {"verdicts": [{"id": i, "verdict": verdict, "rationale": f"{verdict} by the fake reviewer",
                          "confidence": 0.9, "evidence": ev, "fix": None, "severity": None, **extra}
                         for i in finding_ids(api, req)], "extra_findings": []}


def answer(api: str, payload: Any, *, input_tokens: int = 1200, output_tokens: int = 150,
           cache_read: int = 0, cache_write: int = 800) -> Reply:
    """A successful response carrying `payload` (a dict for tool input / JSON, or raw text)."""
    if api == "anthropic":
        content = ([{"type": "tool_use", "id": "toolu_01FAKE", "name": "submit_review", "input": payload}]
                   if isinstance(payload, dict) else [{"type": "text", "text": payload}])
        return Reply(body={
            "id": "msg_01FAKE", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": content, "stop_reason": "tool_use" if isinstance(payload, dict) else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                      "cache_creation_input_tokens": cache_write, "cache_read_input_tokens": cache_read}})
    text = json.dumps(payload) if isinstance(payload, dict) else payload
    return Reply(body={
        "id": "chatcmpl-FAKE", "object": "chat.completion", "created": int(time.time()), "model": "local-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                  "total_tokens": input_tokens + output_tokens, "prompt_tokens_details": {"cached_tokens": cache_read}}})


def good(verdict: str = "confirmed", containing: str | None = None, **extra: Any) -> Step:
    return lambda api, req: answer(api, verdicts(api, req, verdict, quote(api, req, containing), **extra))


def payload(fn: Callable[[str, dict[str, Any]], Any]) -> Step:
    return lambda api, req: answer(api, fn(api, req))


def garbage(text: str = "Sure! The code looks fine to me.") -> Step:
    return lambda api, req: answer(api, text)


def error(status: int, kind: str, message: str = "scripted error", headers: dict[str, str] | None = None) -> Step:
    def step(api: str, req: dict[str, Any]) -> Reply:
        body = ({"type": "error", "error": {"type": kind, "message": message}} if api == "anthropic"
                else {"error": {"message": message, "type": kind, "param": None, "code": kind}})
        return Reply(status=status, body=body, headers={"x-should-retry": "true", **(headers or {})}
                     if status in (429, 529, 500, 503) else dict(headers or {}))
    return step


def refusal() -> Step:
    def step(api: str, req: dict[str, Any]) -> Reply:
        if api == "anthropic":
            r = answer(api, "I can't help with that.")
            r.body["stop_reason"] = "refusal"
            return r
        r = answer(api, "")
        r.body["choices"][0]["message"].update(content=None, refusal="I can't help with that.")
        return r
    return step


def slow(seconds: float, then: Step | None = None) -> Step:
    def step(api: str, req: dict[str, Any]) -> Reply:
        r = (then or good())(api, req)
        r.delay = seconds
        return r
    return step


class FakeLLM:
    def __init__(self) -> None:
        self.script: deque[Step] = deque()
        self.default: Step = good()
        self.bodies: list[bytes] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # http.server's naming
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                api = "anthropic" if self.path.rstrip("/").endswith("/v1/messages") else "openai"
                req = json.loads(raw or b"{}")
                with fake._lock:
                    fake.bodies.append(raw)
                    fake.requests.append((api, req))
                    step = fake.script.popleft() if fake.script else fake.default
                reply = step(api, req)
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body if isinstance(reply.body, bytes) else (
                    reply.body.encode() if isinstance(reply.body, str) else json.dumps(reply.body).encode())
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and went away

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def url_for(self, provider: str) -> str:
        return self.anthropic_url if provider == "anthropic" else self.openai_url
