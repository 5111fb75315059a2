"""Stage 2: the LLM reviewer of flagged hunks.

`review_findings` is the pipeline's single entry point. With no provider configured (or with
`--no-llm`) every stage-1 finding stands unchanged and the stats say plainly why. When the provider
fails, the findings it could not review keep their deterministic severity, marked `unreviewed` with
the reason; the gate never depends on the LLM being reachable (unless `llm.required` asks for that).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..finding import Finding, Review
from .cache import make_cache
from .config import LLMConfig
from .context import build_context
from .hunks import Hunk, build_hunks, eligible
from .metrics import AuditLog, Metrics, cost, sha256
from .policy import Applied, answer_problems, apply_reply
from .prompts import load_prompt
from .providers import UNAVAILABLE, Exchange, MissingExtra, Provider, ProviderError, make_provider
from .reply import ReviewReply
from .request import ReviewRequest, build_request

__all__ = ["LLMConfig", "review_findings"]


def review_findings(
    findings: Sequence[Finding],
    *,
    root: Path,
    settings: LLMConfig | dict[str, Any] | None,
    enabled: bool,
    changed_lines: dict[str, set[int]] | None = None,
    provider: Provider | None = None,
    phi_fields: frozenset[str] = frozenset(),
) -> tuple[list[Finding], dict[str, Any]]:
    """`phi_fields`: the project's patient-identifying field names; literals given to them are redacted."""
    cfg = settings if isinstance(settings, LLMConfig) else LLMConfig.model_validate(settings or {})
    if not enabled:
        return list(findings), {"status": "skipped", "reason": "--no-llm"}
    name = cfg.resolved_provider()
    if name == "none" and provider is None:
        why = ("provider = 'none'" if cfg.provider == "none"
               else f"no LLM provider configured ({cfg.key_env()} is not set)")
        stats: dict[str, Any] = {"status": "skipped", "reason": why}
        if cfg.required:
            stats["error"] = f"LLM review is required (llm.required = true) but unavailable: {why}"
        return list(findings), stats
    try:
        run = _Run(cfg, root, provider or make_provider(name, cfg), name, phi_fields)
    except MissingExtra as exc:  # every stage-1 finding stands, and the report says why
        stats = {"status": "failed", "reason": str(exc)}
        if cfg.required:
            stats["error"] = f"LLM review is required (llm.required = true) but unavailable: {exc}"
        return list(findings), stats
    return run.review(findings, changed_lines)


class _Run:
    def __init__(self, cfg: LLMConfig, root: Path, provider: Provider, name: str,
                 phi_fields: frozenset[str] = frozenset()) -> None:
        self.cfg, self.root, self.provider, self.name = cfg, root, provider, name
        self.phi_fields = phi_fields
        self.template = load_prompt(cfg.prompt)
        self.cache = make_cache(cfg.cache, root, cfg.cache_dir, cfg.cache_ttl)
        self.audit = AuditLog(root / cfg.audit_log if cfg.audit_log else None, root)
        self.metrics = Metrics()
        self.unreviewed: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.redactions: Counter[str] = Counter()
        self.truncated = 0
        self.failures = 0  # consecutive "unavailable" failures: the circuit breaker
        self.down_reason: str | None = None
        self.reserved_tokens = 0

    def review(self, findings: Sequence[Finding], changed: dict[str, set[int]] | None) -> tuple[
            list[Finding], dict[str, Any]]:
        chosen = [f for f in findings if eligible(f, self.cfg.min_severity, changed) is None]
        hunks = build_hunks(chosen, self.root, self.cfg.context_lines)
        replaced: dict[int, Finding] = {}
        extras: list[Finding] = []
        reviewed = 0
        for hunk in hunks:
            outcome = self._review_hunk(hunk)
            if isinstance(outcome, str):
                self.unreviewed[outcome] += len(hunk.findings)
                for f in hunk.findings:
                    replaced[id(f)] = f.model_copy(update={"review": Review(
                        verdict="unreviewed", note=outcome, model=self.cfg.model_for(hunk.worst),
                        prompt_version=self.template.version)})
                continue
            for idx, new in outcome.updated.items():
                replaced[id(hunk.findings[idx])] = new
            reviewed += len(outcome.updated)
            extras.extend(outcome.extras)
            self.events.update(outcome.events)
        result = [replaced.get(id(f), f) for f in findings] + extras
        return result, self._stats(len(chosen), len(hunks), reviewed)

    def _review_hunk(self, hunk: Hunk) -> Applied | str:
        model = self.cfg.model_for(hunk.worst)
        req = build_request(hunk, build_context(hunk, self.root), self.template, model, self.cfg.max_input_tokens,
                            phi_fields=self.phi_fields)
        if req is None:
            return "hunk exceeds the per-request token budget"
        self.redactions.update(req.redactions)
        key = req.cache_key()
        cached = self.cache.get(key)
        if cached is not None:
            try:
                reply = ReviewReply.model_validate(cached)
            except ValidationError:
                reply = None
            if reply is not None and answer_problems(reply, req) is None:
                self.metrics.cache_hits += 1
                applied = apply_reply(req, reply, may_dismiss=self.cfg.may_dismiss,
                                      extras_gate=self.cfg.extra_findings_gate)
                self._audit(req, key, "cache_hit", None, applied)
                return applied
        if self.down_reason is not None:
            return f"reviewer unavailable ({self.down_reason})"
        limit = self._over_limit(req)
        if limit:
            return limit
        if req.truncated:
            self.truncated += 1
        try:
            reply, ex = self._ask(req)
        except ProviderError as exc:
            self._audit(req, key, exc.reason, None, None)
            if exc.reason in UNAVAILABLE:
                self.failures += 1
                if self.failures >= self.cfg.max_consecutive_failures:
                    self.down_reason = exc.reason
            return exc.reason
        self.failures = 0
        if reply is None:
            self._audit(req, key, "invalid_answer", ex, None)
            return "invalid answer (after one retry)"
        self.cache.put(key, reply.model_dump(mode="json"))
        applied = apply_reply(req, reply, may_dismiss=self.cfg.may_dismiss, extras_gate=self.cfg.extra_findings_gate)
        self._audit(req, key, "ok", ex, applied)
        return applied

    def _ask(self, req: ReviewRequest) -> tuple[ReviewReply | None, Exchange]:
        """One request, and one retry carrying the validation error; (None, last) when both are invalid."""
        previous: Exchange | None = None
        error: str | None = None
        for _attempt in range(2):
            ex = self.provider.send(req, previous, error)
            self.metrics.add(ex, req.model, self.cfg)
            try:
                if not isinstance(ex.answer, dict):
                    raise TypeError("the answer is not a JSON object from the submit_review tool")
                reply = ReviewReply.model_validate(ex.answer)
                problem = answer_problems(reply, req)
                if problem is None:
                    return reply, ex
                error = problem
            except (ValidationError, ValueError, TypeError) as exc:
                error = str(exc)[:1500]
            self.events["invalid_answers"] += 1
            previous = ex
        return None, previous  # type: ignore[return-value]

    def _over_limit(self, req: ReviewRequest) -> str | None:
        cfg, m = self.cfg, self.metrics
        if m.requests >= cfg.max_requests:
            return "run limit: max_requests reached"
        projected = req.estimated_tokens + cfg.max_output_tokens
        if m.input_tokens + m.output_tokens + projected > cfg.max_run_tokens:
            return "run limit: max_run_tokens reached"
        if m.cost_usd + cost(cfg, req.model, req.estimated_tokens, cfg.max_output_tokens) > cfg.max_cost_usd:
            return "run limit: max_cost_usd reached"
        return None

    def _audit(self, req: ReviewRequest, key: str, outcome: str, ex: Exchange | None, applied: Applied | None) -> None:
        self.audit.write({
            "provider": self.name, "model": req.model, "prompt_version": req.prompt_version, "cache_key": key,
            "request_sha256": sha256(req.system + req.docs + req.user_text()), "outcome": outcome,
            "response_sha256": sha256(ex.raw) if ex else None, "path": req.hunk.path,
            "lines": [req.hunk.start, req.hunk.end], "input_tokens": ex.input_tokens if ex else 0,
            "output_tokens": ex.output_tokens if ex else 0, "latency_ms": round(ex.seconds * 1000, 1) if ex else None,
            "verdicts": applied.records if applied else [
                {"rule_id": f.rule_id, "fingerprint": f.fingerprint, "verdict": "unreviewed"}
                for f in req.hunk.findings],
        })

    def _stats(self, eligible_n: int, hunks: int, reviewed: int) -> dict[str, Any]:
        unreviewed = sum(self.unreviewed.values())
        status = "ran" if reviewed or self.metrics.cache_hits or not eligible_n else "failed"
        stats: dict[str, Any] = {
            "status": status, "provider": self.name, "model": self.cfg.model_for(_max_sev()),
            "prompt_version": self.template.version, "findings_selected": eligible_n, "hunks": hunks,
            "reviewed": reviewed, "unreviewed": unreviewed, "unreviewed_reasons": dict(self.unreviewed),
            "events": dict(sorted(self.events.items())), "truncated_requests": self.truncated,
            "redactions": dict(sorted(self.redactions.items())), "cache": self.cache.kind,
            **self.metrics.as_stats(),
        }
        if self.cfg.cheap_model:
            stats["cheap_model"] = self.cfg.cheap_model
        if self.audit.path is not None:
            stats["audit_log"] = str(self.audit.path)
        problems = [p for p in (getattr(self.cache, "error", None), self.audit.error) if p]
        if problems:
            stats["warnings"] = problems
        down = sum(n for reason, n in self.unreviewed.items()
                   if reason in UNAVAILABLE or reason.startswith("reviewer unavailable"))
        if unreviewed:
            stats["reason"] = (f"{unreviewed} finding(s) left unreviewed: "
                               + ", ".join(f"{r} ({n})" for r, n in self.unreviewed.most_common()))
        if self.cfg.required and down:
            stats["error"] = (f"LLM review is required (llm.required = true) but the reviewer was unavailable "
                              f"for {down} finding(s): " + ", ".join(
                                  f"{r} ({n})" for r, n in self.unreviewed.items()
                                  if r in UNAVAILABLE or r.startswith("reviewer unavailable")))
        return stats


def _max_sev() -> Any:
    from ..finding import Severity

    return Severity.CRITICAL
