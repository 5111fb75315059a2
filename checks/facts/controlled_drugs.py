"""Controlled substances: which models are controlled drugs, which functions record a witness, and
what records an override (seed 000 §25.2).

A model is a controlled drug when config names it (`controlled_drug_models`), its name says so
(`ControlledDrug`, `NarcoticStock`, `OpioidLedger`), it has a controlling flag (`is_controlled`,
`controlled_substance`, `requires_witness`…), or it is a drug model with a schedule field
(`schedule`, `dea_schedule`, `cd_schedule`…); `controlled_drug_fields` adds field names. The
collector records, per function, whether it mentions a witness (a `witnessed_by` field or keyword, a
`require_witness()` call, `witness_fields` / `witness_checks` from config), so that a dispense path
whose helper records the witness passes. Every test here leans towards "recorded": a rule that
cries wolf on a pharmacy's dispense code is switched off, and then it protects nobody.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..names import ImportMap, last_part, matches
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "controlled_drugs"

# `schedule` alone is also a dosing schedule ("TDS") on orders and charts: it marks a controlled drug
# only on a drug catalogue model. The other names say so wherever they are.
SCHEDULE_FIELDS = frozenset({"schedule", "drug_schedule", "schedule_class"})
FLAG_FIELDS = frozenset({"is_controlled", "controlled", "is_controlled_drug", "controlled_drug", "is_cd",
                         "controlled_substance", "is_controlled_substance", "is_narcotic", "narcotic",
                         "requires_witness", "witness_required", "dea_schedule", "cd_schedule",
                         "controlled_schedule", "csa_schedule", "narcotic_schedule"})
CONTROLLED_NAME = re.compile(r"controlled|narcotic|opioid", re.IGNORECASE)
DRUG_CATALOGUE = re.compile(r"drug|medicine|medication$|formulary|product|substance|preparation|stockitem",
                            re.IGNORECASE)
NOT_CATALOGUE = re.compile(r"order|prescri|request|administ|dose|dosing|plan|round|chart|schedule|dispens",
                           re.IGNORECASE)
WITNESS = re.compile(r"witness|countersign|co_?sign|second_(?:person|check|signature|signatory|nurse|pharmacist|"
                     r"checker|verifier)|double_?check|two_person|dual_sign", re.IGNORECASE)
OVERRIDE_REASON = re.compile(r"reason|justification|rationale", re.IGNORECASE)
OVERRIDE_WHO = re.compile(r"overrid\w*_by|override_user|overrid\w*_by_id|authori[sz]ed_by|approved_by|"
                          r"audit|record_override|log_override", re.IGNORECASE)


def mentions(fn: ast.AST, pattern: re.Pattern[str], names: list[str], imports: ImportMap | None = None) -> bool:
    """Any use in the body (not a bare parameter) of a name matching `pattern` or `names`: an
    attribute, variable, keyword argument, dict key or called function."""
    exact = {n.lower() for n in names}

    def hit(text: str | None) -> bool:
        return bool(text) and (bool(pattern.search(text)) or last_part(text).lower() in exact)  # type: ignore[arg-type]

    for n in walk(fn):
        if isinstance(n, ast.Attribute) and hit(n.attr):
            return True
        if isinstance(n, ast.Name) and hit(n.id):
            return True
        if isinstance(n, ast.keyword) and hit(n.arg):
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 60 and hit(n.value):
            return True
        if isinstance(n, ast.Call) and imports is not None and names and matches(imports.qualname(n.func), *names):
            return True
    return False


def records_witness(fn: ast.AST, vocab: Vocabulary, imports: ImportMap | None = None) -> bool:
    return mentions(fn, WITNESS, [*vocab.witness_fields, *vocab.witness_checks], imports)


@dataclass
class FileWitness:
    functions: list[str] = field(default_factory=list)  # qualnames of functions that record a witness


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileWitness | None:
    assert src.tree is not None
    configured = [last_part(n) for n in (*vocab.witness_fields, *vocab.witness_checks)]
    if not (WITNESS.search(src.text) or any(n and n in src.text for n in configured)):
        return None  # a cheap pre-filter: most files never mention a witness
    out = FileWitness()
    prefix = imports.module

    def visit(body: list[ast.stmt], klass: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                visit(stmt.body, f"{prefix}.{stmt.name}" if prefix else stmt.name)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and records_witness(stmt, vocab, imports):
                out.functions.append(f"{klass or prefix}.{stmt.name}" if (klass or prefix) else stmt.name)

    visit(src.tree.body, None)
    return out if out.functions else None


@dataclass
class WitnessIndex:
    functions: set[str] = field(default_factory=set)


def merge(per_file: dict[str, FileWitness], vocab: Vocabulary) -> WitnessIndex:
    return WitnessIndex({q for fw in per_file.values() for q in fw.functions})


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()


def controlled_models(models: object, vocab: Vocabulary) -> dict[str, str]:
    """Model qualname -> why it is a controlled drug (for the message)."""
    out: dict[str, str] = {}
    if models is None:
        return out
    named = {last_part(n).lower() for n in vocab.controlled_drug_models}
    extra = {f.lower() for f in vocab.controlled_drug_fields}
    for q in models.django:  # type: ignore[attr-defined]
        m = models.models[q]  # type: ignore[attr-defined]
        fields = set(m.fields)
        if m.name.lower() in named:
            out[q] = f"`{m.name}` is configured as a controlled drug"
        elif CONTROLLED_NAME.search(m.name):
            out[q] = f"`{m.name}` is a controlled-drug model"
        elif fields & (FLAG_FIELDS | extra):
            out[q] = f"`{m.name}.{min(fields & (FLAG_FIELDS | extra))}` marks controlled drugs"
        elif fields & SCHEDULE_FIELDS and DRUG_CATALOGUE.search(m.name) and not NOT_CATALOGUE.search(m.name):
            out[q] = f"`{m.name}.{min(fields & SCHEDULE_FIELDS)}` holds the drug's controlled-substance schedule"
    return out


def related_controlled(models: object, model: str, controlled: dict[str, str], depth: int = 2) -> str | None:
    """Why `model` is about a controlled drug: it is one, or a foreign key leads to one (two hops:
    `Dispensation.order -> MedicationOrder.drug -> Drug.schedule`)."""
    if model in controlled:
        return controlled[model]
    m = models.models.get(model) if models is not None else None  # type: ignore[attr-defined]
    if m is None or depth == 0:
        return None
    for f in m.fields.values():
        if f.kind in ("ForeignKey", "OneToOneField"):
            target = models.lookup(f.target)  # type: ignore[attr-defined]
            if target is not None and target.qualname != model:
                why = related_controlled(models, target.qualname, controlled, depth - 1)
                if why:
                    return why
    return None
