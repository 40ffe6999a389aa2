"""Voicemail received, listened to and handled, and the call webhook as an actor:
choices only, nothing changes in the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0007_messaging_compliance_actions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "Viewed"),
                    ("view_denied", "Asked for a record of no such id"),
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("delete", "Deleted"),
                    ("export", "Exported"),
                    ("erase", "Erased"),
                    ("login", "Signed in"),
                    ("login_failed", "Failed sign-in"),
                    ("logout", "Signed out"),
                    ("clinic_switch", "Switched clinic"),
                    ("sms_sent", "Text sent"),
                    ("sms_received", "Text received"),
                    ("member_added", "Member added"),
                    ("role_changed", "Role changed"),
                    ("member_removed", "Member removed"),
                    ("api_key_created", "API key created"),
                    ("api_key_revoked", "API key revoked"),
                    ("two_factor_on", "Two-factor sign-in turned on"),
                    ("two_factor_off", "Two-factor sign-in turned off"),
                    ("recovery_codes", "New recovery codes"),
                    ("two_factor_reset", "Two-factor sign-in removed by an operator"),
                    ("feed_created", "Calendar feed created"),
                    ("feed_revoked", "Calendar feed revoked"),
                    ("feed_fetched", "Calendar feed fetched"),
                    ("caldav_connected", "CalDAV calendar connected"),
                    ("caldav_reconnected", "CalDAV calendar reconnected"),
                    ("caldav_removed", "CalDAV calendar removed"),
                    ("busy_added", "Busy calendar added"),
                    ("busy_removed", "Busy calendar removed"),
                    ("clinic_created", "Clinic created"),
                    ("clinic_suspended", "Clinic suspended"),
                    ("clinic_reactivated", "Clinic reactivated"),
                    ("clinic_closed", "Clinic closed"),
                    ("clinic_activated", "Trial ended: clinic active"),
                    ("webhook_rotated", "Webhook secret rotated"),
                    ("retention_pruned", "Old texts and webhook data removed"),
                    ("voicemail_received", "Voicemail received"),
                    ("voicemail_played", "Voicemail listened to"),
                    ("voicemail_handled", "Voicemail marked handled"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor_type",
            field=models.CharField(
                choices=[
                    ("user", "User"),
                    ("api_key", "API key"),
                    ("job", "Worker job"),
                    ("sms_webhook", "SMS webhook"),
                    ("call_webhook", "Call webhook"),
                    ("feed", "Calendar feed link"),
                    ("system", "System"),
                ],
                max_length=12,
            ),
        ),
    ]
