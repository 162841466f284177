"""The torch-free speaker encoder: its weights reader, and what it tells apart on natural speech."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.speakers.encoder import (
    SpeakerNotMeasurable,
    get_encoder,
    partial_slices,
    similarity,
    weights_path,
)
from audiofn.speakers.torch_weights import CheckpointError, read_legacy_checkpoint
from tests.speech_references import allison_prompts, alsa_words, joined


def test_the_wheel_weights_read_without_torch() -> None:
    state = read_legacy_checkpoint(weights_path())["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(np.all(np.isfinite(v)) for v in state.values())


def test_a_checkpoint_naming_other_code_is_refused(tmp_path: Path) -> None:
    # Given a legacy header followed by a pickle that would call os.system
    path = tmp_path / "evil.pt"
    with path.open("wb") as out:
        for value in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(value, out, protocol=2)
        out.write(b"cos\nsystem\n(S'true'\ntR.")
    # Then reading it names the class and runs nothing
    with pytest.raises(CheckpointError, match=r"os\.system"):
        read_legacy_checkpoint(path)


def test_a_file_that_is_no_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.pt"
    path.write_bytes(b"PK\x03\x04 not a legacy checkpoint")
    with pytest.raises(CheckpointError):
        read_legacy_checkpoint(path)


def test_partials_cover_the_utterance_at_resemblyzer_spacing() -> None:
    slices = partial_slices(16_000 * 5)  # 5 s: 1.6 s partials every 0.77 s
    assert [s.start for s in slices][:3] == [0, 77, 154]
    assert all(s.stop - s.start == 160 for s in slices)
    assert slices[-1].stop * 160 >= 16_000 * 5 * 0.9


@pytest.mark.slow
def test_same_speaker_scores_above_different_speakers_on_natural_speech() -> None:
    encoder = get_encoder()
    words = alsa_words()
    alsa_a = encoder.embed_speaker([joined(words[:5])])
    alsa_b = encoder.embed_speaker([joined(words[5:])])
    prompts = allison_prompts(12)
    allison_a = encoder.embed_speaker(list(prompts[:6]))
    allison_b = encoder.embed_speaker(list(prompts[6:]))
    same = min(similarity(alsa_a, alsa_b), similarity(allison_a, allison_b))
    different = max(similarity(alsa_a, allison_b), similarity(alsa_b, allison_a))
    assert same > 0.85, same
    assert different < same - 0.1, (same, different)
    assert abs(float(np.linalg.norm(alsa_a)) - 1.0) < 1e-5


def test_silence_is_not_a_speaker() -> None:
    with pytest.raises(SpeakerNotMeasurable, match="voiced speech"):
        get_encoder().embed_utterances([Audio(np.zeros(48_000 * 3, np.float32), 48_000)])
