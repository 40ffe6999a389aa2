"""A patient's data rights: export (GDPR art. 15/20, HIPAA right of access) and
erasure (GDPR art. 17), in services.py. A surface: it imports scheduling and audit,
and asks every other app for its part through the registry (registry.py), so it
imports none of them and none of them imports it."""
