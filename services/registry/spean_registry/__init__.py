"""Registry: one national record per victim, court outcomes and privacy-safe statistics."""
