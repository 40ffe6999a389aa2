"""Voicemail audio in the `voicemail` storage (settings.STORAGES): the filesystem by
default, an S3-compatible bucket in production (django-storages).

A voicemail's file is "<clinic id>/<random key>.<ext>": no name, number or date, and
always the same for one voicemail, so fetching it again (a worker killed between
storing the file and committing) overwrites the one file instead of adding another.
Files are never given a public URL; the streaming view reads them for members of the
clinic (clinic.voice.views.audio)."""

from __future__ import annotations

import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

logger = logging.getLogger(__name__)

EXTENSIONS = {"audio/x-wav": "wav", "audio/wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3"}


def storage():
    return storages["voicemail"]


def name_for(organization_id, audio_key: str, content_type: str) -> str:
    extension = EXTENSIONS.get(content_type, "audio")
    return f"{uuid.UUID(str(organization_id))}/{audio_key}.{extension}"


def store(name: str, content: bytes) -> str:
    """Write `content` under exactly `name` (replacing a file a lost attempt left)."""
    files = storage()
    if files.exists(name):
        files.delete(name)
    saved = files.save(name, ContentFile(content))
    if saved != name:  # the storage renamed it: a second file for one voicemail
        files.delete(saved)
        raise RuntimeError(f"The voicemail storage did not keep the name {name}.")
    return saved


def delete_on_commit(names) -> None:
    """Delete these files once the transaction that forgets them commits."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: _delete(names))


def _delete(names) -> None:
    files = storage()
    for name in names:
        try:
            files.delete(name)
        except OSError:
            logger.exception("voicemail audio %s could not be deleted", name)


def delete_clinic(organization_id) -> int:
    """Every audio file of a clinic (its purge); how many."""
    files = storage()
    folder = str(uuid.UUID(str(organization_id)))
    try:
        _, names = files.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        files.delete(f"{folder}/{name}")
    return len(names)
