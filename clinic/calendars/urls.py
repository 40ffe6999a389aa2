from django.urls import path

from clinic.calendars.views import caldav, feed, pages

# The staff page, included at /calendars/.
page_patterns = (
    [
        path("", pages.calendar_list, name="list"),
        path("new/", pages.feed_new, name="create"),
        path("<uuid:pk>/revoke/", pages.feed_revoke_view, name="revoke"),
        path("settings/", pages.settings_update, name="settings"),
        path("caldav/new/", pages.caldav_new, name="caldav_create"),
        path("caldav/<uuid:pk>/reconnect/", caldav.caldav_reconnect, name="caldav_reconnect"),
        path("caldav/<uuid:pk>/delete/", caldav.caldav_delete, name="caldav_delete"),
        path("busy/new/", pages.busy_new, name="busy_create"),
        path("busy/<uuid:pk>/refresh/", pages.busy_refresh, name="busy_refresh"),
        path("busy/<uuid:pk>/remove/", pages.busy_remove, name="busy_remove"),
    ],
    "calendars",
)

# The feeds themselves, at the root: /calendar/<token>.ics.
feed_patterns = [path("calendar/<str:token>.ics", feed.feed, name="calendar_feed")]
