"""The proof check in tenancy_proven_org() and tenancy_proven_user() as one expression:
the same HMAC and the same hashed comparison, without the regex check of the proof's
format, which cost more than the HMAC itself (a garbled proof is now simply unequal).
The functions are recreated from tenancy.operations, as every RLS operation does."""

from django.db import migrations

from tenancy.operations import install_proof_machinery


def reinstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        install_proof_machinery(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0008_first_owner_invitation")]

    # Going back keeps the new body: it accepts and refuses exactly the same proofs.
    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
