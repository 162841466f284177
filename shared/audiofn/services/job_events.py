"""What happens when a speech or mastering job ends: the webhook event and any follow-up.

Workers call `job_ended` every time they observe a finished job, including on a redelivered
message, so a crash between finishing and announcing is repaired by the retry; the event id
and the follow-up's receiver make the repeats harmless.
"""

from __future__ import annotations

from audiofn.models.messages import WebhookEventType
from audiofn.models.records import JobRecord
from audiofn.services.context import Services
from audiofn.services.notifications import notify
from audiofn.storage.aws import client
from audiofn.storage.followups_table import FollowUpsTable


def job_ended(services: Services, job: JobRecord) -> None:
    if job.status == "running":
        return
    settings = services.settings
    facts = {"jobId": job.job_id, "kind": job.kind, "scriptId": job.script_id}
    if job.status == "done":
        event: WebhookEventType = "speech.done" if job.kind == "speech" else "mastering.done"
        notify(settings, job.org_id, event, job.job_id, {**facts, "status": "done"})
    else:
        notify(
            settings,
            job.org_id,
            "job.failed",
            job.job_id,
            {**facts, "status": "failed", "reason": job.reason},
        )
    followup = FollowUpsTable(settings.table).get_followup(job.org_id, job.job_id)
    if followup is not None:
        client("sqs").send_message(QueueUrl=followup.queue_url, MessageBody=followup.body)


def failed_job_ended(services: Services, org_id: str, job_id: str) -> None:
    """After `fail_job`: announce the job as it now stands (the first failure wins)."""
    job = services.table.get_job(org_id, job_id)
    if job is not None:
        job_ended(services, job)
