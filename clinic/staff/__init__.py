"""The staff pages' shell: the day schedule, patients, appointments and setup pages,
which compose scheduling with SMS, busy calendars and calls, the navigation's counts,
and the demo clinic. A surface: it imports the domains, none of them imports it."""
