"""JUnit XML for CI systems without SARIF: one test case per finding that counts against the
gate (a failure) plus one per gate condition; the rest are skipped test cases."""
from __future__ import annotations

from ..gate import counts_against_gate
from ..model import Report


def render(report: Report, **_: object) -> str:
    from xml.etree import ElementTree as ET  # here: every other format would pay for its import

    suites = ET.Element("testsuites", name="wardgate")
    gate_suite = ET.SubElement(suites, "testsuite", name="wardgate.gate")
    for c in report.gate.conditions:
        case = ET.SubElement(gate_suite, "testcase", classname="wardgate.gate", name=c.description)
        if not c.held:
            ET.SubElement(case, "failure", message=c.detail or "not met", type=c.id).text = c.detail
    gate_suite.set("tests", str(len(report.gate.conditions)))
    gate_suite.set("failures", str(sum(not c.held for c in report.gate.conditions)))
    suite = ET.SubElement(suites, "testsuite", name="wardgate.findings")
    failures = skipped = 0
    for f in report.findings:
        case = ET.SubElement(suite, "testcase", classname=f.path.replace("/", ".").removesuffix(".py"),
                             name=f"{f.rule_id} at {f.path}:{f.start_line}", file=f.path, line=str(f.start_line))
        text = f"{f.path}:{f.start_line}: {f.rule_id} [{f.severity.value}, {f.category.value}] {f.message}"
        if counts_against_gate(f):
            failures += 1
            ET.SubElement(case, "failure", message=f.message, type=f.severity.value).text = text
        else:
            skipped += 1
            why = ("suppressed: " + f.suppression.justification if f.suppression else
                   "in baseline" if f.baseline_state == "unchanged" else
                   "outside the diff" if f.in_diff is False else "advisory")
            ET.SubElement(case, "skipped", message=why)
    suite.set("tests", str(len(report.findings)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
