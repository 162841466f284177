"""The Kokoro-82M voices this deployment speaks with (the style vectors of npm kokoro-js 1.2.1).

Pure data. Grades are the model card's (kokoro-js carries them for the English voices; the
others are from Kokoro's VOICES.md, which grades no Spanish or Brazilian voice). The Japanese and
Mandarin styles are installed too but not offered: their phonemes need a G2P (misaki's) that
eSpeak NG does not replace.
"""

from __future__ import annotations

# (id, display name, BCP-47 code, accent, gender, overall grade, character voice)
KOKORO_VOICE_DATA: tuple[tuple[str, str, str, str, str, str, bool], ...] = (
    ("af_heart", "Heart", "en-US", "american", "female", "A", False),
    ("af_bella", "Bella", "en-US", "american", "female", "A-", False),
    ("af_nicole", "Nicole", "en-US", "american", "female", "B-", False),
    ("af_aoede", "Aoede", "en-US", "american", "female", "C+", False),
    ("af_kore", "Kore", "en-US", "american", "female", "C+", False),
    ("af_sarah", "Sarah", "en-US", "american", "female", "C+", False),
    ("af_alloy", "Alloy", "en-US", "american", "female", "C", False),
    ("af_nova", "Nova", "en-US", "american", "female", "C", False),
    ("af_sky", "Sky", "en-US", "american", "female", "C-", False),
    ("af_jessica", "Jessica", "en-US", "american", "female", "D", False),
    ("af_river", "River", "en-US", "american", "female", "D", False),
    ("am_fenrir", "Fenrir", "en-US", "american", "male", "C+", False),
    ("am_michael", "Michael", "en-US", "american", "male", "C+", False),
    ("am_puck", "Puck", "en-US", "american", "male", "C+", False),
    ("am_echo", "Echo", "en-US", "american", "male", "D", False),
    ("am_eric", "Eric", "en-US", "american", "male", "D", False),
    ("am_liam", "Liam", "en-US", "american", "male", "D", False),
    ("am_onyx", "Onyx", "en-US", "american", "male", "D", False),
    ("am_santa", "Santa", "en-US", "american", "male", "D-", True),
    ("am_adam", "Adam", "en-US", "american", "male", "F+", False),
    ("bf_emma", "Emma", "en-GB", "british", "female", "B-", False),
    ("bf_isabella", "Isabella", "en-GB", "british", "female", "C", False),
    ("bf_alice", "Alice", "en-GB", "british", "female", "D", False),
    ("bf_lily", "Lily", "en-GB", "british", "female", "D", False),
    ("bm_fable", "Fable", "en-GB", "british", "male", "C", False),
    ("bm_george", "George", "en-GB", "british", "male", "C", False),
    ("bm_lewis", "Lewis", "en-GB", "british", "male", "D+", False),
    ("bm_daniel", "Daniel", "en-GB", "british", "male", "D", False),
    ("ef_dora", "Dora", "es-ES", "castilian", "female", "", False),
    ("em_alex", "Alex", "es-ES", "castilian", "male", "", False),
    ("em_santa", "Santa", "es-ES", "castilian", "male", "", True),
    ("ff_siwis", "Siwis", "fr-FR", "parisian", "female", "B-", False),
    ("hf_alpha", "Alpha", "hi-IN", "neutral", "female", "C", False),
    ("hf_beta", "Beta", "hi-IN", "neutral", "female", "C", False),
    ("hm_omega", "Omega", "hi-IN", "neutral", "male", "C", False),
    ("hm_psi", "Psi", "hi-IN", "neutral", "male", "C", False),
    ("if_sara", "Sara", "it-IT", "neutral", "female", "C", False),
    ("im_nicola", "Nicola", "it-IT", "neutral", "male", "C", False),
    ("pf_dora", "Dora", "pt-BR", "brazilian", "female", "", False),
    ("pm_alex", "Alex", "pt-BR", "brazilian", "male", "", False),
    ("pm_santa", "Santa", "pt-BR", "brazilian", "male", "", True),
)

LANGUAGE_NAMES = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "hi": "hindi",
    "it": "italian",
    "pt": "portuguese",
}
