from django.urls import path

from clinic.audit.views import pages

app_name = "audit"
urlpatterns = [path("", pages.audit_list, name="list")]
