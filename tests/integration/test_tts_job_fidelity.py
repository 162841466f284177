"""The job-based TTS seed's clients under stress: ids stay consecutive when the store's answer
is lost and the call repeated, a store that does not answer is a 503 (never a 500), progress
shows in a key clients ignore, voice ids are integers, and the 401 body is the seed's."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from audiofn.services.tts_jobs import catalogue_voice_number
from tests.integration import test_tts_jobs as jobs
from tests.integration.test_tts_jobs import JOBS, call, submit

tts, api = jobs.tts, jobs.api  # the job API's fixtures: its queues in moto, the API function


def test_a_repeated_id_write_finds_its_own_job_instead_of_taking_another(
    org, tts, api, lambda_context, monkeypatch
):
    from audiofn.storage.tts_jobs_table import TtsJobsTable

    # Given a store whose answer to the first job's write is lost, so the write is sent again
    # (what botocore does after a read timeout): the second try finds the first one's job
    table = TtsJobsTable(tts_table_name())
    client = table._table.meta.client
    real = client.transact_write_items
    calls = []

    def answer_lost(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(**kwargs)  # applied by the store ...
        return real(**kwargs)  # ... and tried again: the conditions now fail

    monkeypatch.setattr(client, "transact_write_items", answer_lost)

    # When two jobs are submitted
    first = submit(api, lambda_context, org.api_key)
    second = submit(api, lambda_context, org.api_key)

    # Then they are 1 and 2: the repeated write took no id (the old ADD counter gave 1 and 3)
    assert (first["id"], second["id"]) == (1, 2)
    status, listing = call(api, lambda_context, "GET", f"{JOBS}/", org.api_key)
    assert status == 200 and [job["id"] for job in listing["results"]] == [2, 1]


def tts_table_name() -> str:
    import os

    return os.environ["AUDIOFN_TABLE"]


def test_concurrent_writers_get_consecutive_ids(org, tts):
    from concurrent.futures import ThreadPoolExecutor

    from audiofn.models.tts_jobs import TtsJobRecord
    from audiofn.storage.tts_jobs_table import TtsJobsTable

    # Given eight requests recording jobs at once (a Lambda handles one request at a time, so
    # concurrency is between functions: here, threads sharing the table)
    table = TtsJobsTable(tts_table_name())

    def record(token: str):
        def make(job_id: int) -> TtsJobRecord:
            return TtsJobRecord(
                job_id=job_id, org_id=org.org_id, voice_id="325640", voice="espeak-az-female",
                language="az", character_count=5, prefix="p/", text_key="p/t", audio_key="p/a",
                request_token=token,
            )  # fmt: skip

        return table.create_job(org.org_id, make)

    with ThreadPoolExecutor(4) as pool:
        jobs = list(pool.map(record, [f"request-{n}" for n in range(8)]))

    # Then each got its own id, and together they are 1 to 8
    assert sorted(job.job_id for job in jobs) == list(range(1, 9))
    assert {table.get_job(org.org_id, j.job_id).request_token for j in jobs} == {  # type: ignore[union-attr]
        j.request_token for j in jobs
    }


def test_a_store_that_does_not_answer_is_a_503_in_the_seed_s_shape(
    org, tts, api, lambda_context, monkeypatch
):
    from botocore.exceptions import ReadTimeoutError

    from audiofn.storage.tts_jobs_table import TtsJobsTable

    def timeout(*_args, **_kwargs):
        raise ReadTimeoutError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(TtsJobsTable, "create_job", timeout)
    body = json.dumps({"text": "salam", "lang": "az", "voice_id": "325640"})

    status, answer = call(api, lambda_context, "POST", f"{JOBS}/text/", org.api_key, body=body)

    assert status == 503
    assert answer["error"]["code"] == 503 and "no job was made" in answer["error"]["message"]


def test_a_text_that_cannot_be_stored_fails_its_job_with_a_503(
    org, tts, api, lambda_context, monkeypatch
):
    from audiofn.storage.media import MediaStore

    def refuse(*_args, **_kwargs):
        raise ConnectionError("S3 did not answer")

    monkeypatch.setattr(MediaStore, "put_bytes", refuse)
    body = json.dumps({"text": "salam", "lang": "az", "voice_id": "325640"})

    status, answer = call(api, lambda_context, "POST", f"{JOBS}/text/", org.api_key, body=body)
    monkeypatch.undo()

    assert status == 503 and "job 1 could not be stored or queued" in answer["error"]["message"]
    status, job = call(api, lambda_context, "GET", f"{JOBS}/1/", org.api_key)
    assert job["data"]["status"] == "failed" and "ConnectionError" in job["data"]["reason"]


def test_submitting_loads_no_audio_code():
    # The request path records and queues; the TTS job function speaks.
    program = (
        "import sys; from audiofn.services import tts_jobs; from audiofn.api import tts_jobs; "
        "print([m for m in ('numpy', 'onnxruntime', 'piper', 'audiofn.tts.ssml_render') "
        "if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_progress_shows_while_synthesizing_in_an_extra_key(org, tts, api, lambda_context):
    from audiofn.storage.tts_jobs_table import TtsJobsTable
    from audiofn.workers.tts_job import ChunkProgress

    # Given a job being synthesised in 40 chunks, 10 of them spoken
    submit(api, lambda_context, org.api_key)
    table = TtsJobsTable(tts_table_name())
    table.move_job(org.org_id, 1, "synthesizing")
    job = table.get_job(org.org_id, 1)
    assert job is not None
    report = ChunkProgress(table, job, 40)
    report(1)
    report.written_at = 0.0  # as if the interval had passed
    report(10)

    # When a client asks for the job
    status, body = call(api, lambda_context, "GET", f"{JOBS}/1/", org.api_key)

    # Then the documented keys are as before, and progress is one more key beside them
    assert status == 200 and body["data"]["status"] == "synthesizing"
    assert body["data"]["progress"] == {"chunks_done": 10, "chunks_total": 40, "percent": 25}
    documented = {"id", "voice_id", "language", "character_count", "status", "created"}
    assert set(body["data"]) == documented | {"progress"}


def test_a_finished_job_stops_taking_progress(org, tts, api, lambda_context):
    from audiofn.storage.tts_jobs_table import TtsJobsTable

    submit(api, lambda_context, org.api_key)
    table = TtsJobsTable(tts_table_name())
    table.move_job(org.org_id, 1, "failed", reason="test")
    table.set_progress(org.org_id, 1, 3, 4)  # a late report from a worker: ignored

    assert table.get_job(org.org_id, 1).progress is None  # type: ignore[union-attr]


@pytest.mark.parametrize("voice_id", [None, "joe"])
def test_voice_ids_are_integers_that_work_as_voice_ids(org, tts, api, lambda_context, voice_id):
    job = submit(api, lambda_context, org.api_key, text="Hello.", lang="en", voice_id=voice_id)
    assert job["voice_id"] == int(catalogue_voice_number("joe"))

    again = submit(api, lambda_context, org.api_key, "Hi.", "en", str(job["voice_id"]))
    assert again["voice_id"] == job["voice_id"]


def test_every_catalogue_voice_has_its_own_number():
    from audiofn.tts.catalogue import list_voices

    ids = [v.id for v in list_voices(polly_enabled=True, upstream_enabled=True)]
    assert len({catalogue_voice_number(v) for v in ids}) == len(ids)


@pytest.mark.parametrize("key", [None, "x" * 43])
def test_the_401_body_is_the_seed_s_word_for_word(tts, api, lambda_context, key):
    for method, path in (("POST", f"{JOBS}/text/"), ("GET", f"{JOBS}/"), ("GET", f"{JOBS}/1/")):
        status, body = call(api, lambda_context, method, path, key, body="{}")
        assert status == 401
        assert body == {"error": {"code": 401, "message": "No valid API key provided."}}
