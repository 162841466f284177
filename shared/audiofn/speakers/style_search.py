"""The closest Kokoro voice we can make for a speaker: a search over Kokoro's style space.

A Kokoro style is a 510 x 256 array; a weighted mean of the catalogue's styles (a blend) is a
valid style too. The search scores a candidate by speaking one sentence with it and taking the
cosine between its speaker embedding and the speaker's (:mod:`audiofn.speakers.encoder`):

1. the catalogue voices of the language, the speaker's gender first, each alone;
2. blends of the best few, half and half, then all of them weighted by their scores;
3. random steps around the best mix (weights over the best voices, slightly negative weights
   allowed so the mix can move past a voice, not only between voices), narrowing as it goes.

Every candidate is a list of (voice, weight) over the catalogue, so the found style is also
readable as a blend. The figure reported is measured on a held-out sentence the search never
scored, so it says how the voice sounds on new text, not how well it fits the search sentence.
It is the closest voice we can make from Kokoro's voices, not a clone: expect a cosine of
about 0.7-0.8 where the same speaker scores 0.92-0.96 and different speakers 0.50-0.56.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from audiofn.speakers.encoder import Embedding, get_encoder, similarity
from audiofn.speakers.languages import (
    LanguageNotCovered,
    kokoro_catalogue,
    kokoro_language,
    language_voice,
)

SEARCH_SENTENCES = {
    "en": "She quickly packed the heavy boxes, then walked home through the quiet evening rain.",
    "es": "Ella guardó las cajas pesadas y volvió a casa caminando bajo la lluvia de la tarde.",
    "fr": "Elle a rangé les lourdes boîtes, puis elle est rentrée à pied sous la pluie du soir.",
    "hi": "उसने भारी डिब्बे जल्दी से बाँधे और शाम की बारिश में पैदल घर लौट गई।",
    "it": "Ha messo via le scatole pesanti ed è tornata a casa a piedi sotto la pioggia serale.",
    "pt": "Ela guardou as caixas pesadas e voltou para casa a pé debaixo da chuva da tarde.",
}
HELD_OUT_SENTENCES = {
    "en": "Good morning! Our little bakery opens at seven, and the bread is still warm by noon.",
    "es": "¡Buenos días! Nuestra pequeña panadería abre a las siete y el pan sigue caliente.",
    "fr": "Bonjour ! Notre petite boulangerie ouvre à sept heures et le pain reste chaud.",
    "hi": "सुप्रभात! हमारी छोटी बेकरी सात बजे खुलती है और दोपहर तक रोटी गरम रहती है।",
    "it": "Buongiorno! Il nostro piccolo forno apre alle sette e il pane resta caldo fino a sera.",
    "pt": "Bom dia! A nossa pequena padaria abre às sete e o pão ainda está quente ao meio-dia.",
}
DEFAULT_CANDIDATES = 100
MIN_CANDIDATES = 4
_TOP_VOICES = 6
_MIN_WEIGHT = -0.25  # past a voice by at most a quarter of the way
_GRADES = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F+", "F", "")


def espeak_language(language: str) -> str:
    """The eSpeak NG voice that phonemises the language as its Kokoro voices expect."""
    from audiofn.tts.kokoro_engine import espeak_voice

    return espeak_voice(language_voice(language))


def candidate_voices(language: str, gender: str | None) -> list[str]:
    """The catalogue voices to start from: the language's, the speaker's gender first, then
    the accent asked for, then by the model card's grade."""
    code = language_voice(language).language_code
    voices = [v for v in kokoro_catalogue() if v.language_subtag == kokoro_language(language)]
    voices.sort(
        key=lambda v: (
            gender in {"male", "female"} and v.gender != gender,
            v.language_code != code,
            _GRADES.index(v.grade) if v.grade in _GRADES else len(_GRADES),
        )
    )
    return [v.id for v in voices]


Mix = tuple[tuple[str, float], ...]


def mix_style(mix: Mix) -> np.ndarray:
    """The style of a weighted mix of catalogue voices (weights sum to 1, may dip below 0)."""
    from audiofn.tts.kokoro_engine import STYLE_SHAPE, load_style

    total = sum(weight for _, weight in mix)
    style = np.zeros(STYLE_SHAPE, np.float64)
    for name, weight in mix:
        style += load_style(name) * (weight / total)
    return style.astype(np.float32)


def describe_mix(mix: Mix) -> str:
    """``af_bella(0.62)+af_sky(0.38)``: the mix as a blend expression (weights in percent)."""
    parts = [(name, weight) for name, weight in mix if abs(weight) >= 0.005]
    if len(parts) == 1:
        return parts[0][0]
    return "+".join(f"{name}({weight:.2f})" for name, weight in parts)


@dataclass(frozen=True)
class Candidate:
    mix: Mix
    score: float


@dataclass(frozen=True)
class StyleSearchResult:
    style: np.ndarray = field(repr=False)
    mix: Mix
    search_similarity: float
    """Cosine on the search sentence (what the search maximised)."""
    similarity: float
    """Cosine on the held-out sentence: the figure to report."""
    nearest_voice: str
    nearest_voice_similarity: float
    """The best single catalogue voice, on the search sentence."""
    candidates: int
    seconds: float

    @property
    def blend(self) -> str:
        return describe_mix(self.mix)


Progress = Callable[[int, int, float], None]
"""Called after each candidate with (tried, planned, best cosine so far)."""


def _normalised(weights: dict[str, float]) -> Mix:
    total = sum(weights.values())
    return tuple(
        sorted(((n, w / total) for n, w in weights.items() if w != 0.0), key=lambda p: -p[1])
    )


class _Scorer:
    def __init__(self, reference: Embedding, sentence: str, espeak: str, speed: float) -> None:
        from audiofn.tts.kokoro_engine import get_kokoro

        self.reference = reference
        self.sentence = sentence
        self.espeak = espeak
        self.speed = speed
        self.kokoro = get_kokoro()
        self.encoder = get_encoder()
        self.seen: dict[Mix, float] = {}

    def embed(self, style: np.ndarray, sentence: str) -> Embedding:
        speech = self.kokoro.speak(sentence, style, language=self.espeak, speed=self.speed)
        return self.encoder.embed_utterances([speech.audio])[0]

    def score(self, mix: Mix) -> float:
        key = tuple((n, round(w, 3)) for n, w in mix)
        if key not in self.seen:
            self.seen[key] = similarity(self.reference, self.embed(mix_style(mix), self.sentence))
        return self.seen[key]


def search_style(
    reference: Embedding,
    language: str,
    *,
    gender: str | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    deadline_seconds: float | None = None,
    speed: float = 1.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> StyleSearchResult:
    """The mix of catalogue styles whose speech is closest to the reference embedding.

    Tries at most `candidates` styles (at least 4) and stops early past `deadline_seconds`,
    keeping the best so far; then speaks the held-out sentence once to measure the result."""
    started = time.monotonic()
    planned = max(MIN_CANDIDATES, candidates)
    key = kokoro_language(language)
    if key is None:
        raise LanguageNotCovered(f"Kokoro has no voices for language '{language}'")
    scorer = _Scorer(reference, SEARCH_SENTENCES[key], espeak_language(language), speed)
    rng = np.random.default_rng(seed)
    tried: list[Candidate] = []

    def out_of_time() -> bool:
        return deadline_seconds is not None and time.monotonic() - started > deadline_seconds

    def attempt(mix: Mix) -> bool:
        """Score one candidate; False once the budget or the time is spent."""
        if len(tried) >= planned or out_of_time():
            return False
        tried.append(Candidate(mix, scorer.score(mix)))
        if progress is not None:
            progress(len(tried), planned, max(c.score for c in tried))
        return True

    # 1. Single voices: at most 40 % of the budget, the likeliest first.
    singles = candidate_voices(language, gender)[: max(2, int(planned * 0.4))]
    for name in singles:
        if not attempt(((name, 1.0),)):
            break
    ranked = sorted(tried, key=lambda c: -c.score)
    top = [c.mix[0][0] for c in ranked[:_TOP_VOICES]]
    nearest = ranked[0]

    # 2. Halves of the best with each of the next, then all of the top weighted by score.
    for other in top[1:4]:
        attempt(_normalised({top[0]: 0.5, other: 0.5}))
    if len(top) > 2:
        scores = np.array([c.score for c in ranked[: len(top)]])
        weights = np.exp((scores - scores.max()) / 0.02)
        attempt(_normalised(dict(zip(top, weights.tolist(), strict=True))))

    # 3. Random steps around the best mix over the top voices, narrowing.
    step = 0.35
    while len(tried) < planned and not out_of_time():
        best = max(tried, key=lambda c: c.score)
        base = dict.fromkeys(top, 0.0) | dict(best.mix)
        names = list(base)
        vector = np.array([base[n] for n in names]) + rng.normal(0, step, len(names))
        vector = np.maximum(vector, _MIN_WEIGHT)
        if vector.sum() <= 0.2:
            continue
        vector /= vector.sum()
        attempt(_normalised(dict(zip(names, vector.tolist(), strict=True))))
        step = max(0.08, step * 0.93)

    best = max(tried, key=lambda c: c.score)
    style = mix_style(best.mix)
    held_out = similarity(reference, scorer.embed(style, HELD_OUT_SENTENCES[key]))
    return StyleSearchResult(
        style=style,
        mix=best.mix,
        search_similarity=round(best.score, 4),
        similarity=round(held_out, 4),
        nearest_voice=nearest.mix[0][0],
        nearest_voice_similarity=round(nearest.score, 4),
        candidates=len(tried),
        seconds=round(time.monotonic() - started, 2),
    )


def held_out_similarity(
    reference: Embedding, style: np.ndarray, language: str, speed: float = 1.0
) -> float:
    """The cosine of a style's speech of the held-out sentence against the reference."""
    key = kokoro_language(language)
    if key is None:
        raise LanguageNotCovered(f"Kokoro has no voices for language '{language}'")
    scorer = _Scorer(reference, HELD_OUT_SENTENCES[key], espeak_language(language), speed)
    return round(similarity(reference, scorer.embed(style, HELD_OUT_SENTENCES[key])), 4)
