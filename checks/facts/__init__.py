"""Project-wide fact collectors (see checks/index.py). One module per kind of fact."""
from __future__ import annotations

from ..flows import index as flows
from ..index import Collector
from . import (
    clinical_functions,
    compared_names,
    controlled_drugs,
    django_code,
    django_models,
    field_limits,
    model_params,
    predicates,
    query_properties,
    raw_sql,
    settings_modules,
    verifying_keys,
)

COLLECTORS: tuple[Collector, ...] = (django_models.COLLECTOR, django_code.COLLECTOR,
                                    clinical_functions.COLLECTOR, controlled_drugs.COLLECTOR,
                                    query_properties.COLLECTOR, model_params.COLLECTOR,
                                    raw_sql.COLLECTOR, field_limits.COLLECTOR, flows.COLLECTOR,
                                    compared_names.COLLECTOR, settings_modules.COLLECTOR,
                                    verifying_keys.COLLECTOR, predicates.COLLECTOR)
