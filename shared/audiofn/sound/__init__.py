"""Sound templates: procedurally composed music beds, rendered by the project itself.

``render_template(name)`` gives a template's stems (intro, body bars, outro, each with its
ringing tail); ``bed_for_duration(name_or_stems, seconds)`` lays them out into a bed that covers
a programme and ends on the outro. Listings for the api.audio endpoints come from
``TEMPLATES[name].to_api()``, ``list_templates(...)`` and ``sound_parameters()``.

Importing this package is cheap (the catalogue is pure Python, for the API function); the
rendering names load numpy, scipy and pedalboard on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audiofn.sound.catalogue import (
    TEMPLATES,
    SoundTemplate,
    UnknownSoundTemplate,
    get_template,
    list_templates,
    sound_parameters,
)

if TYPE_CHECKING:
    from audiofn.sound.stems import (
        BED_LOUDNESS_LUFS,
        SAMPLE_RATE,
        Bed,
        SeamMetrics,
        Stems,
        arrange_bed,
        bed_for_duration,
        loop_seam_metrics,
        plan_body_bars,
        render_arrangement,
        render_instrument_stems,
        render_template,
        sound_project_files,
        sound_project_zip,
    )

_RENDERING = {
    "BED_LOUDNESS_LUFS",
    "SAMPLE_RATE",
    "Bed",
    "SeamMetrics",
    "Stems",
    "arrange_bed",
    "bed_for_duration",
    "loop_seam_metrics",
    "plan_body_bars",
    "render_arrangement",
    "render_instrument_stems",
    "render_template",
    "sound_project_files",
    "sound_project_zip",
}


def __getattr__(name: str) -> Any:
    """Load the rendering side (numpy, scipy, pedalboard) only when it is asked for."""
    if name in _RENDERING:
        from audiofn.sound import stems

        return getattr(stems, name)
    raise AttributeError(f"module 'audiofn.sound' has no attribute {name!r}")


__all__ = [
    "BED_LOUDNESS_LUFS",
    "SAMPLE_RATE",
    "TEMPLATES",
    "Bed",
    "SeamMetrics",
    "SoundTemplate",
    "Stems",
    "UnknownSoundTemplate",
    "arrange_bed",
    "bed_for_duration",
    "get_template",
    "list_templates",
    "loop_seam_metrics",
    "plan_body_bars",
    "render_arrangement",
    "render_instrument_stems",
    "render_template",
    "sound_parameters",
    "sound_project_files",
    "sound_project_zip",
]
