"""The API function's cold start imports no audio, model or markup code."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = [
    "numpy",
    "onnxruntime",
    "piper",
    "faster_whisper",
    "num2words",
    "audiofn.text.ssml",
    "audiofn.text.lexicon",
    "aws_xray_sdk",
    "boto3",
]


def test_importing_the_api_function_stays_light():
    program = (
        "import sys; sys.path.insert(0, 'functions/api'); import app; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    env = {
        **os.environ,
        "AUDIOFN_TABLE": "t",
        "AUDIOFN_MEDIA_BUCKET": "b",
        "AUDIOFN_SPEECH_QUEUE_URL": "q",
    }

    out = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert out == "[]"
