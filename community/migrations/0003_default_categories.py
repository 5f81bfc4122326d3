"""Create the board's starting categories; staff curate them in the admin afterwards."""

from django.db import migrations

CATEGORIES = [
    ("announcements", "Announcements", "News from the Descent team.", 0, True),
    (
        "debriefs",
        "Debriefs",
        "What you trained, what the loss did, and what you learned.",
        10,
        False,
    ),
    ("help", "Help", "Stuck on a challenge? Diverging loss? Ask here.", 20, False),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("community", "Category")
    for slug, name, description, position, staff_only in CATEGORIES:
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "position": position,
                "staff_only": staff_only,
            },
        )


def remove_categories(apps, schema_editor):
    Category = apps.get_model("community", "Category")
    Category.objects.filter(slug__in=[c[0] for c in CATEGORIES], threads__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("community", "0002_board_and_notifications")]

    operations = [migrations.RunPython(create_categories, remove_categories)]
