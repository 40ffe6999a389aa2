"""Calendar connections' pages: the staff page (`pages`) with its CalDAV forms
(`caldav`), and the private feeds calendar apps fetch (`feed`)."""
