"""The core: plain functions over pydantic models and the storage adapters."""
