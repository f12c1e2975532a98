"""Job and ModelVersion move here from inscription: state only, the tables keep their names.

The tables were created by inscription's migrations 0001-0006 (before the move), hence the
dependency on them; nothing here touches the database. From now on only this app's
migrations change these tables.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('archive', '0001_initial'),
        ('inscription', '0006_job_parent_batches'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Job',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('segment', 'Segment'), ('transcribe', 'Transcribe'), ('summarise', 'Summarise'), ('train', 'Fine-tune'), ('evaluate', 'Evaluate'), ('compare', 'Compare'), ('import', 'Import'), ('export', 'Export')], max_length=20)),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=20)),
                        ('parameters', models.JSONField(blank=True, default=dict)),
                        ('progress_done', models.PositiveIntegerField(default=0)),
                        ('progress_total', models.PositiveIntegerField(default=0)),
                        ('progress_message', models.CharField(blank=True, max_length=500)),
                        ('cancel_requested', models.BooleanField(default=False)),
                        ('celery_task_id', models.CharField(blank=True, max_length=100)),
                        ('task_name', models.CharField(blank=True, help_text='Celery task that runs this job (for re-sending)', max_length=200)),
                        ('worker_host', models.CharField(blank=True, max_length=200)),
                        ('worker_pid', models.PositiveIntegerField(blank=True, help_text='Process running the job (its lease)', null=True)),
                        ('heartbeat_at', models.DateTimeField(blank=True, help_text='Last sign of life of the running worker', null=True)),
                        ('device', models.CharField(blank=True, max_length=50)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('result', models.JSONField(blank=True, default=dict, help_text='What the job produced: layer, model version, file, figures')),
                        ('collection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='jobs', to='archive.collection')),
                        ('document', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='jobs', to='archive.document')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='children', to='jobs.job')),
                        ('page', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='jobs', to='archive.page')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='jobs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'inscription_job',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ModelVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('version', models.CharField(max_length=100)),
                        ('task', models.CharField(choices=[('htr', 'Handwriting recognition'), ('segment', 'Segmentation'), ('summarise', 'Summarisation')], max_length=20)),
                        ('path', models.CharField(help_text='Directory of the weights and card in the model store', max_length=1000)),
                        ('sha256', models.CharField(help_text='sha256 of the weights file', max_length=64)),
                        ('architecture', models.JSONField(blank=True, default=dict)),
                        ('hyperparameters', models.JSONField(blank=True, default=dict)),
                        ('charset', models.TextField(blank=True)),
                        ('training_data', models.JSONField(blank=True, default=dict)),
                        ('metrics', models.JSONField(blank=True, default=dict)),
                        ('licence', models.CharField(blank=True, max_length=100)),
                        ('card', models.JSONField(blank=True, default=dict, help_text='The full JSON card as stored beside the weights')),
                        ('created_at', models.DateTimeField()),
                        ('registered_at', models.DateTimeField(auto_now_add=True)),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='jobs.modelversion')),
                        ('training_job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='jobs.job')),
                    ],
                    options={
                        'db_table': 'inscription_modelversion',
                        'ordering': ['task', 'name', '-created_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='job',
                    index=models.Index(fields=['collection', 'state'], name='inscription_collect_cd0e66_idx'),
                ),
                migrations.AddIndex(
                    model_name='job',
                    index=models.Index(fields=['kind', 'state'], name='inscription_kind_2b1cb8_idx'),
                ),
                migrations.AddIndex(
                    model_name='job',
                    index=models.Index(fields=['state', 'heartbeat_at'], name='inscription_state_4fda9b_idx'),
                ),
                migrations.AddConstraint(
                    model_name='modelversion',
                    constraint=models.UniqueConstraint(fields=('name', 'version', 'sha256'), name='model_version_unique'),
                ),
            ],
        ),
    ]
