"""docs/report.schema.json is generated from the report's models (`python -m wardgate.reportschema`) and
describes what `wardgate check --format json` writes."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reports.gate import decide
from reports.model import Report
from wardgate.reportschema import DEFAULT, schema

ROOT = Path(__file__).resolve().parents[2]


def test_published_schema_is_up_to_date() -> None:
    published = json.loads((ROOT / DEFAULT).read_text(encoding="utf-8"))
    assert published == schema(), "docs/report.schema.json is out of date: run `python -m wardgate.reportschema`"


def test_schema_is_valid_and_a_report_reads_back() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    report = Report(version="t", findings=[], gate=decide([]))
    data = report.to_json_dict()
    jsonschema.validate(data, schema())
    assert Report.model_validate(data) == report
