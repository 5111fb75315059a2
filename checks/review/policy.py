"""Policy, enforced in code and never in the prompt.

- A verdict whose evidence quote is not in the reviewed (redacted) hunk is rejected and recorded.
- Medical categories (audit-trail, permission, dosage, secret, phi): the reviewer may confirm, raise the
  severity or ask for a human; it may never lower the severity or dismiss. A dismissal becomes `needs_human`.
- Other categories: `likely_false_positive` becomes a Suppression(kind="llm", status="underReview") that
  stops failing the gate only when `llm.may_dismiss = true`; otherwise it is recorded on the review only.
- Extra findings must lie inside the hunk with a grounded quote; they are advisory unless configured.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from ..finding import Confidence, Finding, Review, Suppression
from .reply import ReviewReply
from .request import ReviewRequest

_WS = re.compile(r"\s+")
_LINE_NO = re.compile(r"^\s*\d+\s*\|\s?", re.MULTILINE)


@dataclass
class Applied:
    updated: dict[int, Finding] = field(default_factory=dict)  # index in hunk.findings -> new finding
    extras: list[Finding] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)  # rejected_ungrounded, policy_blocked, ...
    records: list[dict[str, Any]] = field(default_factory=list)  # for the audit log (no code)

    def count(self, event: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1


def grounded(quote: str, plain: str) -> bool:
    q = _WS.sub(" ", _LINE_NO.sub("", quote.strip().strip("`"))).strip()
    return len(q) >= 3 and q in _WS.sub(" ", plain)


def answer_problems(reply: ReviewReply, req: ReviewRequest) -> str | None:
    got = [v.id for v in reply.verdicts]
    missing = [i for i in req.ids if i not in got]
    unknown = [i for i in got if i not in req.ids]
    if missing or unknown or len(got) != len(set(got)):
        return f"expected exactly one verdict for each of {list(req.ids)}; missing {missing}, unknown {unknown}"
    return None


def apply_reply(req: ReviewRequest, reply: ReviewReply, *, may_dismiss: bool, extras_gate: bool) -> Applied:
    out = Applied()
    model, version = req.model, req.prompt_version
    for v in reply.verdicts:
        idx = req.ids[v.id]
        f = req.hunk.findings[idx]
        record = {"rule_id": f.rule_id, "fingerprint": f.fingerprint, "verdict": v.verdict}
        if not grounded(v.evidence, req.plain):
            out.count("rejected_ungrounded")
            out.updated[idx] = f.model_copy(update={"review": Review(
                verdict="rejected", rationale=v.rationale, confidence=v.confidence, model=model,
                prompt_version=version, note="evidence quote not found in the reviewed hunk; verdict ignored")})
            out.records.append({**record, "applied": "rejected_ungrounded"})
            continue
        verdict, notes = v.verdict, []
        update: dict[str, Any] = {}  # the finding's changed fields (severity, suppression, review, properties)
        if v.severity is not None and v.severity.rank > f.severity.rank:
            update["severity"] = v.severity
            notes.append(f"severity raised from {f.severity.value} to {v.severity.value}")
        elif v.severity is not None and v.severity.rank < f.severity.rank:
            notes.append("lowering the severity is not the reviewer's call; kept")
            out.count("policy_blocked")
        if verdict == "likely_false_positive" and f.category.is_medical:
            verdict = "needs_human"
            notes.append(f"the reviewer suggested a false positive; {f.category.value} findings are never "
                         "dismissed by the LLM: a human decides")
            out.count("policy_blocked")
        elif verdict == "likely_false_positive":
            if may_dismiss:
                update["suppression"] = Suppression(
                    kind="llm", status="underReview", source=f"llm:{model}",
                    justification=f"LLM reviewer {model} (prompt {version}): likely false positive: {v.rationale}")
                out.count("dismissed")
            else:
                notes.append("not applied: llm.may_dismiss is false")
        update["review"] = Review(verdict=verdict, rationale=v.rationale, confidence=v.confidence,
                                  evidence=v.evidence, fix=v.fix, model=model, prompt_version=version,
                                  note="; ".join(notes) or None)
        update["properties"] = {**f.properties, "llm": {"verdict": verdict, "model": model,
                                                        "prompt_version": version}}
        out.updated[idx] = f.model_copy(update=update)
        out.count(f"verdict_{verdict}")
        out.records.append({**record, "applied": verdict})
    for e in reply.extra_findings:
        if not (req.hunk.start <= e.line <= req.hunk.end) or not grounded(e.evidence, req.plain):
            out.count("extra_rejected")
            continue
        fp = hashlib.sha256(f"llm:{e.id}|{req.hunk.path}|{_WS.sub(' ', e.evidence)}".encode()).hexdigest()[:16]
        out.extras.append(Finding(
            rule_id=f"llm:{e.id}", category=e.category, severity=e.severity, tool="llm", path=req.hunk.path,
            start_line=e.line, end_line=e.line, message=e.message, fingerprint=fp, confidence=Confidence.LOW,
            review=Review(verdict="confirmed", rationale=e.message, evidence=e.evidence, model=model,
                          prompt_version=version, note="reported by the LLM reviewer"),
            properties={"advisory": not extras_gate, "llm": {"model": model, "prompt_version": version}}))
        out.count("extra_findings")
        out.records.append({"rule_id": f"llm:{e.id}", "fingerprint": fp, "verdict": "extra"})
    return out
