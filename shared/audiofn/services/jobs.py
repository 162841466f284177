"""Asynchronous jobs (speech, mastering): wait for one, find a script's latest, report it."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel

from audiofn.errors import Conflict, JobFailed, NotFound
from audiofn.models.records import JobKind, JobRecord, ScriptRecord
from audiofn.services.context import Services
from audiofn.storage.queues import send_messages

WAIT_POLL_SECONDS = 0.1


class JobPending(Exception):
    """The job is still running: the API answers 202."""

    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"{job.kind} job {job.job_id} is {job.status}")
        self.job = job


def start_job(
    services: Services,
    *,
    kind: JobKind,
    job_id: str,
    org_id: str,
    script_id: str,
    prefix: str,
    manifest: Sequence[BaseModel],
    tasks: Sequence[BaseModel],
) -> JobRecord:
    """Store the manifest, then the job, point the script at it, then enqueue its tasks.

    In that order, so a task never runs before the records it reads exist.
    """
    manifest_key = prefix + "manifest.json"
    services.media.put_json(manifest_key, [entry.model_dump() for entry in manifest])
    job = JobRecord(
        job_id=job_id,
        kind=kind,
        org_id=org_id,
        script_id=script_id,
        total=len(tasks),
        manifest_key=manifest_key,
    )
    services.table.put_job(job)
    services.table.set_latest_job(org_id, script_id, job_id, kind)
    queue = (
        services.settings.speech_queue_url
        if kind == "speech"
        else services.settings.mastering_queue_url
    )
    send_messages(queue, tasks)
    return job


def wait_for_job(services: Services, org_id: str, job_id: str, seconds: float) -> JobRecord:
    """Poll the job until it leaves 'running' or the bound passes.

    A fixed short interval: the caller is waiting on a human timescale, and at most
    10 reads a second for 25 s costs a fraction of a cent.
    """
    deadline = time.monotonic() + seconds
    while True:
        job = services.table.get_job(org_id, job_id)
        if job is None:
            raise NotFound(f"job '{job_id}' not found")
        remaining = deadline - time.monotonic()
        if job.status != "running" or remaining <= 0:
            return job
        time.sleep(min(WAIT_POLL_SECONDS, remaining))


def settle_stalled(services: Services, job: JobRecord) -> JobRecord:
    """A job running with no progress long after its last task's last try is failed."""
    from audiofn.services.stalls import JOB_SECONDS, STOPPED, stalled

    if job.status != "running" or not stalled(job.updated_at, JOB_SECONDS):
        return job
    from audiofn.services.job_events import failed_job_ended

    services.table.fail_job(job.org_id, job.job_id, f"a task did not finish: {STOPPED}", 500)
    failed_job_ended(services, job.org_id, job.job_id)
    return services.table.get_job(job.org_id, job.job_id) or job


def latest_job(services: Services, org_id: str, script: ScriptRecord, kind: JobKind) -> JobRecord:
    job_id = script.latest_speech_job_id if kind == "speech" else script.latest_mastering_job_id
    job = services.table.get_job(org_id, job_id) if job_id else None
    if job is not None:
        job = settle_stalled(services, job)
    if job is None:
        raise NotFound(
            f"no {kind} has been created for script '{script.script_id}'", field="scriptId"
        )
    return job


def speech_of(services: Services, org_id: str, script: ScriptRecord) -> JobRecord:
    """The script's latest speech job, which work built on speech needs (409 without one)."""
    try:
        return latest_job(services, org_id, script, "speech")
    except NotFound as exc:
        raise Conflict(
            "no speech for this script yet: create speech first (POST /speech)", field="scriptId"
        ) from exc


def raise_if_unfinished(job: JobRecord) -> None:
    if job.status == "failed":
        raise JobFailed(f"{job.kind} failed: {job.reason or 'unknown reason'}")
    if job.status != "done":
        raise JobPending(job)
