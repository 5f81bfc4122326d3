from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('challenges', '0005_instruments'),
    ]

    operations = [
        migrations.AddField(
            model_name='run',
            name='worker_process',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
    ]
