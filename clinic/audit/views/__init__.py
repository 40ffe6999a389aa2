"""The audit trail's pages: the trail itself and its CSV export (pages.py)."""
