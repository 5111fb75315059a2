"""Policy in code (medical findings are never dismissed or lowered; others only with may_dismiss), extra
findings, and the token budgets (per request and per run)."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.finding import Category, Severity
from checks.review import review_findings
from checks.review.context import Context
from checks.review.hunks import build_hunks
from checks.review.prompts import load_prompt
from checks.review.request import build_request, estimate_tokens
from reports.gate import counts_against_gate

from . import fake_llm as F
from .conftest import PHI, SECRET, UNUSED, finding, make_cfg


def test_non_medical_dismissal_needs_may_dismiss(project: Path, fake: F.FakeLLM) -> None:
    fake.default = F.good("likely_false_positive", containing="import os")
    (out,), _ = review_findings([UNUSED], root=project, settings=make_cfg("anthropic", fake), enabled=True)
    assert out.suppression is None and counts_against_gate(out)
    assert out.review.verdict == "likely_false_positive" and "may_dismiss" in out.review.note
    (out,), stats = review_findings([UNUSED], root=project, settings=make_cfg("anthropic", fake, may_dismiss=True),
                                    enabled=True)
    assert out.suppression.kind == "llm" and out.suppression.status == "underReview"
    assert "claude-sonnet-4-6" in out.suppression.justification and "review-v1" in out.suppression.justification
    assert not counts_against_gate(out) and stats["events"]["dismissed"] == 1


def test_severity_may_be_raised_never_lowered(project: Path, fake: F.FakeLLM) -> None:
    def step(api: str, req: dict) -> F.Reply:
        secret = "SECRET_KEY" in "".join(F.hunk_lines(api, req))
        return F.answer(api, F.verdicts(api, req, "confirmed", F.quote(api, req, "SECRET_KEY" if secret else "os"),
                                        severity="low" if secret else "high"))

    fake.default = step
    out, stats = review_findings([UNUSED, SECRET], root=project, settings=make_cfg("anthropic", fake), enabled=True)
    by_rule = {f.rule_id: f for f in out}
    assert by_rule["ruff:F401"].severity is Severity.HIGH and "raised" in by_rule["ruff:F401"].review.note
    assert by_rule["WG101"].severity is Severity.CRITICAL and "not the reviewer's call" in by_rule["WG101"].review.note
    assert stats["events"]["policy_blocked"] == 1


def test_extra_findings_are_advisory_unless_configured(project: Path, fake: F.FakeLLM) -> None:
    def with_extra(api: str, req: dict) -> dict:
        body = F.verdicts(api, req, "confirmed", F.quote(api, req, "PATIENT"))
        body["extra_findings"] = [
            {"id": "phi-in-fixture", "line": 5, "category": "phi", "severity": "high",
             "message": "patient contact details in source", "evidence": '"phone": "<PHONE_1>"'},
            {"id": "outside", "line": 99, "category": "phi", "severity": "high", "message": "x", "evidence": "x"}]
        return body

    fake.default = F.payload(with_extra)
    out, stats = review_findings([PHI], root=project, settings=make_cfg("anthropic", fake), enabled=True)
    extra = [f for f in out if f.tool == "llm"]
    assert [(f.rule_id, f.start_line, f.properties["advisory"]) for f in extra] == [("llm:phi-in-fixture", 5, True)]
    assert not counts_against_gate(extra[0]) and stats["events"]["extra_rejected"] == 1
    out, _ = review_findings([PHI], root=project, settings=make_cfg("anthropic", fake, extra_findings_gate=True),
                             enabled=True)
    assert counts_against_gate(next(f for f in out if f.tool == "llm"))


def test_several_findings_in_one_hunk_one_request(project: Path, fake: F.FakeLLM) -> None:
    second = finding("WG105", Category.SECRET, Severity.HIGH, "clinic_site/settings.py", 5, "another")
    _out, stats = review_findings([SECRET, second], root=project, settings=make_cfg("anthropic", fake), enabled=True)
    assert len(fake.requests) == 1 and stats["hunks"] == 1 and stats["reviewed"] == 2
    assert "F1, F2" in F.user_text(*fake.requests[0])


def test_references_are_cut_first(project: Path) -> None:
    (hunk,) = build_hunks([SECRET], project, 3)
    big = "\n".join(f"    field_{i} = models.CharField(max_length={i})" for i in range(3000))
    ctx = Context(scope="  1 | def f():\n" * 10, models=big, routes="urls.py:1: path('x', v)")
    req = build_request(hunk, ctx, load_prompt("review-v1"), "m", 2000)
    assert req is not None and req.estimated_tokens <= 2000
    assert "SECRET_KEY" in req.code and req.code.count("\n") == hunk.end - hunk.start  # the hunk stays whole
    assert "URL routes (dropped)" in req.truncated and "models touched" in req.truncated
    whole = build_request(hunk, Context(scope="x = 1"), load_prompt("review-v1"), "m", 8000)
    assert whole.truncated == [] and estimate_tokens(whole.user_text()) < 8000


def test_hunk_over_budget_stays_unreviewed(project: Path, fake: F.FakeLLM) -> None:
    (project / "big.py").write_text("\n".join(f"X{i} = {'1 + ' * 60}1" for i in range(80)))
    big = finding("WG999", Category.QUALITY, Severity.MEDIUM, "big.py", 1, "long")
    big = big.model_copy(update={"end_line": 80})
    (out,), stats = review_findings([big], root=project, settings=make_cfg("anthropic", fake, max_input_tokens=1000),
                                    enabled=True)
    assert out.review.verdict == "unreviewed" and fake.requests == []
    assert stats["unreviewed_reasons"] == {"hunk exceeds the per-request token budget": 1}


@pytest.mark.parametrize(("limit", "reason"), [
    ({"max_requests": 1}, "run limit: max_requests reached"),
    ({"max_cost_usd": 0.012, "max_output_tokens": 200}, "run limit: max_cost_usd reached"),
    ({"max_run_tokens": 2700, "max_output_tokens": 200}, "run limit: max_run_tokens reached"),
])
def test_run_limits_review_most_severe_nearest_patient_data_first(project: Path, fake: F.FakeLLM, limit: dict,
                                                                  reason: str) -> None:
    out, stats = review_findings([UNUSED, PHI, SECRET], root=project, settings=make_cfg("anthropic", fake, **limit),
                                 enabled=True)
    verdicts = {f.rule_id: f.review.verdict for f in out}
    assert verdicts["WG101"] == "confirmed"  # critical first
    assert verdicts["ruff:F401"] == "unreviewed"
    assert stats["unreviewed_reasons"][reason] >= 1 and "left unreviewed" in stats["reason"]


def test_diff_mode_reviews_changed_lines_only(project: Path, fake: F.FakeLLM) -> None:
    out, stats = review_findings([SECRET, UNUSED], root=project, settings=make_cfg("anthropic", fake), enabled=True,
                                 changed_lines={"clinic/util.py": {1}})
    assert [f.review.verdict if f.review else None for f in out] == [None, "confirmed"]
    assert stats["findings_selected"] == 1
