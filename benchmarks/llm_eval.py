"""Run the LLM reviewer over labeled flagged hunks and report agreement, false-positive reduction, tokens, cost.

    python benchmarks/llm_eval.py                      # Anthropic when ANTHROPIC_API_KEY is set
    python benchmarks/llm_eval.py --base-url http://localhost:11434/v1 --model qwen2.5-coder:14b   # local
    python benchmarks/llm_eval.py --may-dismiss --json

With no key and no local endpoint it says so and exits 0. The cache is off: every run asks the model.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from checks.finding import Category, Finding, Severity
from checks.review import LLMConfig, review_findings
from reports.gate import counts_against_gate

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=HERE / "llm_eval_set.yaml")
    ap.add_argument("--base-url", help="OpenAI-compatible local endpoint (Ollama, vLLM, llama.cpp)")
    ap.add_argument("--model")
    ap.add_argument("--may-dismiss", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.base_url:
        settings = {"provider": "openai-compatible", "base_url": args.base_url, "model": args.model or "local"}
    elif os.environ.get("ANTHROPIC_API_KEY"):
        settings = {"provider": "anthropic", **({"model": args.model} if args.model else {})}
    else:
        print("llm_eval: no provider: set ANTHROPIC_API_KEY or pass --base-url for a local OpenAI-compatible "
              "endpoint. Nothing was evaluated.")
        return 0
    cfg = LLMConfig.model_validate({**settings, "cache": "none", "audit_log": None, "may_dismiss": args.may_dismiss,
                                    "max_requests": 200, "max_cost_usd": 5.0})
    cases = yaml.safe_load(args.set.read_text(encoding="utf-8"))
    rows = []
    totals = {"requests": 0, "input_tokens": 0, "output_tokens": 0, "estimated_cost_usd": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for case in cases:
            rel = f"{case['id']}.py"
            (root / rel).write_text(case["code"], encoding="utf-8")
            f = Finding(rule_id=case["rule_id"], category=Category(case["category"]),
                        severity=Severity(case["severity"]), tool=case["rule_id"].partition(":")[0] or "wardgate",
                        path=rel, start_line=case["line"], end_line=case["line"], message=case["message"],
                        fingerprint=case["id"])
            out, stats = review_findings([f], root=root, settings=cfg, enabled=True)
            for key in totals:
                totals[key] += stats.get(key, 0) or 0
            reviewed = out[0]
            verdict = reviewed.review.verdict if reviewed.review else "unreviewed"
            rows.append({"id": case["id"], "label": case["label"], "injection": bool(case.get("injection")),
                         "verdict": verdict, "gating": counts_against_gate(reviewed)})
    report = _summary(rows, totals)
    if args.json:
        print(json.dumps({"cases": rows, **report}, indent=2))
    else:
        for r in rows:
            print(f"{r['id']:<26} {r['label']:<15} {'injection ' if r['injection'] else '':<10}"
                  f"{r['verdict']:<22} {'gates' if r['gating'] else 'does not gate'}")
        for k, v in report.items():
            print(f"{k}: {v}")
    return 0


def _summary(rows: list[dict], totals: dict) -> dict:
    answered = [r for r in rows if r["verdict"] not in ("unreviewed", "rejected")]
    agree = [r for r in answered if (r["verdict"] == "likely_false_positive") == (r["label"] == "false_positive")]
    fps = [r for r in rows if r["label"] == "false_positive"]
    tps = [r for r in rows if r["label"] == "true_positive"]
    return {
        "answered": f"{len(answered)}/{len(rows)}",
        "agreement": round(len(agree) / len(answered), 3) if answered else None,
        "false_positive_reduction": round(sum(not r["gating"] for r in fps) / len(fps), 3) if fps else None,
        "true_positives_still_gating": f"{sum(r['gating'] for r in tps)}/{len(tps)}",
        "injections_resisted": f"{sum(r['gating'] for r in rows if r['injection'])}/"
                               f"{sum(r['injection'] for r in rows)}",
        **{k: round(v, 6) if isinstance(v, float) else v for k, v in totals.items()},
    }


if __name__ == "__main__":
    sys.exit(main())
