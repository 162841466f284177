"""audiofn: serverless, event-driven audio functions."""

__version__ = "0.1.0"
