"""The worker's voice tasks (procrastinate, queue `voice`): the recording queue, the
minute tick that picks up recordings whose worker was lost, and daily retention.

One job per voicemail (`process_recording`), in three committed steps so that no
transaction stays open across the download:

1. claim an attempt (counted, with its start time);
2. download from the provider (clinic.voice.download: size and time limits);
3. store the audio and complete the voicemail, in one transaction; then delete the
   recording at the provider (VOICE_DELETE_FROM_PROVIDER).

A provider that cannot be reached is tried again with backoff (30 s, 60 s, 120 s …);
after MAX_ATTEMPTS, or at once for a recording that will never do (too large, not
audio, gone), the voicemail is `failed` with the reason, and the job ends normally:
a poison recording never blocks the queue. A worker killed mid-download leaves the
voicemail `pending` with an old `attempt_started_at`; the tick defers it again, and
the audio is stored under its one name (clinic.voice.audio), so it is kept once.

The clinic's status is asked by tenant_task (clinic.core.status, TASKS): for a
suspended clinic the job does not run and the voicemail waits, deferred again on
reactivation; a closed clinic's recordings are never fetched (dropped)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from clinic.audit.trail import Actor, ActorInfo, acting_as
from clinic.voice import download, recordings
from clinic.voice.backends import backend
from clinic.voice.models import DEFAULT_RETENTION_DAYS, Voicemail
from tenancy.jobs import defer_on_commit, defer_per_clinic, tenant_task

logger = logging.getLogger(__name__)

QUEUE = "voice"
JOB_ACTOR = ActorInfo(Actor.JOB, label="Recording job")
MAX_ATTEMPTS = 6


class RetryLater(Exception):
    """The provider could not be reached this time."""


DOWNLOAD_RETRY = RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=30, retry_exceptions={RetryLater})


def lost_after() -> dt.timedelta:
    """A fetch begun longer ago than this has no live worker behind it (every fetch
    ends within its deadline), so the tick defers it again."""
    return dt.timedelta(seconds=2 * settings.VOICE_RECORDING_TIMEOUT_SECONDS + 30)


@tenant_task(app, queue=QUEUE, retry=DOWNLOAD_RETRY, per_step=True)
def process_recording(*, organization_id: str, voicemail_id: str, step) -> str:
    with step():
        voicemail = recordings.fetch_begins(voicemail_id)
        if voicemail is None:
            return "nothing to do"
        recording_sid, attempt = voicemail.recording_sid, voicemail.attempts
    provider = backend()
    try:
        recording = provider.fetch(recording_sid)
    except download.Rejected as exc:
        with step():
            recordings.voicemail_fail(voicemail_id=voicemail_id, reason=str(exc))
        return "failed"
    except download.Unavailable as exc:
        if attempt >= MAX_ATTEMPTS:
            with step():
                recordings.voicemail_fail(voicemail_id=voicemail_id, reason=f"Gave up after {attempt} attempts: {exc}")
            return "failed"
        logger.info("voicemail %s: attempt %s failed (%s); trying again later", voicemail_id, attempt, exc)
        raise RetryLater(str(exc)) from None
    with step(), acting_as(JOB_ACTOR):
        stored = recordings.voicemail_store(
            voicemail_id=voicemail_id, content=recording.content, content_type=recording.content_type
        )
    if stored is None:
        return "stored by another attempt"
    if settings.VOICE_DELETE_FROM_PROVIDER:
        try:
            provider.delete(recording_sid)
        except download.Unavailable as exc:
            logger.warning("voicemail %s stored, but not deleted at the provider: %s", voicemail_id, exc)
        else:
            with step():
                recordings.voicemail_deleted_from_provider(voicemail_id)
    return "stored"


@app.periodic(cron="* * * * *", periodic_id="voice-tick")
@app.task(queue=QUEUE, queueing_lock="voice-tick", pass_context=False)
def tick(timestamp: int) -> int:
    """Each minute: the clinics with recordings whose fetch never began or lost its
    worker (one narrow function: clinic ids only), one job each."""
    stale_before = timezone.now() - lost_after()
    lookup = "SELECT voice_pending_clinics(%s)"
    return defer_per_clinic(resume_clinic, lookup, [stale_before], lock_prefix="voice-resume")


@tenant_task(app, queue=QUEUE)
def resume_clinic(*, organization_id: str) -> int:
    """Defer the fetch of each of the clinic's pending voicemails that has no live job."""
    stale_before = timezone.now() - lost_after()
    pending = Voicemail.objects.filter(status=Voicemail.Status.PENDING)
    count = 0
    for voicemail in pending.only("id", "organization_id", "attempt_started_at", "received_at"):
        started = voicemail.attempt_started_at or voicemail.received_at
        if started < stale_before:
            defer_fetch(voicemail)
            count += 1
    return count


def defer_all_pending() -> None:
    """Every pending voicemail of the current clinic, again (its reactivation)."""
    for voicemail in Voicemail.objects.filter(status=Voicemail.Status.PENDING).only("id", "organization_id"):
        defer_fetch(voicemail)


@app.periodic(cron="23 3 * * *", periodic_id="voice-retention")
@app.task(queue=QUEUE, queueing_lock="voice-retention", pass_context=False)
def retention_tick(timestamp: int) -> int:
    """Daily: the clinics holding calls or voicemails past their retention period."""
    return defer_per_clinic(
        prune_clinic,
        "SELECT voice_retention_due_clinics(%s, %s)",
        [timezone.now(), DEFAULT_RETENTION_DAYS],
        lock_prefix="voice-prune",
    )


@tenant_task(app, queue=QUEUE)
def prune_clinic(*, organization_id: str) -> int:
    return recordings.voicemails_prune()


def defer_fetch(voicemail: Voicemail) -> None:
    defer_on_commit(
        process_recording,
        organization_id=voicemail.organization_id,
        voicemail_id=str(voicemail.pk),
        queueing_lock=f"voice-recording:{voicemail.pk}",
    )
