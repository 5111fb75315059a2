"""Shared pieces of the report models."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """A part of the report: frozen, and tolerant of keys a newer wardgate may add (merge reads old reports)."""

    model_config = ConfigDict(frozen=True)


def absent_if_unset(default: Any = None, **kw: Any) -> Any:
    """A field the JSON leaves out while it holds its default (None, or an empty list)."""
    return Field(default=default, exclude_if=lambda v: v is None or v == [] or v == "", **kw)
