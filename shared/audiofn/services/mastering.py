"""Mastering jobs: one task per listener, each mixing that listener's speech over a bed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from audiofn.errors import Conflict, InvalidInput, NotFound
from audiofn.mastering.delivery_specs import DELIVERY_SPECS, DeliverySpec, find_delivery_spec
from audiofn.models.apiaudio import END_FORMATS, MP3_TIERS, CreateMasteringRequest
from audiofn.models.messages import MasteringTask
from audiofn.models.records import JobRecord
from audiofn.naming import new_id, short_hash, slug
from audiofn.services.context import Services
from audiofn.services.jobs import speech_of, start_job
from audiofn.services.media_library import resolve_background
from audiofn.services.quotas import admit_job
from audiofn.services.scripts import get_script
from audiofn.services.sound_library import check_template
from audiofn.services.speech import ManifestEntry
from audiofn.storage.media import org_prefix

DEFAULT_PRESET = "podcast"
TRACKING_EVENTS = (
    "impression",
    "start",
    "firstQuartile",
    "midpoint",
    "thirdQuartile",
    "complete",
    "error",
)


class MasterEntry(BaseModel):
    """One listener's outputs, as retrieve reports them."""

    parameters: dict[str, str]
    files: dict[str, str]  # format -> private S3 key
    report_key: str
    captions: dict[str, str] = {}  # "vtt"/"srt" -> key
    public_files: dict[str, str] = {}  # format -> public key
    public_captions: dict[str, str] = {}
    vast_key: str | None = None
    vast_media: dict[str, str] = {}  # rendition name ("mp3-96k") -> public key, in VAST order
    vast_mezzanine: str | None = None  # public key of the lossless Mezzanine
    tracking_token: str | None = None
    sound_template: str | None = None  # the bed: a template's name or a media id
    preset: str | None = None
    deliverables: dict[str, str] = {}  # delivery spec id -> private key
    public_deliverables: dict[str, str] = {}
    podcast: dict[str, str] = {}  # "chapters"/"transcript" -> key of its JSON document


def create_mastering(
    services: Services, org_id: str, request: CreateMasteringRequest, *, queued: bool = False
) -> JobRecord:
    """Validate everything up front, then enqueue one task per listener. ``queued`` work (an
    inbox file) waits its turn in its queue: it holds no running-job slot."""
    from audiofn.mastering import PRESETS

    script = get_script(services, org_id, request.scriptId)
    template, media_id = None, None
    if request.soundTemplate:
        template = check_template(request.soundTemplate, "soundTemplate")
    elif request.backgroundTrackId:
        # A template's name (the protocol's older spelling) or one of the org's media files.
        bed = resolve_background(services, org_id, request.backgroundTrackId, "backgroundTrackId")
        template, media_id = bed.template, bed.media_id
    preset = (
        (request.masteringPreset or services.settings.default_mastering_preset or DEFAULT_PRESET)
        .strip()
        .lower()
    )
    if preset not in PRESETS:
        raise InvalidInput(
            f"masteringPreset: unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}",
            field="masteringPreset",
        )
    formats = [request.endFormat] if isinstance(request.endFormat, str) else request.endFormat
    formats = list(dict.fromkeys(f.strip().lower() for f in formats))
    unknown = [f for f in formats if f not in END_FORMATS]
    if unknown or not formats:
        raise InvalidInput(
            f"endFormat: unsupported format '{(unknown or [''])[0]}'; choose from: "
            f"{', '.join(END_FORMATS)}",
            field="endFormat",
        )
    if request.vast and not request.public:
        raise InvalidInput(
            "vast requires public=true: an ad server must fetch the file", field="vast"
        )
    if request.universalAdId is not None and not request.vast:
        raise InvalidInput(
            "universalAdId names the creative in a VAST file: ask for vast=true",
            field="universalAdId",
        )
    if request.vast and not any(f.startswith("mp3") for f in formats):
        formats.append("mp3")  # VAST's MediaFile is audio/mpeg
    specs = resolve_delivery_specs(request.deliverySpecs or [])

    from audiofn.services.masters import check_room_for_another

    check_room_for_another(services, org_id, script.script_id)
    speech = speech_of(services, org_id, script)
    if speech.status != "done":
        raise Conflict(
            f"the script's speech is {speech.status}: master it once it is done", field="scriptId"
        )
    entries = [
        ManifestEntry.model_validate(item) for item in services.media.get_json(speech.manifest_key)
    ]
    section_order = [s.name for s in script.sections]
    listeners = _listeners(request, entries, script.placeholder_defaults)

    job_id = new_id()
    prefix = f"{org_prefix(org_id)}mastering/{script.script_id}/{job_id}/"
    tasks, manifest = [], []
    for index, parameters in enumerate(listeners):
        by_section = {e.section: e for e in entries if e.parameters == parameters}
        missing = [name for name in section_order if name not in by_section]
        if missing:
            who = ", ".join(f"{k}={v}" for k, v in sorted(parameters.items())) or "default"
            raise InvalidInput(
                f"audience[{index}] ({who}) has no speech for section '{missing[0]}': "
                "create speech for this listener first",
                field=f"audience[{index}]",
            )
        stem = _file_stem(script.script_name, parameters)
        token = _new_tracking_token(services, org_id, script.script_id) if request.public else None
        public_prefix = f"{org_id}/{script.script_id}/{token}/" if token else None
        public_stem = _public_file_stem(script.script_name, parameters)
        files = {fmt: f"{prefix}{stem}{_suffix(fmt)}" for fmt in formats}
        entry = MasterEntry(
            parameters=parameters,
            files=files,
            report_key=f"{prefix}{stem}.report.json",
            captions=(
                {kind: f"{prefix}{stem}.{kind}" for kind in ("vtt", "srt")}
                if request.captions
                else {}
            ),
            public_files=(
                {fmt: f"{public_prefix}{public_stem}{_suffix(fmt)}" for fmt in formats}
                if public_prefix
                else {}
            ),
            public_captions=(
                {kind: f"{public_prefix}{public_stem}.{kind}" for kind in ("vtt", "srt")}
                if public_prefix and request.captions
                else {}
            ),
            vast_key=(
                f"{public_prefix}{public_stem}.vast.xml" if public_prefix and request.vast else None
            ),
            **(
                _vast_files(formats, f"{public_prefix}{public_stem}")
                if public_prefix and request.vast
                else {}
            ),
            tracking_token=token,
            sound_template=template if media_id is None else media_id,
            preset=preset,
            deliverables={spec.id: f"{prefix}{stem}{_spec_suffix(spec)}" for spec in specs},
            podcast={
                kind: f"{prefix}{stem}.{kind}.json"
                for kind in ("chapters", "transcript")
                if kind == "chapters" or request.captions
            },
            public_deliverables=(
                {spec.id: f"{public_prefix}{public_stem}{_spec_suffix(spec)}" for spec in specs}
                if public_prefix
                else {}
            ),
        )
        manifest.append(entry)
        tasks.append(
            MasteringTask(
                org_id=org_id,
                job_id=job_id,
                script_id=script.script_id,
                task_index=index,
                section_keys=[by_section[name].s3_key for name in section_order],
                section_texts=[by_section[name].text for name in section_order],
                section_names=section_order,
                voices=list(
                    dict.fromkeys(by_section[n].voice for n in section_order if by_section[n].voice)
                ),
                sound_template=template,
                background_media_id=media_id,
                preset=preset,
                formats=formats,
                output_prefix=prefix,
                public_prefix=public_prefix,
                vast=request.vast,
                captions=request.captions,
                title=f"{script.project_name} / {script.script_name}",
                delivery_specs=[spec.id for spec in specs],
                universal_ad_id_registry=(
                    request.universalAdId.idRegistry if request.universalAdId else None
                ),
                universal_ad_id=request.universalAdId.value if request.universalAdId else None,
            )
        )
    admit_job(services, org_id, job_id, hold_slot=not queued)
    return start_job(
        services,
        kind="mastering",
        job_id=job_id,
        org_id=org_id,
        script_id=script.script_id,
        prefix=prefix,
        manifest=manifest,
        tasks=tasks,
    )


def retrieve_mastering(
    services: Services, org_id: str, script_id: str, query: dict[str, str]
) -> dict[str, Any]:
    """`{"url": ...}` for one listener's master (plus report, captions and VAST when public),
    from the newest mastering job that made a master matching the query."""
    from audiofn.services.masters import find_masters

    script = get_script(services, org_id, script_id)
    wanted = {k: v for k, v in query.items() if k in script.placeholder_defaults}
    asked_format = query.get("endFormat", "").strip().lower() or None
    public = query.get("public", "").lower() == "true"
    vast = query.get("vast", "").lower() == "true"
    _, matching = find_masters(
        services, org_id, script.script_id, wanted, asked_format, public=public or vast, vast=vast
    )
    entry = matching[0]
    fmt = asked_format or next(iter(entry.files))
    if public:
        url = _public_url(services, entry.public_files[fmt])
        captions = {k: _public_url(services, v) for k, v in entry.public_captions.items()}
    else:
        url = services.media.presigned_get(entry.files[fmt])
        captions = {k: services.media.presigned_get(v) for k, v in entry.captions.items()}
    body: dict[str, Any] = {"url": url, "report": services.media.get_json(entry.report_key)}
    if captions:
        body["captions"] = captions
    if vast:
        if entry.vast_key is None:
            raise InvalidInput(
                "this master has no VAST file: create it with vast=true", field="vast"
            )
        body["vastUrl"] = _public_url(services, entry.vast_key)
    if entry.podcast:
        body["podcast"] = {k: services.media.presigned_get(v) for k, v in entry.podcast.items()}
    if entry.deliverables:
        body["deliverables"] = _deliverables(services, entry, body["report"], public=public)
    if len(matching) > 1 and not wanted:
        body["listeners"] = len(matching)
    return body


def _deliverables(
    services: Services, entry: MasterEntry, report: dict[str, Any], *, public: bool
) -> list[dict[str, Any]]:
    """Each spec's deliverable as the report measured it, with the URL of its file."""
    made = {item["specId"]: item for item in report.get("deliverables", [])}
    listed = []
    for spec_id, key in entry.deliverables.items():
        if spec_id not in made:
            continue
        url = (
            _public_url(services, entry.public_deliverables[spec_id])
            if public and spec_id in entry.public_deliverables
            else services.media.presigned_get(key)
        )
        listed.append({**made[spec_id], "url": url})
    return listed


def resolve_delivery_specs(names: list[str]) -> list[DeliverySpec]:
    """The named specifications, once each, in the order asked; an unknown name is a 400
    naming its place (mastering requests, inbox files and batches alike)."""
    specs: list[DeliverySpec] = []
    for index, name in enumerate(names):
        spec = find_delivery_spec(name) if isinstance(name, str) else None
        if spec is None:
            raise InvalidInput(
                f"deliverySpecs[{index}]: unknown delivery specification '{name}'; choose from: "
                f"{', '.join(s.name for s in DELIVERY_SPECS.values())} "
                "(GET /mastering/delivery-specs)",
                field=f"deliverySpecs[{index}]",
            )
        if spec not in specs:
            specs.append(spec)
    return specs


def _spec_suffix(spec: DeliverySpec) -> str:
    return f".{spec.id}.{spec.format}"


def _new_tracking_token(services: Services, org_id: str, script_id: str) -> str:
    from audiofn.services.tracking import SIGNING_PURPOSE, new_tracking_token
    from audiofn.storage.signing_keys import signing_key

    token = new_tracking_token(signing_key(services.settings.table, SIGNING_PURPOSE))
    services.table.create_tracking(token, org_id, script_id)
    return token


def record_tracking_event(services: Services, token: str, event: str, client: str) -> None:
    """Count a beacon (once per client per window); unknown or unsigned tokens are a 404."""
    from audiofn.services.tracking import (
        DEDUP_WINDOW_SECONDS,
        MAX_TOKEN_LENGTH,
        SIGNING_PURPOSE,
        is_signed_token,
    )
    from audiofn.storage.signing_keys import signing_key

    if event not in TRACKING_EVENTS or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound("unknown tracking event")
    if not is_signed_token(signing_key(services.settings.table, SIGNING_PURPOSE), token):
        raise NotFound("unknown tracking event")
    if not services.table.count_event(token, event, client, DEDUP_WINDOW_SECONDS):
        raise NotFound("unknown tracking event")


def tracking_counts(services: Services, org_id: str, script_id: str) -> list[dict[str, Any]]:
    from audiofn.services.masters import tracked_entries

    script = get_script(services, org_id, script_id)
    return [
        {"parameters": e.parameters, "counts": services.table.event_counts(e.tracking_token)}
        for e in tracked_entries(services, org_id, script.script_id)
        if e.tracking_token
    ]


def _public_url(services: Services, key: str) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}/{key}"


def _listeners(
    request: CreateMasteringRequest,
    entries: list[ManifestEntry],
    defaults: dict[str, str | None],
) -> list[dict[str, str]]:
    if not request.audience:
        rendered = {tuple(sorted(e.parameters.items())) for e in entries}
        return [dict(p) for p in sorted(rendered)]
    listeners: list[dict[str, str]] = []
    for member in request.audience:
        values = {k: str(v) for k, v in member.items() if k in defaults}
        if values not in listeners:
            listeners.append(values)
    return listeners


def _vast_files(formats: list[str], public_stem: str) -> dict[str, Any]:
    """Where a VAST ad's files go: the MP3 end formats first (the first one is the ad's first
    MediaFile, as before renditions), then each rendition of :data:`VAST_RENDITIONS` no end
    format made, and the lossless Mezzanine (the FLAC end format when there is one)."""
    from audiofn.vast import MEZZANINE_FORMAT, VAST_RENDITIONS, Rendition

    media = {
        Rendition("mp3", MP3_TIERS[fmt]).name: f"{public_stem}{_suffix(fmt)}"
        for fmt in formats
        if fmt in MP3_TIERS
    }
    for rendition in VAST_RENDITIONS:
        media.setdefault(rendition.name, f"{public_stem}.{rendition.name}.{rendition.format}")
    return {
        "vast_media": media,
        "vast_mezzanine": f"{public_stem}{_suffix(MEZZANINE_FORMAT)}"
        if MEZZANINE_FORMAT in formats
        else f"{public_stem}.mezzanine.{MEZZANINE_FORMAT}",
    }


def _suffix(fmt: str) -> str:
    if fmt.startswith("mp3_"):
        return f"-{fmt.removeprefix('mp3_')}.mp3"
    return f".{fmt}"


def _public_file_stem(script_name: str, parameters: dict[str, str]) -> str:
    """A public file's name: the script and a hash of the listener, never the values."""
    stem = slug(script_name)
    if parameters:
        stem += "__" + short_hash(*(f"{k}={v}" for k, v in sorted(parameters.items())))
    return stem


def _file_stem(script_name: str, parameters: dict[str, str]) -> str:
    stem = slug(script_name)
    if parameters:
        values = "-".join(slug(v, 20) for _, v in sorted(parameters.items()))
        stem += f"__{values}-" + short_hash(*(f"{k}={v}" for k, v in sorted(parameters.items())))
    return stem
