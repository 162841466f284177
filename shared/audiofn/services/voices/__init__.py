"""Voice management: built-in and custom voices side by side, custom voices from samples,
previews, collections, generation jobs and usage analytics.

One module a concern: :mod:`.access` (tables, finding a voice), :mod:`.wire` (API shapes),
:mod:`.listing`, :mod:`.profiles` (create, update, delete), :mod:`.generation` (speech jobs
and previews), :mod:`.collections`, :mod:`.analytics` and :mod:`.speaking` (resolving the voice
a speech request names). The public names are re-exported here.

Imports no audio code: the API function runs all of this. Samples are processed by the
voice-sample function (`services.voice_processing`), synthesis by the speech function.
"""

from audiofn.services.voices.access import (
    find_custom,
    find_voice,
    samples_prefix,
    samples_store,
    voices_table,
)
from audiofn.services.voices.analytics import usage_analytics
from audiofn.services.voices.collections import (
    add_collection_voices,
    create_collection,
    list_collections,
)
from audiofn.services.voices.generation import (
    PREVIEW_FORMATS,
    batch_preview,
    generate_speech,
    tts_job_status,
    voice_preview,
)
from audiofn.services.voices.listing import list_voice_profiles
from audiofn.services.voices.profiles import (
    UploadedSample,
    create_blended_voice,
    create_voice_profile,
    delete_voice,
    update_voice,
)
from audiofn.services.voices.speaking import resolve_speech_voice
from audiofn.services.voices.wire import profile_to_api, ref_to_api

__all__ = [
    "PREVIEW_FORMATS",
    "UploadedSample",
    "add_collection_voices",
    "batch_preview",
    "create_blended_voice",
    "create_collection",
    "create_voice_profile",
    "delete_voice",
    "find_custom",
    "find_voice",
    "generate_speech",
    "list_collections",
    "list_voice_profiles",
    "profile_to_api",
    "ref_to_api",
    "resolve_speech_voice",
    "samples_prefix",
    "samples_store",
    "tts_job_status",
    "update_voice",
    "usage_analytics",
    "voice_preview",
    "voices_table",
]
