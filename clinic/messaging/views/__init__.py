"""The staff's SMS pages: the log, the inbox, the settings, and the buttons on an
appointment's page. Views parse with forms, call a service and render."""
