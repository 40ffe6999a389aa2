"""The admin's URLs for a model, and a user let into the admin."""

from __future__ import annotations


def url(model, suffix: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def make_staff(user):
    user.is_staff = True
    user.save()
    return user
