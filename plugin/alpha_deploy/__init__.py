"""alpha-deploy: health-gated, zero-downtime releases onto the Alpha host."""

__version__ = "0.1.0"
