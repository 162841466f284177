"""OpenAI-compatible speech (``POST /v1/audio/speech``): request, voices, sentence-by-sentence
synthesis and streamed containers.

The request model and voice mapping are pure Python (the light API function lists models and
voices with them); synthesis and encoding import the audio stack on use.
"""
