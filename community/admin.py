from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from community.models import User


@admin.register(User)
class BuilderAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Profile", {"fields": ("bio",)}))
