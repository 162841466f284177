"""Every master a script has: masters accumulate across mastering jobs until they are deleted.

Each `POST /mastering` is a job with its own manifest under
`orgs/<org>/mastering/<script>/<job>/`; a later job with other settings (another listener,
another end format, another bed) adds masters and hides none. Retrieval takes the newest job
holding a master that matches what is asked (listener values, end format, public, VAST); a
listing shows them all; deleting removes a job's files, private and public. A script keeps at
most `MAX_MASTERING_JOBS` jobs, so one request never reads more than that many manifests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audiofn.errors import Conflict, InvalidInput, JobFailed, NotFound
from audiofn.models.records import JobRecord
from audiofn.services.context import Services
from audiofn.services.jobs import JobPending
from audiofn.services.mastering import MasterEntry
from audiofn.storage.media import MediaStore, org_prefix

MAX_MASTERING_JOBS = 100


def mastering_prefix(org_id: str, script_id: str) -> str:
    return f"{org_prefix(org_id)}mastering/{script_id}/"


def mastering_jobs(services: Services, org_id: str, script_id: str) -> list[JobRecord]:
    """The script's mastering jobs whose files exist, newest first."""
    job_ids = services.media.list_folders(mastering_prefix(org_id, script_id))
    jobs = [services.table.get_job(org_id, job_id) for job_id in job_ids]
    found = [job for job in jobs if job is not None and job.kind == "mastering"]
    return sorted(found, key=lambda job: job.created_at, reverse=True)


def check_room_for_another(services: Services, org_id: str, script_id: str) -> None:
    """409 before a script's jobs pass the bound: delete older masters first."""
    count = len(services.media.list_folders(mastering_prefix(org_id, script_id)))
    if count >= MAX_MASTERING_JOBS:
        raise Conflict(
            f"script '{script_id}' has {count} mastering jobs, the most it may keep: delete "
            "older ones first (DELETE /mastering?scriptId=...&jobId=...)",
            field="scriptId",
        )


def _entries(services: Services, job: JobRecord) -> list[MasterEntry]:
    return [MasterEntry.model_validate(m) for m in services.media.get_json(job.manifest_key)]


def _jobs_with_entries(
    services: Services, org_id: str, script_id: str
) -> Iterator[tuple[JobRecord, list[MasterEntry]]]:
    for job in mastering_jobs(services, org_id, script_id):
        yield job, _entries(services, job)


def find_masters(
    services: Services,
    org_id: str,
    script_id: str,
    wanted: dict[str, str],
    fmt: str | None,
    *,
    public: bool,
    vast: bool,
) -> tuple[JobRecord, list[MasterEntry]]:
    """The newest job with masters matching the request, and those masters.

    202 (JobPending) while that job runs, 422 if it failed; 404/400 naming what no job has.
    """
    listener_seen, published, any_job = False, False, False
    formats_made: set[str] = set()
    for job, entries in _jobs_with_entries(services, org_id, script_id):
        any_job = True
        listeners = [e for e in entries if all(e.parameters.get(k) == v for k, v in wanted.items())]
        listener_seen = listener_seen or bool(listeners)
        formats_made.update(f for e in listeners for f in e.files)
        made = [e for e in listeners if fmt is None or fmt in e.files]
        published = published or any(e.public_files for e in made)
        matching = [e for e in made if (not public or e.public_files) and (not vast or e.vast_key)]
        if not matching:
            continue
        if job.status == "running":
            raise JobPending(job)
        if job.status == "failed":
            raise JobFailed(f"{job.kind} failed: {job.reason or 'unknown reason'}")
        return job, matching
    if not any_job:
        raise NotFound(f"no mastering has been created for script '{script_id}'", field="scriptId")
    if not listener_seen:
        raise NotFound("no master matches these parameters", field="parameters")
    if fmt is not None and fmt not in formats_made:
        raise NotFound(
            f"this master was not made as '{fmt}' (made: {', '.join(sorted(formats_made))})",
            field="endFormat",
        )
    if not published:
        raise InvalidInput(
            "this master was not published: create it with public=true", field="public"
        )
    raise InvalidInput("this master has no VAST file: create it with vast=true", field="vast")


def tracked_entries(services: Services, org_id: str, script_id: str) -> list[MasterEntry]:
    """Every published master with tracking beacons, newest job first."""
    return [
        entry
        for _, entries in _jobs_with_entries(services, org_id, script_id)
        for entry in entries
        if entry.tracking_token
    ]


def list_masters(services: Services, org_id: str, script_id: str) -> list[dict[str, Any]]:
    """`GET /mastering/list`: one item per master of every job, newest job first."""
    listed = []
    for job, entries in _jobs_with_entries(services, org_id, script_id):
        for entry in entries:
            ready = job.status == "done" or (
                job.status == "failed" and services.media.exists(entry.report_key)
            )
            item: dict[str, Any] = {
                "jobId": job.job_id,
                "status": job.status if not ready else "done",
                "createdAt": job.created_at,
                "parameters": entry.parameters,
                "formats": list(entry.files),
                "soundTemplate": entry.sound_template,
                "masteringPreset": entry.preset,
                "public": bool(entry.public_files),
                "vast": entry.vast_key is not None,
                "captions": bool(entry.captions),
                "deliverySpecs": list(entry.deliverables),
            }
            if ready:
                item["urls"] = {f: services.media.presigned_get(k) for f, k in entry.files.items()}
                if entry.deliverables:
                    item["deliverableUrls"] = {
                        spec: services.media.presigned_get(k)
                        for spec, k in entry.deliverables.items()
                    }
            elif job.status == "failed":
                item["reason"] = job.reason
            listed.append(item)
    return listed


def delete_masters(
    services: Services, org_id: str, script_id: str, job_id: str | None = None
) -> int:
    """Delete one job's masters (or every job's): private files, public copies and VAST.

    A running job's masters cannot be deleted (409): its tasks would write them again.
    """
    jobs = mastering_jobs(services, org_id, script_id)
    if job_id is not None:
        jobs = [job for job in jobs if job.job_id == job_id]
        if not jobs:
            raise NotFound(f"no mastering job '{job_id}' for this script", field="jobId")
    running = [job.job_id for job in jobs if job.status == "running"]
    if running:
        raise Conflict(
            f"mastering job '{running[0]}' is still running: delete it once it ends",
            field="jobId",
        )
    public = MediaStore(services.settings.public_bucket)
    for job in jobs:
        for entry in _entries(services, job):
            folder = next(iter(entry.public_files.values()), "").rpartition("/")[0]
            if folder and services.settings.public_bucket:
                public.delete_prefix(f"{folder}/")
        services.media.delete_prefix(f"{mastering_prefix(org_id, script_id)}{job.job_id}/")
    return len(jobs)
