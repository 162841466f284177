"""The api.audio protocol's sound templates and mastering (SDK 0.8.5 and 0.17.1), and the
unauthenticated VAST tracking endpoint."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from audiofn.api.deps import org_id, query, services
from audiofn.api.errors import json_response
from audiofn.config import api_settings
from audiofn.errors import InvalidInput
from audiofn.models.apiaudio import CreateMasteringRequest

router = Router()


# ---------------------------------------------------------------- sound templates
def _templates() -> list[dict[str, Any]]:
    from audiofn.sound.catalogue import list_templates

    params = query(router)
    tempo = params.get("tempo")
    try:
        found = list_templates(
            genre=params.get("genre"),
            mood=params.get("mood"),
            tempo=int(tempo) if tempo else None,
            tags=params.get("tags"),
        )
    except ValueError as exc:
        raise InvalidInput(f"tempo: {exc}", field="tempo") from exc
    return [t.to_api() for t in found]


@router.get("/file/soundtemplates")
def list_sound_templates_v1() -> dict[str, Any]:
    return {"templates": _templates()}


@router.get("/sound/template")
def list_sound_templates() -> dict[str, Any]:
    return {"templates": _templates()}


@router.get("/sound/parameter")
def list_sound_parameters() -> dict[str, list[Any]]:
    from audiofn.sound.catalogue import sound_parameters

    return sound_parameters()


@router.get("/file/bg")
@router.get("/file/background_track")
def list_background_tracks() -> dict[str, Any]:
    """Each template's bed as a background track; `snippet=true` adds a 15 s preview URL."""
    from audiofn.services.sound_library import snippet_key

    with_snippet = query(router).get("snippet", "").lower() == "true"
    media = services().media
    tracks = []
    for template in _templates():
        track = {
            "id": template["name"],
            "name": template["name"],
            "description": template["description"],
            "genre": template["genre"],
            "mood": template["mood"],
            "tempo": template["tempo"],
        }
        if with_snippet:
            key = snippet_key(template["name"])
            track["snippetUrl"] = media.presigned_get(key) if media.exists(key) else None
        tracks.append(track)
    return {"backgroundTracks": tracks}


# ---------------------------------------------------------------- mastering
@router.get("/mastering-presets")
def list_presets() -> list[dict[str, Any]]:
    from audiofn.mastering import mastering_presets

    return mastering_presets()


@router.get("/mastering/delivery-specs")
def list_delivery_specs() -> dict[str, Any]:
    """The named delivery specifications `deliverySpecs` accepts, with their sources."""
    from audiofn.mastering.delivery_specs import delivery_specs

    return {"deliverySpecs": delivery_specs()}


@router.post("/mastering")
def create_mastering(
    request: Annotated[CreateMasteringRequest, Body()],
) -> Response[dict[str, Any]]:
    """Waits for the work up to a bound: 200 when done (0.8.5 does not poll), else 202."""
    from audiofn.services import jobs
    from audiofn.services import mastering as mastering_service

    svc, org = services(), org_id(router)
    job = mastering_service.create_mastering(svc, org, request)
    job = jobs.wait_for_job(svc, org, job.job_id, api_settings().speech_wait_seconds)
    jobs.raise_if_unfinished(job)
    params = {k: str(v) for k, v in (request.audience or [{}])[0].items()}
    params["public"] = str(request.public).lower()
    params["vast"] = str(request.vast).lower()
    body = mastering_service.retrieve_mastering(svc, org, request.scriptId, params)
    return json_response(
        200,
        {
            "message": "Mastering request successful",
            "status": job.status,
            "jobId": job.job_id,
            "masters": job.total,
            **body,
        },
    )


@router.get("/mastering")
@router.get("/file/mastering")
def retrieve_mastering() -> dict[str, Any]:
    from audiofn.services import mastering as mastering_service

    params = query(router)
    script_id = params.get("scriptId")
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    return mastering_service.retrieve_mastering(services(), org_id(router), script_id, params)


@router.get("/mastering/list")
def list_masters() -> dict[str, Any]:
    """Every master of the script, from every mastering job, newest job first."""
    from audiofn.services.masters import list_masters as listed
    from audiofn.services.scripts import get_script

    script_id = query(router).get("scriptId")
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    org = org_id(router)
    get_script(services(), org, script_id)
    return {"masters": listed(services(), org, script_id)}


@router.delete("/mastering")
def delete_masters() -> dict[str, Any]:
    """One mastering job's masters (`jobId`), or all of the script's: private and public."""
    from audiofn.services.masters import delete_masters as delete
    from audiofn.services.scripts import get_script

    params = query(router)
    script_id = params.get("scriptId")
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    org = org_id(router)
    get_script(services(), org, script_id)
    return {"deletedJobs": delete(services(), org, script_id, params.get("jobId") or None)}


@router.get("/mastering/tracking")
def tracking_counts() -> dict[str, Any]:
    from audiofn.services import mastering as mastering_service

    script_id = query(router).get("scriptId")
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    return {"files": mastering_service.tracking_counts(services(), org_id(router), script_id)}


@router.get("/track/<token>/<event>")
def track(token: str, event: str) -> Response[str]:
    """VAST impression and quartile beacons: no key, signed tokens only, one count per client
    and event within a short window, empty 204."""
    from audiofn.services import mastering as mastering_service
    from audiofn.services.tracking import client_fingerprint

    request = router.current_event
    source_ip = request.raw_event.get("requestContext", {}).get("http", {}).get("sourceIp", "")
    client = client_fingerprint(str(source_ip), request.headers.get("user-agent") or "")
    mastering_service.record_tracking_event(services(), token, event, client)
    return Response(status_code=204, body="")


# ---------------------------------------------------------------- sound projects
@router.post("/sound")
def create_sound_project() -> dict[str, str]:
    from audiofn.services.sound_projects import create_sound_project as create

    body = router.current_event.json_body or {}
    script_id, template = body.get("scriptId"), body.get("backgroundTrackId")
    if not isinstance(script_id, str) or not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    if not isinstance(template, str) or not template:
        raise InvalidInput("backgroundTrackId is required", field="backgroundTrackId")
    return {"url": create(services(), org_id(router), script_id, template)}


@router.get("/file/sound")
@router.get("/sound")
def retrieve_sound_project() -> dict[str, str]:
    from audiofn.services.sound_projects import retrieve_sound_project as retrieve

    script_id = query(router).get("scriptId")
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    return {"url": retrieve(services(), org_id(router), script_id)}
