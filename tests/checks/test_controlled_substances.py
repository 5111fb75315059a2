"""Controlled substances (WG405): configured names, the model's own save(), and what is not an action."""
from __future__ import annotations

from checks.base import Invalid, Valid
from checks.domain.controlled_drug_without_witness import ControlledDrugWithoutWitness as WG405
from checks.testing import run_example
from checks.vocabulary import Vocabulary

MODELS = ("ward/models.py", ("from django.db import models\n\nclass Opiate(models.Model):\n"
          "    name = models.CharField(max_length=40)\n\nclass Administration(models.Model):\n"
          "    opiate = models.ForeignKey(Opiate, on_delete=models.PROTECT)\n    checked_by = models.CharField(max_length=9)\n"))
CODE = ("from .models import Administration\n\ndef give(opiate, nurse, other):\n"
        "    return Administration.objects.create(opiate=opiate, status='administered', checked_by=other)\n")


def test_configured_controlled_model_and_witness_field() -> None:
    vocab = Vocabulary(controlled_drug_models=["Opiate"])
    found = run_example(WG405, Invalid(CODE, line=3, path="ward/mar.py", files=(MODELS,)), vocab)
    assert [f.start_line for f in found] == [3] and "configured as a controlled drug" in found[0].message
    assert run_example(WG405, Valid(CODE, path="ward/mar.py", files=(MODELS,))) == []  # not controlled by default
    vocab = Vocabulary(controlled_drug_models=["Opiate"], witness_fields=["checked_by"])
    assert run_example(WG405, Valid(CODE, path="ward/mar.py", files=(MODELS,)), vocab) == []


def test_witness_enforced_in_the_models_save() -> None:
    models = ("app/models.py", ("from django.db import models\n\nclass ControlledDrug(models.Model):\n"
              "    name = models.CharField(max_length=40)\n\nclass Wastage(models.Model):\n"
              "    drug = models.ForeignKey(ControlledDrug, on_delete=models.PROTECT)\n\n"
              "    def save(self, *a, **kw):\n        if not self.witnessed_by_id:\n"
              "            raise ValueError('witness')\n        super().save(*a, **kw)\n"))
    code = "from .models import Wastage\n\ndef waste(drug, mg):\n    Wastage.objects.create(drug=drug, mg=mg)\n"
    assert run_example(WG405, Valid(code, path="app/waste.py", files=(models,))) == []
    unguarded = models[1].split("\n\n    def save")[0] + "\n"
    found = run_example(WG405, Invalid(code, line=3, path="app/waste.py", files=(("app/models.py", unguarded),)))
    assert [f.start_line for f in found] == [3]


def test_reading_or_labelling_is_not_dispensing() -> None:
    models = ("app/models.py", ("from django.db import models\n\nclass Drug(models.Model):\n"
              "    is_controlled = models.BooleanField(default=False)\n"))
    code = ("def dispense_label(order):\n    flag = ' (CD)' if order.drug.is_controlled else ''\n"
            "    return f'{order.drug.name}{flag}'\n")
    assert run_example(WG405, Valid(code, path="app/labels.py", files=(models,))) == []


def test_wardgate_facts_lists_the_controlled_drug_models(tmp_path) -> None:
    from checks.facts.describe import describe, render_text

    (tmp_path / "app").mkdir()
    (tmp_path / "app/models.py").write_text(MODELS[1].replace("class Opiate", "class Drug").replace("Opiate,", "Drug,")
                                             .replace("name = models", "dea_schedule = models.CharField(max_length=3)\n"
                                                      "    name = models"))
    facts = describe(tmp_path, ["app/models.py"], Vocabulary(), jobs=1)
    assert [(d["model"], d["why"]) for d in facts["controlled_drugs"]] == [
        ("app.models.Drug", "`Drug.dea_schedule` marks controlled drugs")]
    assert "Controlled-drug models (1)" in render_text(facts)
