"""Audit events for changes made elsewhere: the schedule, memberships, API keys, sign-ins."""
