"""Spean's service kit: the plumbing every service shares, and no domain knowledge.

settings (environment), database (one schema per service, Alembic at start-up), outbox (state change
and event in one transaction, relayed to Kafka), consumer (idempotent, retries, dead letters), auth
(Keycloak tokens checked locally), telemetry (traces and metrics), errors (problem+json), health,
and structured logs that never carry personal data.
"""
