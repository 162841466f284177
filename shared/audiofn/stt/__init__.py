"""Speech-to-text: Whisper transcription and word-error-rate scoring."""
