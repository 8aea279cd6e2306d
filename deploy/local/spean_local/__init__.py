"""Local real servers for Spean: Kafka (KRaft), Keycloak and PostgreSQL, started without Docker."""
