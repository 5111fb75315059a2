"""Raw SQL write paths: statement kinds and tables from sqlglot, SQL text rebuilt from Python, unknowns."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.domain.audit_bypassing_write import AuditBypassingWrite
from checks.engine import run_checks
from checks.facts import COLLECTORS
from checks.facts.raw_sql import SqlWrite, parse_sql
from checks.facts.unknowns import unresolved
from checks.vocabulary import Vocabulary
from tests.checks.test_audit_trail import AUDIT, MODELS, lines


@pytest.mark.parametrize(("sql", "writes"), [
    ("UPDATE clinic_encounter SET ward = %s WHERE id = %(pk)s", [("UPDATE", "clinic_encounter")]),
    ('update "public"."clinic_patient" set mrn = NULL', [("UPDATE", "clinic_patient")]),
    ("INSERT INTO clinic_patient (mrn) SELECT mrn FROM staging ON CONFLICT (mrn) DO NOTHING",
     [("INSERT", "clinic_patient")]),
    ("DELETE FROM clinic_patient p USING clinic_ward w WHERE p.ward_id = w.id", [("DELETE", "clinic_patient")]),
    ("WITH gone AS (DELETE FROM clinic_visit RETURNING id) SELECT count(*) FROM gone", [("DELETE", "clinic_visit")]),
    ("MERGE INTO clinic_patient t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET mrn = s.mrn",
     [("MERGE", "clinic_patient")]),
    ("TRUNCATE TABLE clinic_visit", [("TRUNCATE", "clinic_visit")]),
    ("UPDATE `clinic_patient` SET mrn = ?", [("UPDATE", "clinic_patient")]),
    # Reads, a comment mentioning UPDATE, DDL and things that are not SQL change no rows.
    ("SELECT * FROM clinic_patient WHERE note = 'UPDATE clinic_patient'", []),
    ("-- UPDATE clinic_patient\nSELECT 1", []),
    ("-- nightly fix\n/* ticket 42 */ UPDATE clinic_visit SET ward = 1", [("UPDATE", "clinic_visit")]),
    ("{ patients { update } }", []),
])
def test_statement_kinds_and_tables(sql: str, writes: list[tuple[str, str]]) -> None:
    parsed = parse_sql(sql)
    assert parsed.unknown is None
    assert list(parsed.writes) == [SqlWrite(k, t) for k, t in writes]


@pytest.mark.parametrize("sql", ["UPDATE clinic_patient SET mrn = 'x", "REPLACE INTO clinic_patient VALUES (1)",
                                 "UPDATE __wg_dyn__ SET mrn = NULL"])
def test_unparsable_or_dynamic_sql_is_unknown(sql: str) -> None:
    assert parse_sql(sql).unknown


CONCAT = ("from django.db import connection\n\nTABLE = 'adt_admission'\n\ndef fix(ward):\n"
          "    sql = 'UPDATE ' + TABLE\n    sql += ' SET ward = %s'\n    connection.cursor().execute(sql, [ward])\n")


def test_sql_built_by_concatenation_with_a_constant_table() -> None:
    assert lines(AuditBypassingWrite, CONCAT, MODELS, AUDIT) == [8]
    # The counter-case: the same statement on a table that is no audited patient model's.
    assert lines(AuditBypassingWrite, CONCAT.replace("adt_admission", "adt_bed"), MODELS, AUDIT) == []


def test_percent_and_format_keep_a_literal_table() -> None:
    code = ("from django.db import connection\n\ndef fix(col, val):\n    c = connection.cursor()\n"
            "    c.execute('UPDATE adt_admission SET %s = %%s' % col, [val])\n"
            "    c.execute('UPDATE {t} SET ward = 1'.format(t=val))\n")
    assert lines(AuditBypassingWrite, code, MODELS, AUDIT) == [5]


def test_unknown_raw_sql_reaches_the_unresolved_note(tmp_path: Path) -> None:
    files = {"clinic/models.py": MODELS[1], "clinic/audit.py": AUDIT[1],
             "clinic/jobs.py": "from django.db import connection\n\ndef fix(t):\n"
                               "    connection.cursor().execute(f'DELETE FROM {t}')\n"
                               "    connection.cursor().execute('DELETE FROM adt_admission WHERE (')\n",
             "clinic/tests/test_jobs.py": "def test_it(cursor):\n    cursor.execute('UPDATE x SET (')\n"}
    for rel, code in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(code)
    engine = run_checks(tmp_path, sorted(files), vocab=Vocabulary(), checks=[AuditBypassingWrite],
                        collectors=COLLECTORS, jobs=1)
    assert [f for f in engine.findings if f.rule_id == "WG202"] == []  # no gating finding on an unknown
    assert [(p, n) for p, n, what in unresolved(engine.project) if "raw SQL" in what] == [
        ("clinic/jobs.py", 4), ("clinic/jobs.py", 5)]  # the test file's SQL is not the project's


def test_audit_table_rewritten_through_a_constant_is_tampering() -> None:
    from checks.domain.audit_trail_tampering import AuditTrailTampering

    code = ("from django.db import connection\n\nPURGE = 'TRUNCATE TABLE clinic_historicalpatient'\n\n"
            "def purge():\n    connection.cursor().execute(PURGE)\n")
    assert lines(AuditTrailTampering, code, MODELS) == [6]
    assert lines(AuditTrailTampering, code.replace("TRUNCATE TABLE", "SELECT * FROM"), MODELS) == []
