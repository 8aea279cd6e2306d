"""The registry's settings: the kit's, plus the statistics' suppression threshold."""

from __future__ import annotations

from pydantic import Field

from spean_kit.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    agency: str = "MOJ"
    small_cell_threshold: int = Field(default=11, ge=2, description="No count below this is published.")
