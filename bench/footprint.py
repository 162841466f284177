"""Cold start, CPU time and peak memory of each function's work, each in a fresh process.

`python -m bench.footprint` prints, per function of template.yaml: the handler module's import
time (Lambda's init phase, median of 3 fresh interpreters) and the process's peak RSS after
it; for the speech function one render of a ~1-minute section (model load on first use, then
warm), and for the mastering function one listener's master of that speech (mix over a
bed, loudness, MP3 encode, Whisper caption timing). CPU seconds are user + system time of the
process, which is what a Lambda duration at >= 1 vCPU tracks. `--json` prints the numbers the
cost model in docs/operations.md uses.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.lambda_packages import ROOT

# Two copies of the benchmark paragraph make a section of about a minute and a half; figures
# are given per audio second as well.
TEXT = (ROOT / "bench" / "texts" / "paragraph-120.txt").read_text().strip()
SECTION = f"{TEXT}\n\n{TEXT}"
ENV = {
    "AUDIOFN_TABLE": "table",
    "AUDIOFN_MEDIA_BUCKET": "media",
    "AUDIOFN_SPEECH_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/speech",
    "AUDIOFN_INBOX_BUCKET": "inbox",
    "AUDIOFN_INBOX_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/inbox",
    "AUDIOFN_WEBHOOK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/webhook",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "audiofn",
    "POWERTOOLS_METRICS_NAMESPACE": "audiofn",
}

_PRELUDE = """
import json, resource, sys, time
def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss / 1024
sys.path.insert(0, {code!r})
t = time.perf_counter()
import {module}
import_seconds = time.perf_counter() - t
cpu0, rss_after_import = usage()
out = {{"import_seconds": import_seconds, "rss_after_import_mb": rss_after_import}}
"""

_SPEECH = """
from audiofn.codecs import encode
from audiofn.observability import wav_seconds
from audiofn.tts.catalogue import DEFAULT_VOICE_ID, resolve_voice
from audiofn.tts.registry import EngineSettings
from audiofn.tts.ssml_render import render_text
voice = resolve_voice(DEFAULT_VOICE_ID, polly_enabled=False, upstream_enabled=False)
for label in ("cold", "warm"):
    c0, _ = usage(); w0 = time.perf_counter()
    data = encode(render_text({text!r}, voice, 1.0, EngineSettings(), field="text"), "wav")
    c1, rss = usage()
    out[label] = {{"cpu_seconds": c1 - c0, "wall_seconds": time.perf_counter() - w0,
                  "peak_rss_mb": rss}}
out["audio_seconds"] = wav_seconds(data)
open({wav!r}, "wb").write(data)
print(json.dumps(out))
"""

_MASTERING = """
from audiofn.codecs import decode, encode
from audiofn.mastering import master
from audiofn.sound.catalogue import TEMPLATES
from audiofn.sound.stems import render_template
from audiofn.stt.whisper import transcribe
speech = decode(open({wav!r}, "rb").read())
bed = render_template(next(iter(TEMPLATES)))  # in AWS: read back from S3, rendered once
for label in ("cold", "warm"):
    c0, _ = usage(); w0 = time.perf_counter()
    result = master([speech], bed, "podcast")
    mp3 = encode(result.audio, "mp3", bitrate_kbps=192)
    words = transcribe(speech, word_timestamps=True).words
    c1, rss = usage()
    out[label] = {{"cpu_seconds": c1 - c0, "wall_seconds": time.perf_counter() - w0,
                  "peak_rss_mb": rss}}
out["audio_seconds"] = result.audio.duration
out["mp3_bytes"] = len(mp3)
print(json.dumps(out))
"""


def run(program: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_all() -> dict[str, dict]:
    from audiofn_local.template_model import load_template

    template = load_template(ROOT / "template.yaml", environ={})
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as work:
        wav = str(Path(work) / "speech.wav")
        for function in template.functions.values():
            module = function.handler.rsplit(".", 1)[0]
            prelude = _PRELUDE.format(code=str(function.code_dir), module=module)
            runs = [run(prelude + "print(json.dumps(out))") for _ in range(3)]
            figure = {
                "memory_mb": function.memory_size,
                "timeout_s": function.timeout,
                "import_seconds": statistics.median(r["import_seconds"] for r in runs),
                "rss_after_import_mb": max(r["rss_after_import_mb"] for r in runs),
            }
            if function.logical_id == "SpeechFunction":
                figure |= run(prelude + _SPEECH.format(text=SECTION, wav=wav))
            figures[function.logical_id] = figure
        if "MasteringFunction" in template.functions:
            function = template.functions["MasteringFunction"]
            prelude = _PRELUDE.format(code=str(function.code_dir), module="app")
            figures["MasteringFunction"] |= run(prelude + _MASTERING.format(wav=wav))
    return figures


def main() -> None:
    figures = measure_all()
    if "--json" in sys.argv:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'function':<20}{'memory':>8}{'import s':>10}{'RSS MB':>8}  one render")
    for name, f in figures.items():
        line = (
            f"{name:<20}{f['memory_mb']:>8}{f['import_seconds']:>10.2f}"
            f"{f['rss_after_import_mb']:>8.0f}"
        )
        if "warm" in f:
            cold, warm = f["cold"], f["warm"]
            line += (
                f"  {f['audio_seconds']:.1f} s audio: cold {cold['cpu_seconds']:.2f} CPU s / "
                f"{cold['wall_seconds']:.2f} s, warm {warm['cpu_seconds']:.2f} CPU s / "
                f"{warm['wall_seconds']:.2f} s, peak RSS {warm['peak_rss_mb']:.0f} MB"
            )
        print(line)


if __name__ == "__main__":
    main()
