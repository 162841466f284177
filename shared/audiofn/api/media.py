"""The api.audio protocol's ``Media`` resource (SDK 0.17.1): an organisation's own files,
uploaded through a presigned URL, checked, listed, tagged and deleted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from audiofn.api.deps import org_id, query, services

router = Router()


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes"}


@router.get("/file/customaudio/uploadurl")
def upload_url() -> dict[str, Any]:
    """A media id, a presigned URL that takes a PUT of the file, and a presigned POST form
    bounded in size and type (``contentType``, else guessed from the file name)."""
    from audiofn.services.media_library import request_upload

    params = query(router)
    return request_upload(
        services(),
        org_id(router),
        params.get("filename"),
        params.get("tags"),
        params.get("contentType"),
    )


@router.get("/file/customaudio/tags")
def list_tags() -> list[str]:
    from audiofn.services.media_library import list_tags as tags

    return tags(services(), org_id(router))


@router.get("/file/customaudio")
def list_media() -> dict[str, Any]:
    """Files filtered by ``mediaId`` or ``tags``; ``target=download`` adds download URLs;
    ``public=true`` lists the public beds instead."""
    from audiofn.services.media_library import list_media as listing

    params = query(router)
    return listing(
        services(),
        org_id(router),
        media_id=params.get("mediaId"),
        tags=params.get("tags"),
        download=params.get("target") == "download",
        public=_flag(params.get("public")),
    )


@router.delete("/file/customaudio")
def delete_media() -> dict[str, str]:
    from audiofn.services.media_library import delete_media as delete

    return delete(services(), org_id(router), query(router).get("mediaId"))
