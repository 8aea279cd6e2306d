"""The registry's settings: the kit's, plus the statistics' suppression threshold and what research records
may tell of who a person is."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from spean_kit.settings import ServiceSettings

# What an outsider may know of a person, and find in a research record: when and where they were found, who.
Describing = Literal["year", "province", "sex", "age_band", "nationality"]


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    agency: str = "MOJ"
    small_cell_threshold: int = Field(default=11, ge=2, description="No count below this is published.")
    research_quasi_identifiers: tuple[Describing, ...] = Field(
        default=("year", "sex", "age_band", "nationality"),
        description="What research records tell of who a person is and where, each shared by k records or more;"
        " the others are left out. No province by default, as the Counter Trafficking Data Collaborative releases"
        " no place finer than a country.",
    )
