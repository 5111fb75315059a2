"""Providers: Anthropic (Messages API, forced tool use) and OpenAI-compatible local endpoints (json_schema).

Retries and timeouts are the SDKs' own (`max_retries`, `timeout`); a failure that survives them is a
`ProviderError` with a short reason that the stats count.
"""
from __future__ import annotations

import importlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import LLMConfig
from .reply import TOOL_NAME, reply_schema
from .request import ReviewRequest

# Reasons that mean "the reviewer is unavailable" (they count towards the circuit breaker and `required`).
UNAVAILABLE = frozenset({"timeout", "unreachable", "rate_limited", "overloaded", "server_error", "auth"})


class ProviderError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Exchange:
    answer: Any  # the tool input / parsed JSON, or the raw text when it was not JSON
    raw: str  # the response body as text (hashed for the audit log)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)  # provider-specific, for the one retry


class Provider(Protocol):
    name: str

    def send(self, req: ReviewRequest, previous: Exchange | None = None, error: str | None = None) -> Exchange: ...


def _map_error(sdk: Any, exc: Exception) -> ProviderError:
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError("timeout", str(exc))
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError("unreachable", str(exc))
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        if status == 429:
            return ProviderError("rate_limited", str(exc)[:200])
        if status == 529:
            return ProviderError("overloaded", str(exc)[:200])
        if status in (401, 403):
            return ProviderError("auth", str(exc)[:200])
        if status >= 500:
            return ProviderError("server_error", str(exc)[:200])
        return ProviderError(f"http_{status}", str(exc)[:200])
    raise exc


class MissingExtra(RuntimeError):
    """An optional dependency of the configured LLM setup is not installed."""


def optional_sdk(module: str, extra: str) -> Any:
    """Import a package that only an optional extra installs, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(f"the `{module}` package is not installed; install wardgate with it: "
                           f"pip install 'wardgate[{extra}]'") from exc


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, cfg: LLMConfig) -> None:
        import anthropic

        self._sdk = anthropic
        self._cfg = cfg
        # Any: requests are built as the JSON the API documents (and kept as the exchange's history), not as
        # the SDK's TypedDicts.
        self._client: Any = anthropic.Anthropic(
            api_key=os.environ.get(cfg.key_env()) or None, base_url=cfg.base_url or None,
            max_retries=cfg.max_retries, timeout=cfg.timeout)

    def send(self, req: ReviewRequest, previous: Exchange | None = None, error: str | None = None) -> Exchange:
        ephemeral = {"type": "ephemeral"}
        system: list[dict[str, Any]] = [{"type": "text", "text": req.system, "cache_control": ephemeral}]
        if req.docs:
            system.append({"type": "text", "text": "# Documentation of the rules involved\n\n" + req.docs,
                           "cache_control": ephemeral})
        messages: list[dict[str, Any]] = [{"role": "user", "content": req.user_text()}]
        if previous is not None:
            messages += previous.history + [_anthropic_retry(previous, error or "invalid answer")]
        tool = {"name": TOOL_NAME, "description": "Submit the verdicts on the findings and any extra findings.",
                "input_schema": reply_schema()}
        started = time.perf_counter()
        try:
            msg = self._client.messages.create(
                model=req.model, max_tokens=self._cfg.max_output_tokens, system=system, messages=messages,
                tools=[tool], tool_choice={"type": "tool", "name": TOOL_NAME})
        except self._sdk.APIError as exc:
            raise _map_error(self._sdk, exc) from exc
        seconds = time.perf_counter() - started
        if msg.stop_reason == "refusal":
            raise ProviderError("refusal", "the model declined to answer")
        content = [block.model_dump(mode="json", exclude_none=True) for block in msg.content]
        tool_use = next((b for b in content if b.get("type") == "tool_use" and b.get("name") == TOOL_NAME), None)
        answer: Any = tool_use["input"] if tool_use else "".join(b.get("text", "") for b in content)
        u = msg.usage
        return Exchange(answer=answer, raw=json.dumps(content, sort_keys=True), seconds=seconds,
                        input_tokens=u.input_tokens or 0, output_tokens=u.output_tokens or 0,
                        cache_write_tokens=getattr(u, "cache_creation_input_tokens", None) or 0,
                        cache_read_tokens=getattr(u, "cache_read_input_tokens", None) or 0,
                        history=[{"role": "assistant", "content": content}])


def _anthropic_retry(previous: Exchange, error: str) -> dict[str, Any]:
    content = previous.history[-1]["content"]
    tool_use = next((b for b in content if b.get("type") == "tool_use"), None)
    text = f"Your answer did not validate: {error}. Call {TOOL_NAME} again with a corrected answer."
    if tool_use is not None:
        return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"],
                                             "is_error": True, "content": text}]}
    return {"role": "user", "content": text}


class OpenAICompatibleProvider:
    name = "openai-compatible"

    def __init__(self, cfg: LLMConfig) -> None:
        openai = optional_sdk("openai", "local-llm")

        self._sdk = openai
        self._cfg = cfg
        self._client = openai.OpenAI(
            api_key=os.environ.get(cfg.key_env()) or "not-needed", base_url=cfg.base_url,
            max_retries=cfg.max_retries, timeout=cfg.timeout)

    def send(self, req: ReviewRequest, previous: Exchange | None = None, error: str | None = None) -> Exchange:
        system = req.system + ("\n\n# Documentation of the rules involved\n\n" + req.docs if req.docs else "")
        system += (f"\n\nAnswer with a single JSON object (no prose) matching the `{TOOL_NAME}` schema: "
                   + json.dumps(reply_schema()))
        messages: list[dict[str, Any]] = [{"role": "system", "content": system},
                                          {"role": "user", "content": req.user_text()}]
        if previous is not None:
            messages += previous.history + [{"role": "user", "content": (
                f"Your answer did not validate: {error}. Answer again with a corrected JSON object.")}]
        started = time.perf_counter()
        try:
            resp = self._client.chat.completions.create(
                model=req.model, messages=messages, max_tokens=self._cfg.max_output_tokens, temperature=0,
                response_format={"type": "json_schema",
                                 "json_schema": {"name": TOOL_NAME, "schema": reply_schema(), "strict": True}})
        except self._sdk.APIError as exc:
            raise _map_error(self._sdk, exc) from exc
        seconds = time.perf_counter() - started
        if not resp.choices:
            raise ProviderError("empty_answer", "no choices in the response")
        choice = resp.choices[0]
        if getattr(choice.message, "refusal", None) or choice.finish_reason == "content_filter":
            raise ProviderError("refusal", "the model declined to answer")
        text = choice.message.content or ""
        try:
            answer: Any = json.loads(_strip_fence(text))
        except json.JSONDecodeError:
            answer = text
        u = resp.usage
        cached = getattr(getattr(u, "prompt_tokens_details", None), "cached_tokens", None) or 0
        return Exchange(answer=answer, raw=text, seconds=seconds,
                        input_tokens=(u.prompt_tokens if u else 0) or 0,
                        output_tokens=(u.completion_tokens if u else 0) or 0, cache_read_tokens=cached,
                        history=[{"role": "assistant", "content": text}])


def _strip_fence(text: str) -> str:
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else ""
        t = t.rsplit("```", 1)[0]
    return t


def make_provider(name: str, cfg: LLMConfig) -> Provider:
    if name == "anthropic":
        return AnthropicProvider(cfg)
    if name == "openai-compatible":
        return OpenAICompatibleProvider(cfg)
    raise ValueError(f"unknown LLM provider {name!r}")
