"""Pydantic models: requests, records and queue messages."""
