"""The sound-template catalogue: names, genres, moods, tempos and tags, and the listings.

Pure Python on purpose (no numpy): the API function lists templates (``GET /sound/template``,
``GET /sound/parameter``) on cold start. The music itself is in :mod:`audiofn.sound.scores`
and is rendered by :mod:`audiofn.sound.stems`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class SoundTemplate:
    """A music bed template as listed; its score is ``audiofn.sound.scores.SCORES[name]``."""

    name: str
    description: str
    genre: str
    mood: str
    tempo: int
    tags: tuple[str, ...]
    key: str
    phrase_bars: int
    """The body may stop (and the outro start) only after a multiple of this many bars."""
    seed: int

    def to_api(self) -> dict[str, Any]:
        """The api.audio shape of one entry of ``GET /sound/template`` (and
        ``/file/soundtemplates``): camelCase, tags as a list, tempo in BPM."""
        return {
            "name": self.name,
            "soundTemplateId": self.name,
            "description": self.description,
            "genre": self.genre,
            "mood": self.mood,
            "tempo": self.tempo,
            "tags": list(self.tags),
            "key": self.key,
            "sections": ["intro", "main", "outro"],
        }


TEMPLATES: Mapping[str, SoundTemplate] = MappingProxyType(
    {
        t.name: t
        for t in (
            SoundTemplate(
                name="calm",
                description="Soft ambient bed: a slow-swelling pad, a gentle piano arpeggio, "
                "a sine sub bass and the odd bell, in a large warm room.",
                genre="ambient",
                mood="calm",
                tempo=72,
                tags=("relaxing", "soft", "piano", "pad", "meditation", "wellness"),
                key="D major",
                phrase_bars=1,
                seed=1101,
            ),
            SoundTemplate(
                name="corporate",
                description="Confident, optimistic corporate pop: picked guitar arpeggios, "
                "piano chords, a falling bass line, clap and shaker groove.",
                genre="corporate",
                mood="inspiring",
                tempo=112,
                tags=("business", "positive", "guitar", "piano", "presentation", "brand"),
                key="C major",
                phrase_bars=1,
                seed=2202,
            ),
            SoundTemplate(
                name="upbeat",
                description="Bright, energetic dance-pop: four-on-the-floor kick, off-beat "
                "octave bass, house chord stabs and a sparkling arpeggio.",
                genre="pop",
                mood="happy",
                tempo=126,
                tags=("energetic", "dance", "summer", "fun", "advertising", "electronic"),
                key="G major",
                phrase_bars=1,
                seed=3303,
            ),
            SoundTemplate(
                name="cinematic",
                description="Epic orchestral-style underscore: ensemble strings, low brass, "
                "a driving string ostinato, taiko and big booms, a lonely piano motif.",
                genre="cinematic",
                mood="epic",
                tempo=84,
                tags=("trailer", "dramatic", "orchestral", "strings", "documentary", "emotional"),
                key="D minor",
                phrase_bars=1,
                seed=4404,
            ),
            SoundTemplate(
                name="news",
                description="Urgent newsroom bed: a ticking clock pulse, driving synth bass, "
                "brassy stabs and tight drums, with a sting at the top.",
                genre="news",
                mood="urgent",
                tempo=120,
                tags=("breaking", "headlines", "journalism", "tension", "broadcast", "ticker"),
                key="E minor",
                phrase_bars=1,
                seed=5505,
            ),
            SoundTemplate(
                name="lofi",
                description="Dusty lo-fi hip-hop: swung boom-bap drums, a tremolo electric "
                "piano playing jazzy sevenths, a round sub bass and vinyl crackle.",
                genre="lo-fi",
                mood="chill",
                tempo=80,
                tags=("hip-hop", "study", "relaxed", "vinyl", "jazzy", "late night"),
                key="C major",
                phrase_bars=1,
                seed=6606,
            ),
        )
    }
)
"""Every sound template by name."""


class UnknownSoundTemplate(ValueError):
    """The name is not one of :data:`TEMPLATES`."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown sound template {name!r}; valid templates: {sorted(TEMPLATES)}")
        self.name = name


def get_template(name: str) -> SoundTemplate:
    """A template by name (case and surrounding spaces ignored)."""
    try:
        return TEMPLATES[name.strip().lower()]
    except KeyError:
        raise UnknownSoundTemplate(name) from None


def list_templates(
    *,
    genre: str | None = None,
    mood: str | None = None,
    tempo: int | None = None,
    tags: Iterable[str] | str | None = None,
) -> list[SoundTemplate]:
    """Templates matching every filter given (``GET /sound/template?genre=..&tags=..``).

    Matching ignores case; ``tags`` (a list or a comma-separated string) must all be present.
    """
    wanted = (
        {t.strip().lower() for t in tags.split(",") if t.strip()}
        if isinstance(tags, str)
        else {t.lower() for t in tags or ()}
    )
    return [
        t
        for t in TEMPLATES.values()
        if (genre is None or t.genre.lower() == genre.strip().lower())
        and (mood is None or t.mood.lower() == mood.strip().lower())
        and (tempo is None or t.tempo == tempo)
        and wanted <= {tag.lower() for tag in t.tags}
    ]


def sound_parameters() -> dict[str, list[Any]]:
    """``GET /sound/parameter``: every value the template filters accept."""
    return {
        "genre": sorted({t.genre for t in TEMPLATES.values()}),
        "mood": sorted({t.mood for t in TEMPLATES.values()}),
        "tempo": sorted({t.tempo for t in TEMPLATES.values()}),
        "tags": sorted({tag for t in TEMPLATES.values() for tag in t.tags}),
    }
