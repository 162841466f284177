"""Voice collections: named sets of voices an organisation keeps."""

from __future__ import annotations

from typing import Any

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.records import utc_now
from audiofn.models.voices import (
    CreateCollectionRequest,
    VoiceCollectionRecord,
)
from audiofn.naming import new_id
from audiofn.services.context import Services
from audiofn.services.voices.access import find_voice, voices_table
from audiofn.services.voices.listing import MAX_LIMIT, MAX_PAGE, _int_param


def _collection_to_api(collection: VoiceCollectionRecord) -> dict[str, Any]:
    return {
        "collection_id": collection.collection_id,
        "id": collection.collection_id,
        "name": collection.name,
        "description": collection.description,
        "voice_ids": collection.voice_ids,
        "tags": collection.tags,
        "is_public": collection.is_public,
        "created_at": collection.created_at,
        "updated_at": collection.updated_at,
    }


def _checked_voice_ids(services: Services, org_id: str, voice_ids: list[str | int]) -> list[str]:
    found = []
    for index, identifier in enumerate(voice_ids):
        try:
            ref = find_voice(services, org_id, str(identifier))
        except (NotFound, InvalidInput) as exc:
            raise NotFound(exc.message, field=f"voice_ids[{index}]") from exc
        found.append(str(ref.profile.id) if ref.profile is not None else ref.usage_key)
    return list(dict.fromkeys(found))


def create_collection(
    services: Services, org_id: str, request: CreateCollectionRequest
) -> dict[str, Any]:
    name = request.name.strip()
    if not name:
        raise InvalidInput("name must not be blank", field="name")
    collection = VoiceCollectionRecord(
        collection_id="collection_" + new_id().replace("-", "")[:16],
        org_id=org_id,
        name=name,
        description=request.description,
        voice_ids=_checked_voice_ids(services, org_id, request.voice_ids),
        tags=request.tags,
        is_public=request.is_public,
    )
    voices_table(services).put_collection(collection)
    return _collection_to_api(collection)


def list_collections(services: Services, org_id: str, params: dict[str, str]) -> dict[str, Any]:
    skip = _int_param(params, "skip", 0, 0, 1_000_000)
    limit = _int_param(params, "limit", 25, 1, MAX_LIMIT)
    found = sorted(voices_table(services).list_collections(org_id), key=lambda c: c.created_at)
    page = found[skip : skip + min(limit, MAX_PAGE)]
    return {
        "collections": [_collection_to_api(c) for c in page],
        "total": len(found),
        "hasMore": skip + len(page) < len(found),
    }


def add_collection_voices(
    services: Services, org_id: str, collection_id: str, voice_ids: list[str | int]
) -> dict[str, Any]:
    table = voices_table(services)
    collection = table.get_collection(org_id, collection_id)
    if collection is None:
        raise NotFound(f"collection '{collection_id}' not found", field="collection_id")
    added = _checked_voice_ids(services, org_id, voice_ids)
    updated = collection.model_copy(
        update={
            "voice_ids": list(dict.fromkeys([*collection.voice_ids, *added])),
            "updated_at": utc_now(),
        }
    )
    table.put_collection(updated)
    return _collection_to_api(updated)
