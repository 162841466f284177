"""Speaker embeddings (d-vectors) with Resemblyzer's pretrained encoder, in numpy, without torch.

The weights are the 17 MB ``pretrained.pt`` inside PyPI's ``resemblyzer`` wheel, installed with
``--no-deps`` (its torch and librosa are not needed) and read by
:mod:`audiofn.speakers.torch_weights`. The network and the preprocessing are Resemblyzer's own:
16 kHz mono, volume raised to -30 dBFS, long silences cut by webrtcvad, a 40-channel mel power
spectrogram (25 ms Hann window, 10 ms hop), partials of 160 frames (1.6 s) at 1.3 per second,
a 3-layer LSTM (256) whose last hidden state goes through a linear layer, ReLU and L2 norm;
an utterance is the normalised mean of its partials. Embeddings are non-negative unit vectors,
so their cosine lies in [0, 1]: here 0.92-0.96 for the same speaker on natural speech and
0.50-0.56 for different speakers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from audiofn.audio import Audio

Embedding = npt.NDArray[np.float32]

SAMPLE_RATE = 16_000
EMBEDDING_SIZE = 256
SAME_SPEAKER_THRESHOLD = 0.85
"""Two recordings scoring at least this are taken for one speaker. It sits below every
same-speaker score measured with this encoder: 0.92-0.96 for one person on natural speech
(the natural-speech test asserts above 0.85) and 0.89-0.94 for one Kokoro voice saying two
different sentences. Two different people score 0.50-0.56, and two different Kokoro voices
0.55-0.84 (synthetic voices of one model lie closer together than people do), so a pair
below it is a pair this encoder would not mistake for one speaker."""
MIN_SPEECH_SECONDS = 1.0
"""Less voiced audio than this (after silences are cut) gives no trustworthy embedding."""

_MEL_CHANNELS = 40
_N_FFT = 400  # 25 ms
_HOP = 160  # 10 ms
_PARTIAL_FRAMES = 160  # 1.6 s
_PARTIALS_PER_SECOND = 1.3
_MIN_COVERAGE = 0.75
_TARGET_DBFS = -30.0
_VAD_WINDOW = 480  # 30 ms
_VAD_AVERAGE_WIDTH = 8
_VAD_MAX_SILENCE = 6
_INT16_MAX = 2**15 - 1
_LAYERS = 3


class SpeakerNotMeasurable(ValueError):
    """The audio holds too little voiced speech to tell who is speaking."""


class EncoderUnavailable(RuntimeError):
    """The encoder's weights are not installed (``pip install --no-deps resemblyzer``)."""


def weights_path() -> Path:
    """``resemblyzer/pretrained.pt`` of the installed wheel, found without importing it."""
    from importlib import metadata

    try:
        located = metadata.distribution("resemblyzer").locate_file("resemblyzer/pretrained.pt")
    except metadata.PackageNotFoundError as error:
        raise EncoderUnavailable(
            "the speaker encoder's weights are not installed: "
            "pip install --no-deps resemblyzer==0.1.4"
        ) from error
    path = Path(str(located))
    if not path.is_file():
        raise EncoderUnavailable(f"the speaker encoder's weights are missing at {path}")
    return path


# ------------------------------------------------------------------ preprocessing


def _to_16k(audio: Audio) -> npt.NDArray[np.float32]:
    import soxr

    samples = audio.samples if audio.samples.ndim == 1 else audio.samples.mean(axis=1)
    samples = np.asarray(samples, np.float32)
    if audio.sample_rate != SAMPLE_RATE:
        samples = np.asarray(soxr.resample(samples, audio.sample_rate, SAMPLE_RATE), np.float32)
    return samples


def _raise_volume(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    rms = float(np.sqrt(np.mean(np.square(samples * _INT16_MAX, dtype=np.float64))))
    if rms == 0.0:
        return samples
    change_db = _TARGET_DBFS - 20 * np.log10(rms / _INT16_MAX)
    return samples if change_db < 0 else (samples * 10 ** (change_db / 20)).astype(np.float32)


def _cut_long_silences(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Resemblyzer's trim: webrtcvad (mode 3) per 30 ms, smoothed, dilated by 6 windows."""
    import webrtcvad
    from scipy.ndimage import binary_dilation

    samples = samples[: len(samples) - len(samples) % _VAD_WINDOW]
    if not len(samples):
        return samples
    pcm = np.clip(np.round(samples * _INT16_MAX), -32768, 32767).astype("<i2")
    vad = webrtcvad.Vad(3)
    flags = np.array(
        [vad.is_speech(window.tobytes(), SAMPLE_RATE) for window in pcm.reshape(-1, _VAD_WINDOW)],
        dtype=np.float64,
    )
    width = _VAD_AVERAGE_WIDTH
    padded = np.concatenate([np.zeros((width - 1) // 2), flags, np.zeros(width // 2)])
    summed = np.cumsum(padded)
    summed[width:] = summed[width:] - summed[:-width]
    mask = np.round(summed[width - 1 :] / width).astype(bool)
    mask = binary_dilation(mask, np.ones(_VAD_MAX_SILENCE + 1))
    return samples[np.repeat(mask, _VAD_WINDOW)]


def preprocess(audio: Audio) -> npt.NDArray[np.float32]:
    """16 kHz mono speech, raised to -30 dBFS, with silences longer than ~0.2 s cut."""
    return _cut_long_silences(_raise_volume(_to_16k(audio)))


@cache
def _mel_filters() -> npt.NDArray[np.float32]:
    """Slaney-style mel filterbank (librosa's default): 40 x 201, area-normalised."""

    def hz_to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        linear = hz / (200.0 / 3)
        log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log_part, linear)

    def mel_to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        linear = mel * (200.0 / 3)
        log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
        return np.where(mel >= 15.0, log_part, linear)

    fft_hz = np.linspace(0, SAMPLE_RATE / 2, 1 + _N_FFT // 2)
    edges = mel_to_hz(
        np.linspace(
            hz_to_mel(np.array(0.0)), hz_to_mel(np.array(SAMPLE_RATE / 2.0)), _MEL_CHANNELS + 2
        )
    )
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """(frames, 40) mel power spectrogram: centred frames, zero-padded ends (librosa's)."""
    padded = np.pad(samples.astype(np.float32), _N_FFT // 2)
    count = 1 + (len(padded) - _N_FFT) // _HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(count, _N_FFT), strides=(padded.strides[0] * _HOP, padded.strides[0])
    )
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power.astype(np.float32) @ _mel_filters().T).astype(np.float32)


def partial_slices(n_samples: int) -> list[slice]:
    """Frame ranges of the 1.6 s partials (Resemblyzer's ``compute_partial_slices``)."""
    n_frames = int(np.ceil((n_samples + 1) / _HOP))
    step = round((SAMPLE_RATE / _PARTIALS_PER_SECOND) / _HOP)
    slices = [
        slice(start, start + _PARTIAL_FRAMES)
        for start in range(0, max(1, n_frames - _PARTIAL_FRAMES + step + 1), step)
    ]
    last = slices[-1]
    coverage = (n_samples - last.start * _HOP) / (_PARTIAL_FRAMES * _HOP)
    if coverage < _MIN_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


# ------------------------------------------------------------------ the network


def _sigmoid(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # no overflow warnings for large |x|


class SpeakerEncoder:
    """Resemblyzer's LSTM evaluated in numpy (float32). Thread-safe: it holds no state."""

    def __init__(self, weights: Path | None = None) -> None:
        from audiofn.speakers.torch_weights import read_legacy_checkpoint

        state = read_legacy_checkpoint(weights or weights_path())["model_state"]
        self._layers = [
            (
                np.ascontiguousarray(state[f"lstm.weight_ih_l{k}"].T),
                np.ascontiguousarray(state[f"lstm.weight_hh_l{k}"].T),
                (state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"]).astype(np.float32),
            )
            for k in range(_LAYERS)
        ]
        self._linear = np.ascontiguousarray(state["linear.weight"].T)
        self._linear_bias = state["linear.bias"]

    def forward(self, mels: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(batch, 160, 40) mel partials -> (batch, 256) unit embeddings."""
        from threadpoolctl import threadpool_limits

        # 480 small matrix products: BLAS threads only contend (measured 40x slower on a busy
        # two-core machine with OpenBLAS's default threads than with one).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._forward(mels)

    def _forward(self, mels: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        sequence = mels.astype(np.float32)
        batch, steps, _ = sequence.shape
        hidden = np.zeros((batch, 256), np.float32)
        for w_in, w_hidden, bias in self._layers:
            projected = sequence @ w_in + bias  # the input's share of every gate, all steps
            size = w_hidden.shape[0]
            hidden = np.zeros((batch, size), np.float32)
            cell = np.zeros((batch, size), np.float32)
            outputs = np.empty((batch, steps, size), np.float32)
            for t in range(steps):
                gates = projected[:, t] + hidden @ w_hidden
                i = _sigmoid(gates[:, :size])
                f = _sigmoid(gates[:, size : 2 * size])
                g = np.tanh(gates[:, 2 * size : 3 * size])
                o = _sigmoid(gates[:, 3 * size :])
                cell = f * cell + i * g
                hidden = o * np.tanh(cell)
                outputs[:, t] = hidden
            sequence = outputs
        raw = np.maximum(hidden @ self._linear + self._linear_bias, 0.0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return (raw / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed_preprocessed(self, utterances: Sequence[npt.NDArray[np.float32]]) -> list[Embedding]:
        """One embedding per preprocessed 16 kHz utterance; all partials run as one batch."""
        mels: list[npt.NDArray[np.float32]] = []
        owners: list[int] = []
        for index, samples in enumerate(utterances):
            slices = partial_slices(len(samples))
            needed = slices[-1].stop * _HOP
            padded = np.pad(samples, (0, max(0, needed - len(samples))))
            spectrogram = mel_spectrogram(padded)
            mels.extend(spectrogram[s] for s in slices)
            owners.extend([index] * len(slices))
        partials = self.forward(np.stack(mels))
        owner = np.array(owners)
        out = []
        for index in range(len(utterances)):
            mean = partials[owner == index].mean(axis=0)
            out.append((mean / np.linalg.norm(mean)).astype(np.float32))
        return out

    def embed_utterances(self, audios: Sequence[Audio]) -> list[Embedding]:
        """One embedding per recording; raises if any holds too little voiced speech."""
        prepared = [preprocess(audio) for audio in audios]
        for number, samples in enumerate(prepared, start=1):
            seconds = len(samples) / SAMPLE_RATE
            if seconds < MIN_SPEECH_SECONDS:
                which = f"recording {number}" if len(prepared) > 1 else "the recording"
                raise SpeakerNotMeasurable(
                    f"{which} holds {seconds:.1f} s of voiced speech; the speaker needs "
                    f"at least {MIN_SPEECH_SECONDS:g} s to be measured"
                )
        return self.embed_preprocessed(prepared)

    def embed_speaker(self, audios: Sequence[Audio]) -> Embedding:
        """One speaker's embedding: the normalised mean over their recordings."""
        if not audios:
            raise SpeakerNotMeasurable("no recording to measure the speaker from")
        mean = np.mean(self.embed_utterances(audios), axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)


def similarity(a: Embedding, b: Embedding) -> float:
    """Cosine of two speaker embeddings (unit vectors): 1.0 is the same voice."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


_lock = threading.Lock()


@cache
def _encoder() -> SpeakerEncoder:
    return SpeakerEncoder()


def get_encoder() -> SpeakerEncoder:
    """The process's encoder (weights read once, ~0.1 s)."""
    with _lock:
        return _encoder()
