"""footfall: an edge agent that turns in-store sensors into anonymous aggregates on MQTT."""

__version__ = "0.1.0"
