"""The scripted scenarios of issue 5, for both providers, through the real SDK clients."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.review import review_findings
from reports.gate import counts_against_gate

from . import fake_llm as F
from .conftest import PHI, PROVIDERS, SECRET, UNUSED, make_cfg


def run(project: Path, cfg, findings=(SECRET,)):
    return review_findings(list(findings), root=project, settings=cfg, enabled=True)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_good_verdict(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.append(F.good(containing="SECRET_KEY"))
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "confirmed" and "SECRET_KEY" in out.review.evidence
    assert out.review.prompt_version == "review-v1" and out.properties["llm"]["prompt_version"] == "review-v1"
    assert stats["status"] == "ran" and stats["reviewed"] == 1 and stats["requests"] == 1
    assert stats["input_tokens"] == 1200 and stats["output_tokens"] == 150
    assert stats["estimated_cost_usd"] > 0 if provider == "anthropic" else stats["estimated_cost_usd"] == 0
    assert stats["latency_ms"]["p50"] is not None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_then_good(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.extend([F.garbage(), F.good(containing="SECRET_KEY")])
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "confirmed"
    assert stats["requests"] == 2 and stats["events"]["invalid_answers"] == 1
    retry = fake.requests[1][1]["messages"]
    assert "did not validate" in str(retry[-1])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_twice_leaves_unreviewed(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.extend([F.garbage(), F.payload(lambda api, req: {"verdicts": [{"id": "F1", "verdict": "maybe"}]})])
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "unreviewed" and out.severity is SECRET.severity
    assert stats["unreviewed_reasons"] == {"invalid answer (after one retry)": 1}
    assert counts_against_gate(out)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_injection_following_dismissal_of_a_secret_is_blocked(provider: str, project: Path,
                                                              fake: F.FakeLLM) -> None:
    # the model "obeys" the comment in the code and dismisses the secret, quoting the comment
    fake.script.append(F.good("likely_false_positive", containing="AI reviewer", severity="info"))
    cfg = make_cfg(provider, fake, may_dismiss=True)
    (out,), stats = run(project, cfg)
    assert out.suppression is None and out.severity is SECRET.severity and counts_against_gate(out)
    assert out.review.verdict == "needs_human" and "never dismissed" in out.review.note
    assert stats["events"]["policy_blocked"] == 2  # the dismissal and the lowered severity
    body = fake.bodies[0].decode()
    boundary = F.user_text(*fake.requests[0]).split("boundary token of this request is ")[1].split(".")[0]
    assert len(boundary) == 16 and body.count(f"<<<DATA boundary={boundary}>>>") >= 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_ungrounded_quote_is_rejected(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.append(lambda api, req: F.answer(api, F.verdicts(api, req, "confirmed", "SECRET_KEY = get_secret()")))
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "rejected" and "not found" in out.review.note
    assert stats["events"]["rejected_ungrounded"] == 1 and counts_against_gate(out)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_then_success(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.extend([F.error(429, "rate_limit_error", headers={"retry-after-ms": "10", "retry-after": "0"}),
                        F.good(containing="SECRET_KEY")])
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "confirmed" and len(fake.requests) == 2  # the SDK's own retry
    assert stats["requests"] == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_529_overloaded(provider: str, project: Path, fake: F.FakeLLM) -> None:
    step = F.error(529, "overloaded_error", "Overloaded", headers={"retry-after-ms": "10"})
    fake.script.extend([step, step])
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "unreviewed" and out.review.note == "overloaded"
    assert stats["status"] == "failed" and stats["unreviewed_reasons"] == {"overloaded": 1}
    assert "error" not in stats


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reply_slower_than_timeout(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.default = F.slow(1.5)
    (out,), stats = run(project, make_cfg(provider, fake, timeout=0.3, max_retries=0))
    assert out.review.verdict == "unreviewed" and stats["unreviewed_reasons"] == {"timeout": 1}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_down(provider: str, project: Path) -> None:
    cfg = make_cfg(provider, None, max_retries=0)
    findings, stats = run(project, cfg, [SECRET, PHI, UNUSED])
    assert [f.review.verdict for f in findings] == ["unreviewed"] * 3
    assert [f.severity for f in findings] == [SECRET.severity, PHI.severity, UNUSED.severity]
    # the circuit breaker: two failed requests, then the rest is not attempted
    assert stats["unreviewed_reasons"] == {"unreachable": 2, "reviewer unavailable (unreachable)": 1}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_required_turns_unavailable_into_error(provider: str, project: Path) -> None:
    _, stats = run(project, make_cfg(provider, None, max_retries=0, required=True))
    assert "required" in stats["error"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_refusal(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.append(F.refusal())
    (out,), stats = run(project, make_cfg(provider, fake))
    assert out.review.verdict == "unreviewed" and stats["unreviewed_reasons"] == {"refusal": 1}


def test_anthropic_request_shape(project: Path, fake: F.FakeLLM) -> None:
    run(project, make_cfg("anthropic", fake))
    _api, req = fake.requests[0]
    assert req["tool_choice"] == {"type": "tool", "name": "submit_review"}
    assert req["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert req["tools"][0]["input_schema"]["required"] == ["verdicts", "extra_findings"]
    assert req["model"] == "claude-sonnet-4-6"


def test_cheap_model_for_low_severity(project: Path, fake: F.FakeLLM) -> None:
    cfg = make_cfg("anthropic", fake, cheap_model="claude-haiku-4-5")
    run(project, cfg, [SECRET, UNUSED])
    assert sorted(req["model"] for _, req in fake.requests) == ["claude-haiku-4-5", "claude-sonnet-4-6"]


def test_disabled_and_unconfigured(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, stats = review_findings([SECRET], root=project, settings={}, enabled=False)
    assert out == [SECRET] and stats == {"status": "skipped", "reason": "--no-llm"}
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    out, stats = review_findings([SECRET], root=project, settings={}, enabled=True)
    assert out == [SECRET] and stats["status"] == "skipped" and "ANTHROPIC_API_KEY" in stats["reason"]
    _, stats = review_findings([SECRET], root=project, settings={"required": True}, enabled=True)
    assert "required" in stats["error"]
