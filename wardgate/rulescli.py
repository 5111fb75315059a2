"""`wardgate rules` (every rule with id, category, severity and rationale) and `wardgate explain RULE`."""
from __future__ import annotations

import argparse
import json
import sys

from checks.registry import all_rules

from .cliutil import EXIT_PASS, EXIT_USAGE, Parser
from .explain import explain as explain_rule


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    rules_ = sub.add_parser("rules", help="list every rule with id, category, severity and rationale")
    rules_.set_defaults(command_main=rules)
    rules_.add_argument("--format", choices=("text", "json"), default="text")

    explain_ = sub.add_parser("explain", help="show a rule's documentation and examples (any case; ruff and "
                                               "bandit rules show the tool's own documentation)")
    explain_.set_defaults(command_main=explain)
    explain_.add_argument("rule_id")


def rules(args: argparse.Namespace) -> int:
    ordered = sorted(all_rules().values(), key=lambda r: r.id)
    if args.format == "json":
        print(json.dumps([r.model_dump(mode="json", exclude={"doc"}) for r in ordered], indent=2))
        return EXIT_PASS
    width = max(len(r.id) for r in ordered)
    for r in ordered:
        print(f"{r.id:<{width}}  {r.category.value:<11} {r.severity.value:<8} {r.tool:<8} {r.summary}")
    return EXIT_PASS


def explain(args: argparse.Namespace) -> int:
    text = explain_rule(args.rule_id)
    if text is None:
        print(f"wardgate: unknown rule {args.rule_id!r}; `wardgate rules` lists them", file=sys.stderr)
        return EXIT_USAGE
    print(text, end="")
    return EXIT_PASS
