"""wardgate's own problems (category `wardgate`): files it could not analyse, tools that skipped files.

They are findings, not log lines, so that a file never vanishes silently from the report.
"""
from __future__ import annotations

from functools import partial

from .finding import Category, Severity
from .rulemeta import RuleMeta

_DOC = """## What it does
{what}

## Why is this bad?
A file that was not analysed is a file whose problems nobody saw. wardgate reports it so the
gate never passes silently over code it could not read.

## Example
{example}

Use instead:
{instead}
"""


def _rule(code: str, name: str, severity: Severity, summary: str, what: str, example: str, instead: str, *,
          doc: str = _DOC) -> RuleMeta:
    """A `wardgate` rule whose documentation fills `doc` (a template with what/example/instead)."""
    return RuleMeta(id=code, name=name, category=Category.WARDGATE, severity=severity, tool="wardgate",
                    summary=summary, doc=doc.format(what=what, example=example, instead=instead))


INTERNAL_RULES: tuple[RuleMeta, ...] = (
    _rule("WG001", "unreadable-file", Severity.MEDIUM, "File could not be read",
          "Reports a file that could not be read (permissions, broken link, I/O error).",
          "`clinic/views.py` is a dangling symlink.", "Fix the file or exclude it in `[tool.wardgate] exclude`."),
    _rule("WG002", "binary-python-file", Severity.MEDIUM, "Binary content in a .py file",
          "Reports a `.py` file with NUL bytes: a compiled or corrupted file under a source name.",
          "A `.pyc` renamed to `.py`.", "Remove it from the tree or exclude it."),
    _rule("WG003", "not-utf8", Severity.MEDIUM, "File is not valid UTF-8",
          "Reports a file that is neither UTF-8 nor has a valid PEP 263 coding declaration.",
          "A Latin-1 file with `é` and no `# -*- coding: latin-1 -*-` line.",
          "Re-save the file as UTF-8 (or declare its encoding)."),
    _rule("WG004", "file-too-large", Severity.MEDIUM, "File is larger than max_file_size",
          "Reports a file above `max_file_size` (default 1,000,000 bytes), typically generated code.",
          "A 5 MB generated protobuf module.", "Exclude generated files, or raise `max_file_size`."),
    _rule("WG005", "syntax-error", Severity.HIGH, "Python syntax error: file not analysed",
          "Reports a file that no Python parser accepts (neither the stdlib `ast` nor libcst).",
          "`def f(:`", "Fix the syntax error; the file is then analysed as usual."),
    _rule("WG006", "newer-python-syntax", Severity.LOW, "Some tools skipped a file with newer Python syntax",
          "Reports a file that libcst, ruff and semgrep parse but the interpreter running wardgate "
          "does not (e.g. Python 3.12 `type` statements on 3.11): wardgate's AST checks, bandit and radon "
          "skipped it.", "`type Vector = list[float]` analysed by wardgate on Python 3.11.",
          "Run wardgate with the Python version the project targets."),
    _rule("WG016", "python2-file", Severity.LOW, "Tools skipped a Python 2 file that wardgate's checks read",
          "Reports a file written in Python 2 (print statements, `except E, e:`): wardgate's AST checks read it "
          "through a line-preserving rewrite of its Python 2 syntax (fissix, the maintained lib2to3), while ruff, "
          "bandit, radon and semgrep, which parse Python 3, did not analyse it.", "`print \"admitted\", patient` "
          "in a legacy management command.", "Port the file to Python 3 (2to3), or run the tools on it separately."),
    _rule("WG015", "file-nested-too-deeply", Severity.HIGH, "File nested too deeply to parse: not analysed",
          "Reports a file that Python's parser refuses for its nesting (thousands of chained operators or "
          "nested brackets) or that crashed libcst in its child process. The run goes on without it.",
          "`x = ((((…1…))))` with 3,000 nested parentheses.", "Simplify the expression or split the file."),
    _rule("WG007", "tool-skipped-file", Severity.LOW, "An external tool could not analyse a file",
          "Reports a file that one external tool (ruff, bandit, radon or semgrep) failed on while the "
          "others analysed it.", "semgrep times out on one very long file.",
          "Read the message: it names the tool and its error."),
)

# Suppression problems (reports/suppress.py): a suppression must name a known rule, give a reason
# for the medical categories, stay current and still match something.
_SUPPRESSION_DOC = """## What it does
{what}

## Why is this bad?
A suppression hides a finding from the gate. In hospital code an auditor must be able to see
what was hidden, why, and that the reason still holds; a careless or stale suppression hides
the next real problem on that line.

## Example
{example}

Use instead:
{instead}
"""


_suppression_rule = partial(_rule, doc=_SUPPRESSION_DOC)


INTERNAL_RULES += (
    _suppression_rule("WG008", "suppression-without-reason", Severity.MEDIUM,
                      "Suppression of a medical-category rule without a reason",
                      "Reports `# wardgate: ignore[...]` (or a config suppression) without a reason for a rule "
                      "in the audit-trail, permission, dosage, secret or PHI category. It does not apply.",
                      "`Patient.objects.update(ward=w)  # wardgate: ignore[WG202]`",
                      "`Patient.objects.update(ward=w)  # wardgate: ignore[WG202] -- bulk transfer audited "
                      "by TransferLog (CLIN-42)`"),
    _suppression_rule("WG009", "suppression-unknown-rule", Severity.MEDIUM,
                      "Suppression names no rule or an unknown rule id",
                      "Reports a suppression whose rule id wardgate does not know (a typo, a removed rule), or "
                      "a bare `# wardgate: ignore` that names no rule.",
                      "`# wardgate: ignore[WG1O1] legacy key`", "`# wardgate: ignore[WG101] legacy key`"),
    _suppression_rule("WG010", "expired-suppression", Severity.MEDIUM, "Configured suppression has expired",
                      "Reports a `[[tool.wardgate.suppressions]]` entry whose `expires` date has passed. It no "
                      "longer applies.", '`expires = 2024-01-31` on an entry still in the config.',
                      "Fix the findings and delete the entry, or review it and set a new date."),
    _suppression_rule("WG011", "unused-suppression", Severity.LOW, "Suppression matches no finding",
                      "Reports an inline or configured suppression that matches no finding any more.",
                      "`x = 1  # wardgate: ignore[WG101] old key` after the key was removed.",
                      "Delete the suppression."),
)

# The change under review edits its own gate (wardgate/trust.py, README "Trust model").
_TRUST_DOC = """## What it does
{what}

## Why is this bad?
The change under review is untrusted input: a pull request that could switch off the checks that
judge it would pass any code. In a `--diff BASE` run wardgate judges the change with BASE's
configuration and reports every edit to it; the edit takes effect once merged, after security
approval (`--approved-by security` marks these findings approved).

## Example
{example}

Use instead:
{instead}
"""


_trust_rule = partial(_rule, doc=_TRUST_DOC)


INTERNAL_RULES += (
    _trust_rule("WG012", "change-edits-gate-config", Severity.HIGH,
                "The change edits the gate's configuration, suppressions or baseline",
                "Reports, in words, each difference between the configuration at the diff base and the "
                "change's: excludes, disabled rules, severities, `fail_on`, `max_file_size`, tool switches, "
                "config suppressions, the LLM endpoint and key name, paths; and edits to a baseline file.",
                '`exclude = ["clinic/**"]` added in the pull request that adds `clinic/views.py`.',
                "Change the configuration in its own pull request, approved by security."),
    _trust_rule("WG013", "change-adds-suppression", Severity.HIGH,
                "The change adds an inline suppression of a medical or security finding",
                "Reports a `# wardgate: ignore[...]` comment on a changed line that hides a finding in a "
                "medical category or `security`. The suppression applies; the change needs security approval.",
                "`logger.info(patient.mrn)  # wardgate: ignore[WG301] -- ok`",
                "Fix the finding, or have security approve the suppression and its reason."),
)
INTERNAL_RULES += (
    _suppression_rule("WG014", "unexplained-tool-suppression", Severity.MEDIUM,
                      "A tool comment tries to hide a medical or security finding",
                      "Reports a `# noqa`, `# nosec` or `# nosemgrep` that covers a finding in a medical "
                      "category or `security` with no `# wardgate: ignore[...]` and reason. wardgate runs the "
                      "tools with their comments switched off and applies them itself: they still silence "
                      "`quality` findings, never these. The finding stands.",
                      "`DEBUG = True  # nosemgrep`", "`DEBUG = True  # wardgate: ignore[WG601] -- local "
                      "development settings, never deployed (OPS-12)`"),
)

INTERNAL_RULES += (
    RuleMeta(id="WG020", name="unresolved-project-facts", category=Category.WARDGATE, severity=Severity.INFO,
             tool="wardgate", summary="Some access-control or audit facts could not be resolved",
             doc="""## What it does
Reports, once per run, the views whose access control and the patient models whose audit trail wardgate
could not resolve, because they come from a base class, mixin or decorator in a package it cannot read;
and raw SQL whose effect it cannot tell (SQL that does not parse, or a write to a table named at run time); and
a project with Django models none of which it recognises as holding patient data (records kept in JSON fields or
generic entities), where the patient-data checks had nothing to judge; and a routed GraphQL API (graphene-django,
strawberry, ariadne), whose queries and mutations wardgate does not read. No gating finding rests on such an unknown fact: these views, models and statements are neither flagged nor
cleared.

## Why is this bad?
What wardgate cannot read it cannot judge. A gate that guessed would either cry wolf (calling an
installed package's login mixin "no authentication") or stay silent where the package adds nothing.

## Example
`class Chart(SsoStaffMixin, DetailView)` where `SsoStaffMixin` comes from an installed package that is not
in the tree.

Use instead:
Point wardgate at the project's environment (`[tool.wardgate] python = ".venv"`, or run it with the
project's virtualenv as `VIRTUAL_ENV`), or declare what the base does in `[tool.wardgate.domain]`
(`permission_mixins`, `audit_base_classes`, `login_required_middleware`). For raw SQL, keep the table name
literal (a constant or the string itself; parameters may vary). `wardgate facts` lists every unknown.
"""),
)
