"""The staff's SMS pages: the log, the inbox, the settings, and the buttons on an
appointment's page. Views parse with forms, call a service and render. Also the
provider's signed webhooks (`webhooks`) and the confirmation page a text links to
(`links`), each of which finds its clinic through one narrow lookup."""
