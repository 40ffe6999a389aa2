"""CalDAV connections: the clinic pushes each of a provider's appointments into a
calendar collection of their own (Nextcloud, Fastmail, iCloud, Radicale, …) as it is
booked, moved, changed or cancelled. See docs/staff/calendars.md, "Calendar connections (CalDAV)"."""
