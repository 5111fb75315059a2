"""Project-wide fact collectors (see checks/index.py). One module per kind of fact."""
from __future__ import annotations

from ..flows import index as flows
from ..index import Collector
from . import clinical_functions, django_code, django_models

COLLECTORS: tuple[Collector, ...] = (django_models.COLLECTOR, django_code.COLLECTOR,
                                    clinical_functions.COLLECTOR, flows.COLLECTOR)
