"""netops: run a city-owned network from one inventory."""

__version__ = "0.1.0"
