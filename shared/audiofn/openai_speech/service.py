"""What both speech endpoints share: a checked plan from a request body, OpenAI's error
body, and the model listing. Pure Python until a plan is spoken."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audiofn.errors import AudiofnError
from audiofn.openai_speech.request import MODELS, SpeechRequest, parse_speech_request
from audiofn.tts.registry import engine_settings_from

if TYPE_CHECKING:
    from audiofn.openai_speech.synthesis import SpeechPlan
    from audiofn.services.context import Services

_CREATED = 1_735_689_600  # 2025-01-01: the models' "created" date in listings

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}


def openai_error(
    status: int, message: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    return {
        "error": {
            "message": message,
            "type": _ERROR_TYPES.get(
                status, "server_error" if status >= 500 else "invalid_request_error"
            ),
            "param": param,
            "code": code,
        }
    }


def error_body(error: AudiofnError) -> dict[str, Any]:
    return openai_error(error.status_code, error.message, error.field)


def plan_request(services: Services, org_id: str, body: Any) -> tuple[SpeechRequest, SpeechPlan]:
    """Validate the body, resolve the voice, load the organisation's dictionaries, cut the
    text: every error a request can have is raised here, before any audio is made."""
    from audiofn.openai_speech.synthesis import plan_speech
    from audiofn.services.dictionaries import org_lexicon
    from audiofn.services.quotas import charge_characters
    from audiofn.services.voices import find_custom, resolve_speech_voice

    request = parse_speech_request(body)
    # The organisation's custom voices (and others' public ones) by id, UUID or custom-<uuid>.
    custom = (
        resolve_speech_voice(services, org_id, request.voice)
        if find_custom(services, org_id, request.voice) is not None
        else None
    )
    plan = plan_speech(
        request,
        engine_settings=engine_settings_from(services.settings),
        lexicon_entries=org_lexicon(services, org_id),
        custom_voice=custom,
    )
    charge_characters(services, org_id, len(request.input), field="input")
    return request, plan


def models_listing() -> dict[str, Any]:
    """``GET /v1/models``: OpenAI's list shape."""
    return {"object": "list", "data": [model_entry(model) for model in MODELS]}


def model_entry(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": _CREATED, "owned_by": "audiofn"}
