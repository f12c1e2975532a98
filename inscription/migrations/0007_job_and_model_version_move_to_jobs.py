"""Job and ModelVersion now live in the jobs app (same tables): state only, plus their content types.

The foreign keys of inscriptions, layers, comparisons and traces point at jobs.Job /
jobs.ModelVersion; the database keeps the same columns and constraints. Content types are
renamed so admin history and permissions follow the models.
"""

import django.db.models.deletion
from django.db import migrations, models


def rename_content_types(apps, schema_editor, old="inscription", new="jobs"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("job", "modelversion"):
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def restore_content_types(apps, schema_editor):
    rename_content_types(apps, schema_editor, old="jobs", new="inscription")


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0005_job_and_model_version_in_jobs_app'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('inscription', '0006_job_parent_batches'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='inscription',
                    name='job',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='inscriptions', to='jobs.job'),
                ),
                migrations.AlterField(
                    model_name='comparison',
                    name='job',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='comparisons', to='jobs.job'),
                ),
                migrations.AlterField(
                    model_name='layer',
                    name='model_version',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='layers', to='jobs.modelversion'),
                ),
                migrations.AlterField(
                    model_name='readingtrace',
                    name='model_version',
                    field=models.ForeignKey(help_text="The weights the trace was computed with (the inscription's own)", on_delete=django.db.models.deletion.PROTECT, related_name='+', to='jobs.modelversion'),
                ),
                migrations.AlterField(
                    model_name='inscription',
                    name='model_version',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='inscriptions', to='jobs.modelversion'),
                ),
                migrations.DeleteModel(name='ModelVersion'),
                migrations.DeleteModel(name='Job'),
            ],
        ),
        migrations.RunPython(rename_content_types, restore_content_types),
    ]
