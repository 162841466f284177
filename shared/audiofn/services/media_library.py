"""An organisation's own media (the api.audio ``Media`` resource): upload through a presigned
URL, a check of every file that arrives, listing, tags, removal, and use as a mastering bed.

An upload lands at ``orgs/<org>/media/<mediaId>.upload``; the bucket tells the media-check
function (S3 event through SQS), which decodes the file a block at a time, records what it
found (usable or not, and why), and moves it to ``orgs/<org>/media/<mediaId>/<filename>`` so
a download keeps its name. A file that is not usable is deleted at once; its record stays
listed with the reason and is refused, naming the field, wherever it is used.

Upload URLs live UPLOAD_URL_SECONDS. Two forms are offered: `fileUploadForm`, a presigned POST
that S3 accepts only with the declared Content-Type and 1 byte to MAX_UPLOAD_BYTES, and
`fileUploadUrl`, a presigned PUT, because the api.audio SDK's `Media.upload` can only PUT
(with `Content-Type: audio/mpeg` whatever the file), and a presigned PUT can bind neither a
size range nor a type the SDK does not send. What bounds the PUT is the check: an upload is
taken once, while its record says `uploading`; anything written to the key after the check,
or after the record was deleted, is removed when it arrives, and so is an unusable file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.media import MediaRecord
from audiofn.models.records import utc_now
from audiofn.naming import new_id
from audiofn.services.context import Services
from audiofn.storage.media import org_prefix
from audiofn.storage.media_table import MediaTable
from audiofn.storage.media_uploads import UploadStore

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.upload_audio import AudioScan, UploadLimits

UPLOAD_SUFFIX = ".upload"
"""The suffix the bucket's notification filters on: only uploads wake the check function."""
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_URL_SECONDS = 900
"""How long the upload URLs work: long enough for 200 MB on a slow line, short of an hour."""
MIN_SECONDS = 1.0
MAX_SECONDS = 20 * 60.0
"""Longest file accepted: a bed is decoded whole for mastering, at the mastering rate and at
most stereo (20 min of 44.1 kHz stereo is 423 MB of float samples)."""
SILENCE_DBFS = -60.0
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_FILENAME_LENGTH = 200

_UNSAFE_FILENAME = re.compile(r"[^\w.()\- ]+")
_MEDIA_KEY = re.compile(r"^orgs/(?P<org>[^/]+)/media/(?P<media>[^/]+)\.upload$")
_CONTENT_TYPES = {
    "WAV": "audio/wav",
    "WAVEX": "audio/wav",
    "FLAC": "audio/flac",
    "MP3": "audio/mpeg",
    "OGG": "audio/ogg",
    "AIFF": "audio/aiff",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
}


def _table(services: Services) -> MediaTable:
    return MediaTable(services.settings.table)


def _uploads(services: Services) -> UploadStore:
    return UploadStore(services.settings.media_bucket, services.settings.presign_seconds)


def upload_key(org_id: str, media_id: str) -> str:
    return f"{org_prefix(org_id)}media/{media_id}{UPLOAD_SUFFIX}"


def stored_key(org_id: str, media_id: str, filename: str) -> str:
    return f"{org_prefix(org_id)}media/{media_id}/{filename}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(org id, media id) of an upload's key; None for any other object."""
    match = _MEDIA_KEY.match(key)
    return (match["org"], match["media"]) if match else None


def clean_filename(value: str | None) -> str:
    """The file's own name (no folders), with characters that trouble URLs replaced."""
    name = re.split(r"[\\/]", value or "")[-1].strip()
    name = _UNSAFE_FILENAME.sub("_", name)[:MAX_FILENAME_LENGTH].strip(" .")
    if not name:
        raise InvalidInput("filename is required: the name of the file to upload", field="filename")
    return name


def parse_tags(value: str | None) -> list[str]:
    """Comma-separated tags, trimmed, duplicates (case-insensitive) dropped."""
    tags: list[str] = []
    for raw in (value or "").split(","):
        tag = raw.strip()
        if not tag or tag.lower() in {t.lower() for t in tags}:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput(
                f"tags: '{tag[:20]}...' is longer than {MAX_TAG_LENGTH}", field="tags"
            )
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"tags: at most {MAX_TAGS} tags per file", field="tags")
    return tags


# --- the API's side -------------------------------------------------------------------------


def declared_type(filename: str, content_type: str | None) -> str:
    """The upload's Content-Type: as the caller declares it (an audio type), else guessed
    from the name, else audio/mpeg (what the content check finds decides, not the name)."""
    import mimetypes

    audio_type = re.compile(r"audio/[a-z0-9.+-]{1,60}")
    value = (content_type or "").strip().lower()
    if not value:
        guessed = (mimetypes.guess_type(filename)[0] or "").lower()
        return guessed if audio_type.fullmatch(guessed) else "audio/mpeg"
    if not audio_type.fullmatch(value):
        raise InvalidInput(
            f"contentType must be an audio type such as audio/wav, not '{value[:60]}'",
            field="contentType",
        )
    return value


def request_upload(
    services: Services,
    org_id: str,
    filename: str | None,
    tags: str | None,
    content_type: str | None = None,
) -> dict[str, Any]:
    """``GET /file/customaudio/uploadurl``: a media id, a URL to PUT the file to (the SDK's
    way) and a form to POST it with (bounded in size and type by S3 itself)."""
    name = clean_filename(filename)
    kind = declared_type(name, content_type)
    record = MediaRecord(
        media_id=new_id(),
        org_id=org_id,
        filename=name,
        tags=parse_tags(tags),
        s3_key="",
    )
    record.s3_key = upload_key(org_id, record.media_id)
    _table(services).put_media(record)
    uploads = _uploads(services)
    return {
        "mediaId": record.media_id,
        "fileUploadUrl": uploads.presigned_put(record.s3_key, UPLOAD_URL_SECONDS),
        "fileUploadForm": uploads.presigned_post(
            record.s3_key, kind, MAX_UPLOAD_BYTES, UPLOAD_URL_SECONDS
        ),
        "expiresIn": str(UPLOAD_URL_SECONDS),
    }


def list_media(
    services: Services,
    org_id: str,
    *,
    media_id: str | None = None,
    tags: str | None = None,
    download: bool = False,
    public: bool = False,
) -> dict[str, Any]:
    """``GET /file/customaudio``: the organisation's files (or the public beds), filtered by
    id or tags; ``download`` adds a presigned download URL to each."""
    if public:
        return {"savedAudioFiles": _public_media(services, media_id, tags, download)}
    table = _table(services)
    if media_id:
        record = table.get_media(org_id, media_id)
        if record is None:
            return {}  # the protocol's answer for an id that does not exist
        records = [record]
    else:
        records = table.list_media(org_id)
    wanted = {t.lower() for t in parse_tags(tags)}
    records = [
        _settle_stalled(services, r) for r in records if wanted <= {t.lower() for t in r.tags}
    ]
    uploads = _uploads(services)
    return {
        "savedAudioFiles": [
            r.to_api(
                uploads.presigned_download(r.s3_key, r.filename)
                if download and r.status == "ready"
                else None
            )
            for r in records
        ]
    }


def _settle_stalled(services: Services, record: MediaRecord) -> MediaRecord:
    """An upload still unchecked long after its URL expired and its check's last try could
    have ended is unusable, saying which of the two happened."""
    from audiofn.services.stalls import MEDIA_CHECK_SECONDS, STOPPED, stalled

    bound = services.settings.presign_seconds + MEDIA_CHECK_SECONDS
    if record.status != "uploading" or not stalled(record.created_at, bound):
        return record
    arrived = _uploads(services).size(record.s3_key) is not None
    record.status = "unusable"
    record.reason = (
        f"the check of this file did not finish: {STOPPED}"
        if arrived
        else "no file arrived before the upload URL expired"
    )
    record.checked_at = utc_now()
    _table(services).save_check(record)
    return record


def list_tags(services: Services, org_id: str) -> list[str]:
    """``GET /file/customaudio/tags``: every tag used on the organisation's files, once."""
    seen: dict[str, str] = {}
    for record in _table(services).list_media(org_id):
        for tag in record.tags:
            seen.setdefault(tag.lower(), tag)
    return sorted(seen.values(), key=str.lower)


def delete_media(services: Services, org_id: str, media_id: str | None) -> dict[str, str]:
    """``DELETE /file/customaudio?mediaId=``: the record and the file."""
    if not media_id:
        raise InvalidInput("mediaId is required", field="mediaId")
    table = _table(services)
    record = table.get_media(org_id, media_id)
    if record is None:
        raise NotFound(f"no media file with id '{media_id}'", field="mediaId")
    uploads = _uploads(services)
    for key in {record.s3_key, upload_key(org_id, media_id)}:
        uploads.delete(key)
    table.delete_media(org_id, media_id)
    return {"message": "Media file deleted", "mediaId": media_id}


def _public_media(
    services: Services, media_id: str | None, tags: str | None, download: bool
) -> list[dict[str, Any]]:
    """The sound templates' beds, listed as public media (their ids work as beds too)."""
    from audiofn.services.sound_library import snippet_key
    from audiofn.sound.catalogue import list_templates

    wanted = {t.lower() for t in parse_tags(tags)}
    items = []
    for template in list_templates():
        info = template.to_api()
        labels = {str(info.get("genre", "")).lower(), str(info.get("mood", "")).lower()}
        if (media_id and info["name"] != media_id) or not wanted <= labels:
            continue
        item: dict[str, Any] = {
            "mediaId": info["name"],
            "filename": f"{info['name']}.mp3",
            "tags": [info.get("genre"), info.get("mood")],
            "status": "ready",
            "usable": True,
            "public": True,
            "description": info.get("description"),
        }
        if download:
            key = snippet_key(info["name"])
            item["downloadUrl"] = (
                services.media.presigned_get(key) if services.media.exists(key) else None
            )
        items.append(item)
    return items


@dataclass(frozen=True)
class BedChoice:
    """What a mastering request's ``backgroundTrackId`` names."""

    template: str | None = None
    media_id: str | None = None


def resolve_background(services: Services, org_id: str, value: str, field: str) -> BedChoice:
    """A sound template's name, or one of the organisation's usable media ids; anything else
    is a 400 that names ``field`` and says why."""
    from audiofn.sound.catalogue import TEMPLATES

    name = value.strip()
    if name.lower() in TEMPLATES:
        return BedChoice(template=name.lower())
    table = _table(services)
    record = table.get_media(org_id, name)
    if (
        record is not None
        and record.status == "uploading"
        and _uploads(services).size(record.s3_key) is None
    ):
        # Not there yet, or moved by a check that just finished: read the record again.
        record = table.get_media(org_id, name)
        if record is not None and record.status == "uploading":
            raise InvalidInput(
                f"{field}: media '{name}' has not been uploaded yet: PUT the file to its "
                "upload URL first",
                field=field,
            )
    if record is None:
        raise InvalidInput(
            f"{field}: '{value}' is neither a sound template ({', '.join(TEMPLATES)}) nor one "
            "of your media ids",
            field=field,
        )
    if record.status == "unusable":
        raise InvalidInput(
            f"{field}: media '{name}' ({record.filename}) cannot be a bed: {record.reason}",
            field=field,
        )
    # Ready, or uploaded with its check still running: the mastering function checks again.
    return BedChoice(media_id=record.media_id)


# --- the media-check function's side ---------------------------------------------------------


def _reason(scan: AudioScan) -> str | None:
    """Why a scanned file cannot be a bed, or None when it can."""
    if scan.declared_frames is not None and scan.declared_frames > scan.frames * 1.01 + 1:
        declared = scan.declared_frames / scan.sample_rate
        return (
            f"the file is truncated: its header declares {declared:.2f} s of audio, "
            f"only {scan.duration:.2f} s are there"
        )
    if not scan.finite:
        return "the file contains invalid samples (NaN or infinity)"
    if scan.duration < MIN_SECONDS:
        return f"too short: {scan.duration:.2f} s of audio (at least {MIN_SECONDS:.0f} s)"
    if not scan.complete:
        return f"too long: more than {MAX_SECONDS / 60:.0f} minutes of audio"
    peak_dbfs = 20.0 * math.log10(scan.peak) if scan.peak > 0 else -math.inf
    if peak_dbfs < SILENCE_DBFS:
        return f"silent: its loudest sample is below {SILENCE_DBFS:.0f} dBFS"
    return None


def _too_large(size: int) -> str:
    return f"the file is {size / 1e6:.0f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB"


def _limits() -> UploadLimits:
    from audiofn.upload_audio import UploadLimits

    return UploadLimits(max_seconds=MAX_SECONDS)


def check_audio(data: bytes) -> tuple[AudioScan | None, str | None]:
    """Decode and check a file: (what was found, why it is unusable or None)."""
    from audiofn.codecs import UnsupportedFormat
    from audiofn.upload_audio import AudioRefused, scan_upload

    if len(data) > MAX_UPLOAD_BYTES:
        return None, _too_large(len(data))
    try:
        found = scan_upload(data, _limits())
    except AudioRefused as error:
        return None, str(error)
    except UnsupportedFormat as error:
        detail = str(error).removeprefix("could not decode audio: ")
        return None, f"not an audio file that can be decoded ({detail})"
    return found, _reason(found)


def check_upload(services: Services, org_id: str, media_id: str) -> MediaRecord | None:
    """Check an uploaded file and record the verdict; None when there is nothing to check
    (already checked and moved: a redelivered event). A file written after the check, or
    for a deleted record, is a stray: it is removed, and nothing else changes."""
    table, uploads = _table(services), _uploads(services)
    record = table.get_media(org_id, media_id)
    source = upload_key(org_id, media_id)
    size = uploads.size(source)
    if size is None:
        return None
    if record is None or record.status != "uploading":
        uploads.delete(source)
        return None
    found: AudioScan | None = None
    reason: str | None
    if size > MAX_UPLOAD_BYTES:
        reason = _too_large(size)
    else:
        found, reason = check_audio(services.media.get_bytes(source))
    record.status = "unusable" if reason else "ready"
    record.reason = reason
    record.size_bytes = size
    record.checked_at = utc_now()
    if found is not None:
        record.format = found.format
        record.duration_seconds = round(found.duration, 3)
        record.sample_rate = found.sample_rate
        record.channels = found.channels
        record.peak_dbfs = round(20.0 * math.log10(found.peak), 2) if found.peak > 0 else None
    if reason:
        uploads.delete(source)  # nothing can use it; the record keeps the reason
        return record if table.save_check(record) else None
    destination = stored_key(org_id, media_id, record.filename)
    content_type = _CONTENT_TYPES.get(
        (record.format or "").split(" ")[0], "application/octet-stream"
    )
    uploads.move(source, destination, content_type)
    record.s3_key = destination
    if not table.save_check(record):
        uploads.delete(destination)  # deleted while being checked
        return None
    return record


def load_media_bed(services: Services, org_id: str, media_id: str) -> Audio:
    """A media file as a bed for the mastering function, checked again (it may have been
    accepted while its first check was still running)."""
    from audiofn.mastering import SAMPLE_RATE
    from audiofn.upload_audio import decode_upload

    table, uploads = _table(services), _uploads(services)
    data = None
    for _ in range(2):  # the check may move the file between reading the record and the file
        record = table.get_media(org_id, media_id)
        if record is None:
            raise InvalidInput(
                f"backgroundTrackId: media '{media_id}' was deleted", field="backgroundTrackId"
            )
        if record.status == "unusable":
            raise InvalidInput(
                f"backgroundTrackId: media '{media_id}' cannot be a bed: {record.reason}",
                field="backgroundTrackId",
            )
        if uploads.size(record.s3_key) is not None:
            data = services.media.get_bytes(record.s3_key)
            break
    if data is None:
        raise InvalidInput(
            f"backgroundTrackId: media '{media_id}' has no file", field="backgroundTrackId"
        )
    _, reason = check_audio(data)
    if reason:
        raise InvalidInput(
            f"backgroundTrackId: media '{media_id}' cannot be a bed: {reason}",
            field="backgroundTrackId",
        )
    return decode_upload(data, _limits(), sample_rate=SAMPLE_RATE)
