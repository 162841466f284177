"""Delivery-spec benchmark (``make bench SECTIONS=delivery``): a 60-second programme mastered
once, then one deliverable per delivery specification, each encoded, decoded, measured and
judged; CPU time per deliverable and what each file measures."""

from __future__ import annotations

import os
import time


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from audiofn.mastering import DEFAULT_PRESET, get_preset, master
    from audiofn.mastering.delivery import deliver_to_spec
    from audiofn.mastering.delivery_specs import DELIVERY_SPECS
    from audiofn.sound.stems import render_template
    from bench.mastering import bench_speech

    seconds = 60.0
    stems = render_template("corporate")
    speech = bench_speech(seconds - get_preset(DEFAULT_PRESET).tail_s - stems.outro.duration)
    cpu = time.process_time()
    result = master(speech, stems, DEFAULT_PRESET)
    render_cpu = time.process_time() - cpu
    print(
        f"one render of {result.audio.duration:.1f} s ({DEFAULT_PRESET}): {render_cpu:.2f} CPU-s, "
        f"{result.report.integrated_lufs:.2f} LUFS"
    )
    total = 0.0
    for spec in DELIVERY_SPECS.values():
        cpu = time.process_time()
        _, report = deliver_to_spec(result.audio, spec, master_lufs=result.report.integrated_lufs)
        spent = time.process_time() - cpu
        total += spent
        measured = report["measured"]
        print(
            f"  {spec.name:<20} {spec.format} {spec.sample_rate} Hz: {spent:5.2f} CPU-s, "
            f"{measured['integratedLufs']:7.2f} LUFS (target {spec.integrated_lufs} "
            f"±{spec.tolerance_lu:g}), true peak {measured['truePeakDbtp']:6.2f} dBTP "
            f"(max {spec.true_peak_dbtp}), LRA {measured['loudnessRangeLu']:.1f} LU: "
            f"{report['verdict']} ({'; '.join(report['reasons'])})"
        )
    print(f"  all {len(DELIVERY_SPECS)} deliverables: {total:.2f} CPU-s after the one render")
    credentials_figures(result.audio)


def credentials_figures(audio: object) -> None:
    """What embedding content credentials costs per file (a key made once per organisation),
    and what verifying them costs (``/mastering/provenance``)."""
    from audiofn.codecs import encode
    from audiofn.provenance import SpeechCredentials, new_signing_identity, sign, verify

    identity = new_signing_identity("Bench Org")
    credentials = SpeechCredentials("Bench Org", "bench", "piper", "joe", "bench")
    for fmt in ("mp3", "wav", "flac"):
        data = encode(audio, fmt)  # type: ignore[arg-type]
        cpu = time.process_time()
        signed = sign(data, fmt, identity, credentials)
        spent = time.process_time() - cpu
        cpu = time.process_time()
        checked = verify(signed, fmt)
        verifying = time.process_time() - cpu
        assert checked["valid"], checked["failures"]
        print(
            f"  content credentials, {fmt}: {spent * 1000:.0f} ms CPU, "
            f"+{len(signed) - len(data):,} bytes; verified in {verifying * 1000:.0f} ms CPU "
            f"({len(signed) / 2**20:.1f} MB)"
        )


if __name__ == "__main__":
    main()
