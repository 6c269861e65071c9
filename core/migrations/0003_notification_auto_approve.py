from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0002_notifications'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notificationdelivery',
            name='event',
            field=models.CharField(choices=[('submitted', 'Revision submitted for review'), ('approved', 'Revision approved'), ('rejected', 'Revision rejected'), ('degraded', 'Route degraded'), ('healthy', 'Route healthy again'), ('auto_approve', 'Auto-approval turned on for the team'), ('test', 'Test notification')], max_length=20),
        ),
    ]
