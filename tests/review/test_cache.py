"""A second identical run makes zero requests and returns identical verdicts (disk and real Redis)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.review import review_findings

from . import fake_llm as F
from .conftest import PHI, PROVIDERS, SECRET, UNUSED, make_cfg


def _twice(project: Path, fake: F.FakeLLM, cfg) -> tuple[list, list, dict]:
    first, s1 = review_findings([SECRET, PHI, UNUSED], root=project, settings=cfg, enabled=True)
    n = len(fake.requests)
    second, s2 = review_findings([SECRET, PHI, UNUSED], root=project, settings=cfg, enabled=True)
    assert n == 3 and len(fake.requests) == n, "the second run must not send anything"
    assert s1["requests"] == 3 and s2["requests"] == 0 and s2["cache_hits"] == 3
    return first, second, s2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_disk_cache(provider: str, project: Path, fake: F.FakeLLM) -> None:
    cfg = make_cfg(provider, fake, cache="disk", audit_log=".wardgate-cache/llm-audit.jsonl")
    first, second, _stats = _twice(project, fake, cfg)
    assert [f.review for f in first] == [f.review for f in second]
    assert (project / ".wardgate-cache" / ".gitignore").read_text() == "*\n"
    log = [json.loads(line) for line in (project / ".wardgate-cache/llm-audit.jsonl").read_text().splitlines()]
    assert [e["outcome"] for e in log] == ["ok"] * 3 + ["cache_hit"] * 3
    text = (project / ".wardgate-cache/llm-audit.jsonl").read_text()
    assert "SECRET_KEY" not in text and "078-05-1120" not in text and "os.environ" not in text
    assert {"time", "model", "prompt_version", "request_sha256", "response_sha256", "verdicts"} <= set(log[0])


def test_cache_key_follows_prompt_version_and_model(project: Path, fake: F.FakeLLM) -> None:
    cfg = make_cfg("anthropic", fake, cache="disk")
    review_findings([SECRET], root=project, settings=cfg, enabled=True)
    review_findings([SECRET], root=project, settings=cfg.model_copy(update={"model": "claude-haiku-4-5"}),
                    enabled=True)
    assert len(fake.requests) == 2
    (project / "clinic_site/settings.py").write_text("import os\n\n\nSECRET_KEY = 'x'\n")
    review_findings([SECRET], root=project, settings=cfg, enabled=True)
    assert len(fake.requests) == 3  # changed code, new key


def test_failures_are_not_cached(project: Path, fake: F.FakeLLM) -> None:
    cfg = make_cfg("anthropic", fake, cache="disk")
    fake.script.extend([F.garbage(), F.garbage()])
    (out,), _ = review_findings([SECRET], root=project, settings=cfg, enabled=True)
    assert out.review.verdict == "unreviewed"
    (out,), stats = review_findings([SECRET], root=project, settings=cfg, enabled=True)
    assert out.review.verdict == "confirmed" and stats["cache_hits"] == 0


def test_redis_cache(project: Path, fake: F.FakeLLM, redis_url: str) -> None:
    import redis

    cfg = make_cfg("anthropic", fake, cache=redis_url, cache_ttl=600)
    first, second, _ = _twice(project, fake, cfg)
    assert [f.review for f in first] == [f.review for f in second]
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("wardgate:llm:*")
    assert len(keys) == 3 and 0 < client.ttl(keys[0]) <= 600
    assert not (project / ".wardgate-cache").exists()


def test_redis_down_degrades_to_no_cache(project: Path, fake: F.FakeLLM) -> None:
    from .conftest import free_port

    cfg = make_cfg("anthropic", fake, cache=f"redis://127.0.0.1:{free_port()}/0")
    (out,), stats = review_findings([SECRET], root=project, settings=cfg, enabled=True)
    assert out.review.verdict == "confirmed" and "redis" in stats["warnings"][0]
