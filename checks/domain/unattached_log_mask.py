from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..source import SourceFile

# A filter that hides identifiers, by its name in LOGGING or its class: `sensitive_data_filter`, `MaskPHI`.
_MASKING = re.compile(r"mask|redact|scrub|sensitive|pii|phi|anonymi|pseudonym|obfuscat", re.IGNORECASE)


class UnattachedLogMask(Check):
    """## What it does
    Flags a masking filter declared in Django's `LOGGING` settings (under `filters`, named or built to mask,
    redact or scrub identifiers) that no handler and no logger lists in its own `filters`. `logging.config`
    builds such a filter and then never runs it.

    ## Why is this bad?
    The team believes identifiers are masked before they reach the log store; they are not. Every patient
    identifier the code logs goes to the aggregator in clear text. HIPAA §164.312(b); §164.502(b) minimum
    necessary.

    ## Example
    ```python
    LOGGING = {
        "version": 1,
        "filters": {"mask_mbi": {"()": "apps.logging.MaskMBIFilter"}},
        "handlers": {"cloudwatch": {"class": "watchtower.CloudWatchLogHandler"}},
    }
    ```

    Use instead: list the filter on every handler that leaves the machine:
    `"cloudwatch": {"class": "watchtower.CloudWatchLogHandler", "filters": ["mask_mbi"]}`.
    """

    code = "WG509"
    name = "unattached-log-mask"
    category = Category.PHI
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 532
    summary = "Masking log filter declared in LOGGING but attached to no handler or logger"
    hipaa = "§164.312(b) audit controls; §164.502(b) minimum necessary"

    VALID = (
        Valid("""\
            LOGGING = {
                "version": 1,
                "filters": {"mask_mbi": {"()": "apps.logging.MaskMBIFilter"}},
                "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_mbi"]}},
            }
            """, path="proj/settings.py"),
        Valid("""\
            LOGGING = {
                "version": 1,
                "filters": {"mask_mbi": {"()": "apps.logging.MaskMBIFilter"}},
                "loggers": {"audit": {"handlers": ["console"], "filters": ["mask_mbi"]}},
            }
            """, path="proj/settings.py"),
        # Not a masking filter.
        Valid("""\
            LOGGING = {
                "version": 1,
                "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
                "handlers": {"console": {"class": "logging.StreamHandler"}},
            }
            """, path="proj/settings.py"),
    )
    INVALID = (
        Invalid("""\
            import environ
            env = environ.Env()
            LOGGING = env("DJANGO_LOGGING", {
                "version": 1,
                "filters": {
                    "require_debug_true": {"()": "django.utils.log.RequireDebugTrue"},
                    "sensitive_data_filter": {"()": SensitiveDataFilter},
                },
                "handlers": {
                    "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "filters": ["require_debug_true"]},
                    "cloudwatch": {"class": "watchtower.CloudWatchLogHandler"},
                },
            })
            """, line=7, path="proj/settings.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return src.looks_like_settings and "filters" in src.text

    def visit_Dict(self, node: ast.Dict) -> None:
        keys = _keys(node)
        filters = keys.get("filters")
        if not isinstance(filters, ast.Dict) or not ({"handlers", "loggers", "root"} & set(keys)):
            return  # not a dictConfig (a handler's own `filters` list is a list)
        configs = [cfg for part in ("handlers", "loggers") for section in [keys.get(part)]
                   if isinstance(section, ast.Dict) for cfg in section.values if isinstance(cfg, ast.Dict)]
        root = keys.get("root")
        configs += [root] if isinstance(root, ast.Dict) else []
        lists = [_keys(cfg).get("filters") for cfg in configs]
        if any(f is not None and _names(f) is None for f in lists):
            return  # a list built from names (`[SENSITIVE_DATA_FILTER]`): which filters it holds is unknown
        used = {name for f in lists for name in _names(f) or ()}
        for key, cfg in zip(filters.keys, filters.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)) or key.value in used:
                continue
            factory = _keys(cfg).get("()") if isinstance(cfg, ast.Dict) else None
            described = key.value + " " + (ast.unparse(factory) if factory is not None else "")
            mentions = sum(1 for n in self.ctx.src.nodes if isinstance(n, ast.Constant) and n.value == key.value)
            if _MASKING.search(described) and mentions == 1:  # named again elsewhere: attached by later code
                self.report(key, f"Log filter `{key.value}` masks identifiers but no handler or logger lists it in "
                            "`filters`: logging builds it and never runs it, so identifiers reach the logs unmasked.",
                            fix=f'Add "{key.value}" to the `filters` of every handler (or the root logger).')


def _keys(node: ast.AST) -> dict[str, ast.expr]:
    if not isinstance(node, ast.Dict):
        return {}
    return {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)}


def _names(node: ast.expr | None) -> set[str] | None:
    """The filter names a `filters` list holds; None when one of them is not a literal."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    names = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return names if len(names) == len(node.elts) else None
