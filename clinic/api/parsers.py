"""The API's one body parser: JSON, refused with 400 when nested deeper than any
request of ours ever is.

Python's JSON decoder recurses once per level and raises RecursionError (not the
ValueError DRF's parser turns into 400) near the interpreter's limit, and a body just
under that limit would make every later walk over it (the clinic check, the
idempotency fingerprint, the serializers) recurse as deep again."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Our deepest request is a list of strings in an object (event_types): 2 levels.
MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels") from None
        if _depth_over(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels")
        return data


def _depth_over(data, limit: int) -> bool:
    """Whether `data` nests deeper than `limit`, walked without recursion."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return False
