"""The api.audio protocol (SDK 0.8.5 and 0.17.1): scripts, speech, voices."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from audiofn.api.deps import org_id, query, services
from audiofn.api.errors import json_response
from audiofn.config import api_settings
from audiofn.errors import InvalidInput
from audiofn.models.apiaudio import CreateScriptRequest, CreateSpeechRequest
from audiofn.services import jobs
from audiofn.services import scripts as script_service
from audiofn.services import speech as speech_service
from audiofn.tts import catalogue

router = Router()


# ---------------------------------------------------------------- scripts
@router.post("/script")
def create_script(request: Annotated[CreateScriptRequest, Body()]) -> dict[str, object]:
    return script_service.create_script(services(), org_id(router), request).to_api()


@router.get("/script")
def list_scripts() -> list[dict[str, object]]:
    params = query(router)
    found = script_service.list_scripts(
        services(),
        org_id(router),
        project_name=params.get("projectName"),
        module_name=params.get("moduleName"),
        script_name=params.get("scriptName"),
    )
    return [script.to_api() for script in found]


@router.get("/script/random")
def random_text() -> dict[str, str]:
    return script_service.random_text(query(router).get("category"))


@router.get("/script/list_projects")
def list_projects() -> list[str]:
    return script_service.list_projects(services(), org_id(router))


@router.get("/script/list_modules")
def list_modules() -> list[str]:
    return script_service.list_modules(services(), org_id(router), query(router).get("projectName"))


@router.get("/script/list_script_names")
def list_script_names() -> list[str]:
    params = query(router)
    return script_service.list_script_names(
        services(), org_id(router), params.get("projectName"), params.get("moduleName")
    )


@router.get("/script/<script_id>")
def get_script(script_id: str) -> dict[str, object]:
    params = query(router)
    if params.get("preview", "").lower() == "true":
        return script_service.preview_script(
            services(),
            org_id(router),
            script_id,
            params.get("voice"),
            normalize=params.get("normalize", "true").lower() != "false",
        )
    script = script_service.get_script(services(), org_id(router), script_id)
    return script.to_api()


@router.delete("/script/<script_id>")
def delete_script(script_id: str) -> dict[str, object]:
    script_service.delete_script(services(), org_id(router), script_id)
    return {"message": "script deleted", "scriptId": script_id}


@router.delete("/script/<script_id>/<version>")
def delete_script_version(script_id: str, version: str) -> dict[str, object]:
    # Scripts are not versioned here: deleting a version deletes the script.
    script_service.delete_script(services(), org_id(router), script_id)
    return {"message": "script deleted", "scriptId": script_id, "version": version}


@router.delete("/scripts")
def delete_scripts() -> dict[str, object]:
    params = query(router)
    project = params.get("projectName")
    if not project:
        raise InvalidInput("projectName is required", field="projectName")
    count = script_service.delete_scripts(
        services(), org_id(router), project, params.get("moduleName"), params.get("scriptName")
    )
    return {"message": f"{count} scripts deleted", "deleted": count}


# ---------------------------------------------------------------- speech
@router.post("/speech")
def create_speech(request: Annotated[CreateSpeechRequest, Body()]) -> Response[dict[str, Any]]:
    """Waits for the work up to a bound: 200 when done (0.8.5 does not poll), else 202."""
    svc, org = services(), org_id(router)
    job = speech_service.create_speech(svc, org, request)
    job = jobs.wait_for_job(svc, org, job.job_id, api_settings().speech_wait_seconds)
    jobs.raise_if_unfinished(job)
    return json_response(
        200,
        {
            "message": "Speech request successful",
            "scriptId": job.script_id,
            "jobId": job.job_id,
            "status": job.status,
            "files": job.total,
        },
    )


@router.get("/speech")
@router.get("/file/speech")
def retrieve_speech() -> dict[str, str]:
    """The section -> URL map (and nothing else: the SDK downloads every value)."""
    params = query(router)
    script_id = params.get("scriptId")
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    return speech_service.retrieve_speech(services(), org_id(router), script_id, params)


# ---------------------------------------------------------------- voices
@router.get("/voice")
def list_voices() -> dict[str, Any]:
    settings = api_settings()
    filters = query(router)
    for name in filters.keys() & {"polly_enabled", "upstream_enabled"}:
        # The deployment's settings, not filters: a query must not set them.
        raise InvalidInput(f"unknown filter: {name}", field=name)
    try:
        voices = catalogue.list_voices(
            polly_enabled=settings.polly_enabled,
            upstream_enabled=bool(settings.upstream_tts_url),
            **filters,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    return {"voices": [voice.to_api() for voice in voices]}


@router.get("/voice/parameter")
def list_voice_parameters() -> dict[str, list[str]]:
    settings = api_settings()
    return catalogue.list_parameters(
        polly_enabled=settings.polly_enabled, upstream_enabled=bool(settings.upstream_tts_url)
    )
