"""The worker's daily purge of closed clinics past their grace period (the same as
`manage.py purge_closed_clinics`). It learns which clinics are due through one narrow
function that returns ids only; each deletion runs in that clinic's tenant context."""

from __future__ import annotations

from procrastinate.contrib.django import app

from clinic.lifecycle.services import purge_closed_clinics


@app.periodic(cron="17 3 * * *", periodic_id="purge-closed-clinics")
@app.task(queue="maintenance", queueing_lock="purge-closed-clinics", pass_context=False)
def purge_closed(timestamp: int) -> int:
    return purge_closed_clinics()
