"""Cambodia's and Viet Nam's repatriation instances, side by side on the real servers."""

from tests.support.repatriation import countries, pki
from tests.support.telemetry import telemetry_sink

__all__ = ["countries", "pki", "telemetry_sink"]
