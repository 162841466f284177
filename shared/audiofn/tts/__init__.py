"""Text-to-speech: the voice catalogue (import-light) and the engines (imported lazily)."""
