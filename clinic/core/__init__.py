"""What several apps share, below every domain: date and time inputs, time zones, phone
numbers, reading constraint violations, the outbound HTTP guard, search terms kept out of
URLs and the rules a suspended or closing clinic follows. A plain package: no models, no
app. It imports only tenancy, never another clinic app (pyproject.toml, import-linter)."""
