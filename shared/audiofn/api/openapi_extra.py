"""The parts of the OpenAPI document the API function's resolver cannot generate.

* How to authenticate (`securitySchemes`), so Swagger UI's "Authorize" sends a key.
* Routes other functions serve on the same origin: buffered and streamed speech
  (`SyncSpeechFunction`, `SpeechStreamFunction`), transcription (`TranscriptionFunction`),
  content-credentials verification (`ProvenanceFunction`) and the realtime websocket
  (`RealtimeFunction`). Each is marked with `x-audiofn-function`.
* Request bodies of routes that read their body themselves (the job API's JSON and form).
"""

from __future__ import annotations

from typing import Any

FUNCTION_FIELD = "x-audiofn-function"
"""Names the function serving an operation that the API function does not serve."""

SECURITY_SCHEMES: dict[str, Any] = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "An organisation key (also accepted as `Authorization: Bearer <key>` "
        "or `Authorization: Token <key>`).",
    },
    "Bearer": {"type": "http", "scheme": "bearer", "description": "An organisation key."},
}
ADMIN_SECURITY: list[dict[str, list[str]]] = [{"Bearer": []}]  # the admin key, as a bearer
PUBLIC_PATHS = ("/health", "/track/")

OPENAI_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "integer", "null"]},
            },
            "required": ["message"],
        }
    },
    "required": ["error"],
}

_AUDIO_TYPES = ("audio/mpeg", "audio/ogg", "audio/aac", "audio/flac", "audio/wav", "audio/pcm")
_CREDENTIAL_TYPES = (
    "audio/wav",
    "audio/mpeg",
    "audio/flac",
    "audio/mp4",
    "application/octet-stream",
)
_BINARY = {"type": "string", "format": "binary"}
_JSON_OBJECT: dict[str, Any] = {"type": "object"}


def _audio_response(description: str, *, sse: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {kind: {"schema": _BINARY} for kind in _AUDIO_TYPES}
    if sse:
        content["text/event-stream"] = {"schema": {"type": "string"}}
    return {"200": {"description": description, "content": content}}


def _json_response(description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": _JSON_OBJECT}},
        }
    }


def _query(name: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _form_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _sync_tts_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "voice": {"type": "string", "default": "joe"},
            "text": {"type": "string"},
            "speed": {"type": "number", "minimum": 25, "maximum": 400, "default": 100},
            "sampleRate": {"type": "integer", "enum": [8000, 16000, 22050, 24000, 44100, 48000]},
        },
        "required": ["text"],
    }


def other_function_paths() -> dict[str, dict[str, Any]]:
    """Operations served by functions other than the API function, on the same origin."""
    from audiofn.openai_speech.request import SpeechRequest

    speech_schema = SpeechRequest.model_json_schema()
    speech_schema["properties"]["stream"] = {
        "type": "boolean",
        "description": "WAV only: stream with the streaming header (sizes 0xFFFFFFFF) instead "
        "of answering the whole file with its exact sizes.",
    }
    speech_schema.pop("title", None)
    models = "Models accepted by `model` (any name is accepted; the voice picks the engine)."
    return {
        "/v1/audio/speech": {
            "post": {
                "tags": ["OpenAI-compatible audio"],
                "summary": "Speak a text (OpenAI's speech endpoint, streamed as it is spoken)",
                "description": "Locally and on the streaming Function URL the audio is sent "
                "while it is spoken (WAV whole, unless `stream` is true); on the HTTP API it is "
                "sent whole, and audio over 4.4 MB answers 303 to a presigned URL.",
                FUNCTION_FIELD: "SpeechStreamFunction",
                "requestBody": _json_body(speech_schema),
                "responses": _audio_response("The audio (or server-sent events)", sse=True),
            }
        },
        "/v1/models": {
            "get": {
                "tags": ["OpenAI-compatible audio"],
                "summary": models,
                FUNCTION_FIELD: "SpeechStreamFunction",
                "responses": _json_response("`{object: list, data: [...]}`"),
            }
        },
        "/v1/models/{model}": {
            "get": {
                "tags": ["OpenAI-compatible audio"],
                "summary": "One model",
                FUNCTION_FIELD: "SpeechStreamFunction",
                "parameters": [
                    {"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": _json_response("The model"),
            }
        },
        "/v1/audio/voices": {
            "get": {
                "tags": ["OpenAI-compatible audio"],
                "summary": "The voices `voice` accepts",
                FUNCTION_FIELD: "SpeechStreamFunction",
                "responses": _json_response("`{object: list, data: [...]}`"),
            }
        },
        "/v1/audio/transcriptions": {
            "post": {
                "tags": ["OpenAI-compatible audio"],
                "summary": "Transcribe a file (Whisper tiny.en; up to 4 MB)",
                FUNCTION_FIELD: "TranscriptionFunction",
                "requestBody": _form_body(
                    {
                        "file": _BINARY,
                        "model": {"type": "string", "example": "whisper-1"},
                        "response_format": {
                            "type": "string",
                            "enum": ["json", "text", "srt", "vtt", "verbose_json"],
                        },
                        "timestamp_granularities[]": {"type": "string", "enum": ["word"]},
                        "prompt": {"type": "string"},
                        "language": {"type": "string", "enum": ["en"]},
                    },
                    ["file", "model"],
                ),
                "responses": {
                    "200": {
                        "description": "The transcript, in `response_format`",
                        "content": {
                            "application/json": {"schema": _JSON_OBJECT},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    }
                },
            }
        },
        "/v1/audio/transcriptions-realtime": {
            "get": {
                "tags": ["Realtime transcription (websocket)"],
                "summary": "Realtime transcription over a websocket",
                "description": (
                    "Open a websocket here (in AWS: the stack's `RealtimeUrl` output), key as "
                    '`Authorization: Bearer <key>`. Send `{"sample_rate": 16000}` (optional '
                    "`encoding`: `pcm_s16le`, `end_utterance_silence_threshold` in ms), then "
                    'binary 16-bit PCM chunks, then `{"done": true}`. The server sends '
                    "`PartialTranscript` messages while you speak and a `FinalTranscript` after "
                    "each utterance (`audio_start`, `audio_end` in ms, `confidence`, `text`, "
                    "`words`, `created`), and closes with 1000 after `done`; a protocol error "
                    'is `{"message_type": "Error", "error": ...}` and a close with 1008. '
                    "Swagger UI cannot open websockets: use a websocket client."
                ),
                FUNCTION_FIELD: "RealtimeFunction",
                "parameters": [
                    {
                        "name": "model",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "example": "whisper-1"},
                    }
                ],
                "responses": {"101": {"description": "Switching protocols: the websocket opens"}},
            }
        },
        "/mastering/provenance": {
            "post": {
                "tags": ["api.audio"],
                "summary": "Verify a file's content credentials (C2PA) and show its manifest",
                "description": "The file as the body (`audio/*` or "
                "`application/octet-stream`, up to 4 MB) or as the `file` part of a "
                "multipart form; WAV, MP3, FLAC or M4A. Answers `valid` (false when the file "
                "was changed after signing or carries no credentials), `reason`, `failures`, "
                "`manifest`, `format`, `bytes`, `sha256`.",
                FUNCTION_FIELD: "ProvenanceFunction",
                "requestBody": {
                    "required": True,
                    "content": {
                        **{kind: {"schema": _BINARY} for kind in _CREDENTIAL_TYPES},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": _BINARY},
                                "required": ["file"],
                            }
                        },
                    },
                },
                "responses": _json_response("The verdict and the manifest"),
            },
            "get": {
                "tags": ["api.audio"],
                "summary": "Verify a stored master's content credentials",
                "description": "Names the master as `GET /mastering` does: `scriptId`, the "
                "listener's parameters, `endFormat`; or `deliverySpec` for a deliverable.",
                FUNCTION_FIELD: "ProvenanceFunction",
                "parameters": [
                    _query("scriptId", required=True),
                    _query("endFormat"),
                    _query("deliverySpec"),
                ],
                "responses": _json_response("The verdict and the manifest"),
            },
        },
        "/admin/orgs/{orgId}/signing-certificate": _signing_certificate_operations(),
        "/speech/sync": {
            "post": {
                "tags": ["api.audio"],
                "summary": "Sync TTS (SDK 0.17.1 `SyncTTS.create`): audio in the `Accept` format",
                FUNCTION_FIELD: "SyncSpeechFunction",
                "parameters": [
                    {
                        "name": "Accept",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "default": "audio/wav"},
                    }
                ],
                "requestBody": _json_body(_sync_tts_schema()),
                "responses": _audio_response("The audio"),
            }
        },
        "/sync_speech/synthesize": {
            "post": {
                "tags": ["api.audio"],
                "summary": "Sync TTS (SDK 0.8.5): base64 WAV in JSON",
                FUNCTION_FIELD: "SyncSpeechFunction",
                "requestBody": _json_body(_sync_tts_schema()),
                "responses": _json_response(
                    "`{voice, format, sampleRate, duration, audio}` (or `url` when too large)"
                ),
            }
        },
    }


def _signing_certificate_operations() -> dict[str, Any]:
    """The admin's routes naming which certificate signs an organisation's masters."""
    org = [{"name": "orgId", "in": "path", "required": True, "schema": {"type": "string"}}]
    shown = _json_response(
        "`source` (`self-signed`, `secretsmanager` or `ssm`), `name`, and the certificate's "
        "`subject`, `issuer`, `serialNumber`, `notBefore`, `notAfter`, `algorithm`"
    )
    common = {"tags": ["Organisations"], FUNCTION_FIELD: "ProvenanceFunction", "parameters": org}
    return {
        "get": {
            **common,
            "summary": "Which certificate signs the organisation's masters",
            "responses": shown,
        },
        "put": {
            **common,
            "summary": "Sign the organisation's masters with its own certificate, kept in AWS",
            "description": "One of `secretsManager` (a secret's name or ARN) or `ssmParameter` "
            "(a SecureString parameter's name), under the template's "
            "`SigningCredentialsPrefix`, holding the JSON string "
            '`{"certificateChain": "<PEM, leaf first>", "privateKey": "<PEM>"}`. Read, checked '
            "and tried on a test file before it is used; a 400 names the field and says why.",
            "requestBody": _json_body(
                {
                    "type": "object",
                    "properties": {
                        "secretsManager": {"type": "string"},
                        "ssmParameter": {"type": "string"},
                    },
                }
            ),
            "responses": shown,
        },
        "delete": {
            **common,
            "summary": "Return to the organisation's default (self-made) certificate",
            "responses": shown,
        },
    }


JOB_REQUEST_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/jobs/text/", "post"): _json_body(
        {
            "type": "object",
            "properties": {
                "text": {"type": "string", "maxLength": 50_000},
                "lang": {"type": "string", "example": "az"},
                "voice_id": {"type": ["string", "integer"], "example": "325640"},
            },
            "required": ["text", "lang"],
        }
    ),
    ("/api/v1/jobs/file/", "post"): _form_body(
        {
            "file": {**_BINARY, "description": "plain text: UTF-8, or UTF-16 with a BOM"},
            "lang": {"type": "string", "example": "az"},
            "voice_id": {"type": "string", "example": "325640"},
        },
        ["file", "lang"],
    ),
}


def add_what_the_resolver_cannot_know(document: dict[str, Any]) -> None:
    """Security schemes, other functions' routes, and bodies read by hand (in place)."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    components.setdefault("schemas", {})["OpenAIErrorBody"] = OPENAI_ERROR_SCHEMA
    document["security"] = [{"ApiKey": []}, {"Bearer": []}]
    paths = document.setdefault("paths", {})
    for path, operations in other_function_paths().items():
        for method, operation in operations.items():  # the resolver's own entry wins
            paths.setdefault(path, {}).setdefault(method, operation)
    for (path, method), body in JOB_REQUEST_BODIES.items():
        operation = paths.get(path, {}).get(method)
        if operation is not None:
            operation["requestBody"] = body
    for path, operations in paths.items():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            if path.startswith(PUBLIC_PATHS):
                operation["security"] = []
            elif path.startswith("/admin/"):
                operation["security"] = ADMIN_SECURITY
