"""The fragment cache: keys, byte-identical hits, the speech function reading through it,
and the template's bound on it."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import numpy as np
import yaml

from audiofn.audio import Audio
from audiofn.fragment_cache import (
    FRAGMENT_PREFIX,
    CacheStats,
    FragmentCache,
    FragmentSpec,
    fragment_object_key,
)
from audiofn.storage.media import MediaStore
from tests.conftest import ROOT, load_event, load_function


def spec(**changes: object) -> FragmentSpec:
    base = {
        "org_id": "org-a",
        "engine": "piper",
        "voice": "joe",
        "speed": 1.0,
        "effect": None,
        "text": "Hello.",
    }
    return FragmentSpec(**{**base, **changes})  # type: ignore[arg-type]


def test_the_key_depends_on_what_changes_the_sound_and_nothing_else() -> None:
    assert spec().key == spec(text="  Hello.\n").key  # whitespace is not sound
    for change in (
        {"engine": "espeak"},
        {"voice": "other"},
        {"speed": 1.1},
        {"effect": "dark_father"},
        {"text": "Hello!"},
        {"variant": "n0:"},
        {"org_id": "org-b"},
    ):
        assert spec(**change).key != spec().key, change


def test_a_hit_is_byte_identical_to_a_miss(aws: SimpleNamespace) -> None:
    # Given a render that makes samples no 16-bit file could hold exactly
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal(22050) * 0.1).astype(np.float32)
    calls = []

    def render() -> Audio:
        calls.append(1)
        return Audio(samples, 22050)

    stats = CacheStats()
    cache = FragmentCache(MediaStore(aws.bucket), stats=stats)

    # When it is asked for twice
    miss = cache.get_or_render(spec(), render)
    hit = cache.get_or_render(spec(), render)

    # Then it rendered once, and both answers are the render, bit for bit
    assert len(calls) == 1 and (stats.hits, stats.misses) == (1, 1)
    assert miss.samples.tobytes() == hit.samples.tobytes() == samples.tobytes()
    assert miss.sample_rate == hit.sample_rate == 22050
    # and a disabled cache renders every time and stores nothing new
    FragmentCache(MediaStore(aws.bucket), enabled=False).get_or_render(spec(text="New."), render)
    assert len(calls) == 2
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=aws.bucket)["Contents"]]
    assert keys == [fragment_object_key(spec())]


def test_the_speech_function_synthesises_the_same_text_once(
    org: SimpleNamespace, lambda_context: SimpleNamespace, aws: SimpleNamespace
) -> None:
    from audiofn.models.records import JobRecord
    from audiofn.storage.table import AppTable

    table = AppTable(aws.table)
    for job_id in ("job-1", "job-2"):
        table.put_job(
            JobRecord(job_id=job_id, org_id=org.org_id, script_id="s", total=1, manifest_key="m")
        )
    speech = load_function("speech")
    outputs = []
    for job_id in ("job-1", "job-2"):
        event = load_event("speech_task.json", org_id=org.org_id, job_id=job_id, script_id="s")
        body = json.loads(event["Records"][0]["body"])
        body["output_key"] = f"orgs/{org.org_id}/speech/{job_id}.wav"
        event["Records"][0]["body"] = json.dumps(body)
        assert speech.lambda_handler(event, lambda_context)["batchItemFailures"] == []
        outputs.append(body["output_key"])
    s3 = boto3.client("s3")
    cached = s3.list_objects_v2(Bucket=aws.bucket, Prefix=FRAGMENT_PREFIX).get("Contents", [])
    assert len(cached) == 1
    files = [s3.get_object(Bucket=aws.bucket, Key=k)["Body"].read() for k in outputs]
    assert files[0] == files[1]


def test_the_template_bounds_the_cache_by_age() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    rules = template["Resources"]["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    cache_rules = [r for r in rules if FRAGMENT_PREFIX.startswith(r["Prefix"])]
    assert cache_rules and cache_rules[0]["Status"] == "Enabled"
    assert 0 < cache_rules[0]["ExpirationInDays"] <= 90


def test_one_organisation_never_reads_another_s_fragments(aws: SimpleNamespace) -> None:
    # Given org A has a sentence in the cache
    cache = FragmentCache(MediaStore(aws.bucket), stats=CacheStats())
    calls: list[str] = []

    def render() -> Audio:
        calls.append("render")
        return Audio(np.zeros(100, dtype=np.float32), 22050)

    cache.get_or_render(spec(org_id="org-a"), render)
    # When org B asks for the same sentence with the same voice
    cache.get_or_render(spec(org_id="org-b"), render)
    # Then it is synthesised again (no timing tells B that A said it), stored under B's prefix
    assert len(calls) == 2 and cache.stats == CacheStats(hits=0, misses=2)
    assert fragment_object_key(spec(org_id="org-b")).startswith(f"{FRAGMENT_PREFIX}org-b/")


def test_a_hit_keeps_the_word_timings_of_the_miss(aws: SimpleNamespace) -> None:
    from audiofn.tts.word_timings import TimedSpeech, WordTiming

    # Given a render whose engine timed its words
    words = (WordTiming("Hello.", 0.25, 0.7),)
    calls = []

    def render() -> TimedSpeech:
        calls.append(1)
        return TimedSpeech(Audio(np.zeros(24000, np.float32), 24000), words)

    cache = FragmentCache(MediaStore(aws.bucket))
    # When it is asked for twice
    first = cache.get_or_render_timed(spec(engine="kokoro"), render)
    second = cache.get_or_render_timed(spec(engine="kokoro"), render)
    # Then the second is a hit that has the same timings; audio without timings has none
    assert calls == [1] and first.words == second.words == words
    assert cache.get_or_render_timed(spec(), lambda: TimedSpeech(first.audio)).words is None
    assert cache.get_or_render_timed(spec(), render).words is None  # the untimed hit
