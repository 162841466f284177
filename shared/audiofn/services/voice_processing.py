"""The voice-sample function's core: a profile's samples in, a COMPLETED or FAILED profile out.

Each sample is decoded, checked against every requirement (all failures reported by name),
cleaned (denoise when asked, trim, loudness) and stored beside its original; the speaker's
pitch and rate are measured and their speaker embedding taken. In a language Kokoro speaks, a
search over Kokoro's styles finds the closest voice we can make (:mod:`audiofn.speakers.
style_search`), whose style is stored beside the samples and whose similarity on a held-out
sentence the profile reports; elsewhere the built-in voice closest to the samples is shifted
toward their pitch and rate. A profile saved from a blend gets the blend's style. Idempotent:
a profile that is no longer PROCESSING is left alone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from audiofn.audio import Audio
from audiofn.models.records import utc_now
from audiofn.models.voices import SampleRecord, VoiceProfileRecord, VoiceSampleManifest
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.notifications import notify
from audiofn.services.voice_samples import (
    SampleUnreadable,
    VoiceTraits,
    check_sample,
    clean_sample,
    decode_sample,
    denoise,
    measure_voice,
)
from audiofn.services.voices import samples_prefix, samples_store, voices_table
from audiofn.speakers.encoder import SpeakerNotMeasurable
from audiofn.speakers.languages import kokoro_language
from audiofn.storage.media import MediaStore
from audiofn.tts import catalogue
from audiofn.tts.catalogue import Voice
from audiofn.tts.custom_voice import MAX_SHIFT_SEMITONES, RATE_LIMITS
from audiofn.tts.registry import EngineSettings, synthesize

# Read by the base voice once per process to measure its own pitch and rate.
CALIBRATION_TEXT = (
    "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with "
    "a single step, and every morning brings a chance to learn something new."
)
MALE_BELOW_HZ = 165.0  # median pitch under this reads as a male voice

_calibrations: dict[str, VoiceTraits] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ProcessedSample:
    record: SampleRecord
    audio: Audio | None  # as recorded (decoded), for measuring the speaker
    failures: list[str]
    cleaned: Audio | None = None  # what is kept: for the speaker embedding


@dataclass(frozen=True)
class SearchBudget:
    """How much the style search may try: candidates, and seconds before it keeps its best."""

    candidates: int = 100
    seconds: float = 600.0


def process_profile(
    services: Services,
    manifest: VoiceSampleManifest,
    engine_settings: EngineSettings,
    budget: SearchBudget | None = None,
) -> VoiceProfileRecord | None:
    table = voices_table(services)
    profile = table.get_profile(manifest.org_id, manifest.voice_uuid)
    if profile is None or profile.status != "PROCESSING":
        logger.info("voice already processed or deleted", extra={"voice": manifest.voice_uuid})
        return profile
    if manifest.blend:
        return _process_blend(services, profile, manifest.blend)
    started = time.perf_counter()
    store = samples_store(services)
    processed = [
        _process_sample(store, profile, index, key, filename, remove_noise=manifest.denoise)
        for index, (key, filename) in enumerate(
            zip(manifest.sample_keys, manifest.filenames, strict=True)
        )
    ]
    records = [p.record for p in processed]
    failures = [failure for p in processed for failure in p.failures]
    if failures:
        return finish(services, profile.model_copy(update={"samples": records}), failures)
    recorded = [p.audio for p in processed if p.audio is not None]
    try:
        traits = measure_voice(recorded)
    except ValueError as error:
        return finish(services, profile.model_copy(update={"samples": records}), [str(error)])
    gender = profile.gender or ("male" if traits.median_pitch_hz < MALE_BELOW_HZ else "female")
    measured = {
        "samples": records,
        "gender": gender,
        "median_pitch_hz": traits.median_pitch_hz,
        "pitch_range_semitones": traits.pitch_range_semitones,
        "speaking_rate": traits.speaking_rate,
    }
    if kokoro_language(profile.language) is not None:
        cleaned = [p.cleaned for p in processed if p.cleaned is not None]
        try:
            synthesis = _search_style(services, profile, cleaned, gender, budget or SearchBudget())
        except SpeakerNotMeasurable as error:
            return finish(services, profile.model_copy(update=measured), [str(error)])
    else:
        base = closest_builtin(profile.language, gender, services)
        shift, rate = shifts_toward(base, traits, engine_settings)
        synthesis = {
            "method": "base-voice-shift",
            "base_voice_id": base.id,
            "pitch_shift_semitones": shift,
            "rate_factor": rate,
        }
    logger.info(
        "voice processed",
        extra={
            "voice": profile.uuid,
            "method": synthesis["method"],
            "similarity": synthesis.get("similarity"),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
    return _finish_current(services, profile, {**measured, **synthesis})


def _finish_current(
    services: Services, profile: VoiceProfileRecord, update: dict[str, Any]
) -> VoiceProfileRecord | None:
    """Finish the profile as it is now: a long search must not undo a rename made meanwhile,
    nor bring back a voice deleted meanwhile (its style is removed with it)."""
    current = voices_table(services).get_profile(profile.org_id, profile.uuid)
    if current is None or current.status != "PROCESSING":
        if current is None and update.get("style_key"):
            samples_store(services).delete_prefix(str(update["style_key"]))
        return current
    return finish(services, current.model_copy(update={**update, "progress": None}), [])


def _search_style(
    services: Services,
    profile: VoiceProfileRecord,
    cleaned: list[Audio],
    gender: str,
    budget: SearchBudget,
) -> dict[str, Any]:
    """The closest Kokoro style to the speaker, stored beside the samples; the profile's
    synthesis fields. Progress goes to the profile every few candidates."""
    from audiofn.speakers.encoder import get_encoder
    from audiofn.speakers.style_search import search_style
    from audiofn.tts.custom_voice import style_to_bytes

    reference = get_encoder().embed_speaker(cleaned)
    table = voices_table(services)
    reported = [0]

    def progress(tried: int, planned: int, best: float) -> None:
        percent = min(99, int(100 * tried / planned))
        if percent - reported[0] >= 5:
            reported[0] = percent
            table.set_progress(profile.org_id, profile.uuid, percent)

    result = search_style(
        reference,
        profile.language,
        gender=gender,
        candidates=budget.candidates,
        deadline_seconds=budget.seconds,
        progress=progress,
    )
    key = f"{samples_prefix(profile.org_id, profile.uuid)}style.npy"
    samples_store(services).put_bytes(key, style_to_bytes(result.style), "application/octet-stream")
    logger.info(
        "style search",
        extra={
            "voice": profile.uuid,
            "candidates": result.candidates,
            "seconds": result.seconds,
            "nearest": result.nearest_voice,
            "nearest_similarity": result.nearest_voice_similarity,
            "search_similarity": result.search_similarity,
        },
    )
    return {
        "method": "style-search",
        "base_voice_id": result.nearest_voice,
        "style_key": key,
        "style_blend": result.blend,
        "similarity": result.similarity,
        "pitch_shift_semitones": None,
        "rate_factor": None,
    }


def _process_blend(
    services: Services, profile: VoiceProfileRecord, blend: str
) -> VoiceProfileRecord | None:
    """A voice saved from a blend: the blend's style, stored like a searched one."""
    from audiofn.tts.base import SynthesisError
    from audiofn.tts.custom_voice import style_to_bytes
    from audiofn.tts.kokoro_engine import style_for

    try:
        style = style_for(blend)
    except SynthesisError as error:
        return finish(services, profile, [f"blend: {error}"])
    key = f"{samples_prefix(profile.org_id, profile.uuid)}style.npy"
    samples_store(services).put_bytes(key, style_to_bytes(style), "application/octet-stream")
    return _finish_current(
        services, profile, {"method": "blend", "style_key": key, "style_blend": blend}
    )


def finish(
    services: Services, profile: VoiceProfileRecord, failures: list[str]
) -> VoiceProfileRecord:
    now = utc_now()
    done = profile.model_copy(
        update={
            "status": "FAILED" if failures else "COMPLETED",
            "error_message": "; ".join(failures)[:4000] if failures else None,
            "processed_at": now,
            "updated_at": now,
        }
    )
    voices_table(services).put_profile(done)
    notify(
        services.settings,
        done.org_id,
        "voice.ready",
        done.uuid,
        {
            "id": done.id,
            "uuid": done.uuid,
            "status": done.status,
            "error_message": done.error_message,
            "method": done.method,
            "similarity": done.similarity,
        },
    )
    return done


def _process_sample(
    store: MediaStore,
    profile: VoiceProfileRecord,
    index: int,
    key: str,
    filename: str,
    *,
    remove_noise: bool,
) -> ProcessedSample:
    from audiofn.codecs import encode

    label = f"sample {index + 1} '{filename}'"
    record = SampleRecord(filename=filename, original_key=key)
    try:
        audio = decode_sample(store.get_bytes(key), filename)
    except SampleUnreadable as error:
        return ProcessedSample(record, None, [f"{label}: {error}"])
    original = audio
    if remove_noise:  # the checks judge what will be kept: a denoised sample
        audio = denoise(audio)
    report = check_sample(audio, filename)
    record = record.model_copy(
        update={
            "duration": round(report.duration, 3),
            "sample_rate": report.sample_rate,
            "checks": [check.model_dump() for check in report.checks],
        }
    )
    if not report.passed:
        return ProcessedSample(record, None, [f"{label}: {f}" for f in report.failures])
    cleaned = clean_sample(audio, remove_noise=False)
    processed_key = f"{samples_prefix(profile.org_id, profile.uuid)}processed/{index}.wav"
    store.put_bytes(processed_key, encode(cleaned, "wav"), "audio/wav")
    # Pitch is measured on the sample as recorded: spectral gating thins the fundamental and
    # biases the tracker upward by a semitone or two.
    return ProcessedSample(
        record.model_copy(update={"processed_key": processed_key}), original, [], cleaned
    )


def closest_builtin(language: str, gender: str, services: Services) -> Voice:
    """Same language and gender, neural first; then same language; then the default voice."""
    settings = services.settings
    voices = catalogue.list_voices(
        polly_enabled=settings.polly_enabled, upstream_enabled=bool(settings.upstream_tts_url)
    )
    subtag = language.split("-", 1)[0]
    same_language = [v for v in voices if v.language_subtag == subtag and v.age_bracket == "adult"]
    ranked = (
        [v for v in same_language if v.gender == gender and v.neural]
        + [v for v in same_language if v.gender == gender]
        + [v for v in same_language if v.neural]
        + same_language
    )
    if ranked:
        return ranked[0]
    return catalogue.resolve_voice(
        catalogue.DEFAULT_VOICE_ID,
        polly_enabled=settings.polly_enabled,
        upstream_enabled=bool(settings.upstream_tts_url),
    )


def base_traits(base: Voice, engine_settings: EngineSettings) -> VoiceTraits:
    """The base voice's own pitch and rate, measured once per process from a calibration text."""
    with _lock:
        found = _calibrations.get(base.id)
    if found is None:
        found = measure_voice([synthesize(CALIBRATION_TEXT, base, 1.0, engine_settings)])
        with _lock:
            _calibrations[base.id] = found
    return found


def shifts_toward(
    base: Voice, speaker: VoiceTraits, engine_settings: EngineSettings
) -> tuple[float, float]:
    """(semitones, rate factor) that move the base voice toward the speaker, within limits."""
    import math

    own = base_traits(base, engine_settings)
    semitones = 12 * math.log2(speaker.median_pitch_hz / own.median_pitch_hz)
    semitones = max(-MAX_SHIFT_SEMITONES, min(MAX_SHIFT_SEMITONES, semitones))
    rate = speaker.speaking_rate / own.speaking_rate if own.speaking_rate > 0 else 1.0
    rate = max(RATE_LIMITS[0], min(RATE_LIMITS[1], rate))
    return round(semitones, 2), round(rate, 3)


def fail_profile(services: Services, manifest: VoiceSampleManifest, reason: str) -> None:
    """The last delivery of a message that kept failing: the profile says why."""
    profile = voices_table(services).get_profile(manifest.org_id, manifest.voice_uuid)
    if profile is not None and profile.status == "PROCESSING":
        finish(services, profile, [reason])
