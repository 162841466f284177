"""VAST renditions benchmark (``make bench SECTIONS=vast``): a 30-second ad mastered once, then
what ``vast=true`` adds to it: each rendition the end formats do not make (encoded on the
master's loudness target, ID3-tagged, signed), and the FLAC mezzanine; CPU time per extra file,
what each file measures after decoding, and its average bitrate as the VAST file declares it."""

from __future__ import annotations

import os
import time


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from audiofn.codecs import audio_bitrate_kbps, decode
    from audiofn.mastering import DEFAULT_PRESET, get_preset, master
    from audiofn.mastering.delivery import encode_on_target
    from audiofn.podcast_metadata import EpisodeTags, tag_mp3
    from audiofn.provenance import SpeechCredentials, new_signing_identity, sign
    from audiofn.sound.stems import render_template
    from audiofn.vast import MEZZANINE_FORMAT, VAST_RENDITIONS
    from bench.mastering import bench_speech

    seconds = 30.0
    stems = render_template("upbeat")
    speech = bench_speech(seconds - get_preset(DEFAULT_PRESET).tail_s - stems.outro.duration)
    cpu = time.process_time()
    result = master(speech, stems, DEFAULT_PRESET)
    render_cpu = time.process_time() - cpu
    cpu = time.process_time()
    encode_on_target(result.audio, "mp3", result.report)
    end_format_cpu = time.process_time() - cpu
    print(
        f"one render of {result.audio.duration:.1f} s ({DEFAULT_PRESET}): {render_cpu:.2f} CPU-s; "
        f"its mp3 end format (192 kbps, on target): {end_format_cpu:.2f} CPU-s"
    )
    identity = new_signing_identity("Bench Org")
    credentials = SpeechCredentials("Bench Org", "bench", "piper", "joe", "bench ad")
    tags = EpisodeTags(title="bench ad", artist="Bench Org", publisher="Bench Org")
    extra = [r for r in VAST_RENDITIONS if (r.format, r.bitrate_kbps) != ("mp3", 192)]
    total = 0.0
    for rendition in extra:
        cpu = time.process_time()
        data, measured = encode_on_target(
            result.audio, rendition.format, result.report, bitrate_kbps=rendition.bitrate_kbps
        )
        encoded_cpu = time.process_time() - cpu
        if rendition.format == "mp3":
            data = tag_mp3(data, tags)
        data = sign(data, rendition.format, identity, credentials)
        spent = time.process_time() - cpu
        total += spent
        decoded = decode(data)
        print(
            f"  {rendition.name:<9} {spent:5.2f} CPU-s ({encoded_cpu:.2f} encoding on target, "
            f"{spent - encoded_cpu:.2f} tags and credentials): {audio_bitrate_kbps(data):6.1f} "
            f"kbps declared, {len(data):,} bytes, {measured['integratedLufs']:.2f} LUFS, "
            f"{measured['truePeakDbtp']:.2f} dBTP, {decoded.duration - result.audio.duration:+.4f} "
            "s against the master"
        )
    cpu = time.process_time()
    data = sign(
        encode_on_target(result.audio, MEZZANINE_FORMAT, result.report)[0],
        MEZZANINE_FORMAT,
        identity,
        credentials,
    )
    spent = time.process_time() - cpu
    total += spent
    print(f"  mezzanine {spent:5.2f} CPU-s ({MEZZANINE_FORMAT}, {len(data):,} bytes)")
    print(
        f"  vast=true adds {total:.2f} CPU-s to this master "
        f"({100 * total / (render_cpu + end_format_cpu):.0f} % of its render and mp3 end format)"
    )


if __name__ == "__main__":
    main()
