"""Sound templates in S3: rendered once (first start or first use), then read back.

The music is deterministic, so rendering twice gives the same bytes and a race between two
workers rendering the same template is harmless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audiofn.storage.media import MediaStore

if TYPE_CHECKING:
    from audiofn.sound.stems import Stems

LIBRARY_PREFIX = "sound/templates/"
SNIPPET_SECONDS = 15.0


def check_template(value: str, field: str) -> str:
    """The template's canonical name, or a 400 listing the valid names."""
    from audiofn.errors import InvalidInput
    from audiofn.sound.catalogue import TEMPLATES

    name = value.strip().lower()
    if name not in TEMPLATES:
        raise InvalidInput(
            f"{field}: unknown sound template '{value}'; choose one of: {', '.join(TEMPLATES)}",
            field=field,
        )
    return name


def template_prefix(name: str) -> str:
    return f"{LIBRARY_PREFIX}{name}/"


def snippet_key(name: str) -> str:
    return f"{template_prefix(name)}snippet.mp3"


def ensure_template(media: MediaStore, name: str) -> Stems:
    """The template's stems from S3, rendering and storing them first if they are missing."""
    from audiofn.codecs import decode, encode
    from audiofn.sound.stems import Stems, bed_for_duration, render_template

    prefix = template_prefix(name)
    manifest_key = f"{prefix}manifest.json"
    if media.exists(manifest_key):
        manifest = media.get_json(manifest_key)
        parts = {
            part: decode(media.get_bytes(f"{prefix}{part}.flac"))
            for part in ["intro", "outro", *(f"bar{i + 1}" for i in range(int(manifest["bars"])))]
        }
        return Stems.from_parts(manifest, parts)
    stems = render_template(name)
    for part, audio in stems.parts().items():
        media.put_bytes(f"{prefix}{part}.flac", encode(audio, "flac"), "audio/flac")
    snippet = bed_for_duration(stems, SNIPPET_SECONDS)
    media.put_bytes(snippet_key(name), encode(snippet, "mp3"), "audio/mpeg")
    # The manifest last: its presence means every part is stored.
    media.put_json(manifest_key, stems.manifest())
    return stems


def ensure_library(media: MediaStore) -> list[str]:
    """Render every template that is not stored yet (the local runtime's first start)."""
    from audiofn.sound.catalogue import TEMPLATES

    rendered = []
    for name in TEMPLATES:
        if not media.exists(f"{template_prefix(name)}manifest.json"):
            ensure_template(media, name)
            rendered.append(name)
    return rendered
