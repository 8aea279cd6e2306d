"""Cambodia's and Viet Nam's repatriation instances, side by side on the real servers."""

from tests.support.repatriation import countries, pki

__all__ = ["countries", "pki"]
