"""Admin: builders, categories (curated by staff), threads, posts, reports, notifications."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from community.models import Category, Notification, Post, Report, Thread, User
from community.services.moderation import post_hide, reports_resolve


@admin.register(User)
class BuilderAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Profile", {"fields": ("bio",)}))


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "staff_only")
    list_editable = ("position", "staff_only")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "author",
        "created_at",
        "reply_count",
        "fork_count",
        "is_pinned",
        "is_locked",
    )
    list_filter = ("category", "is_pinned", "is_locked")
    search_fields = ("title", "author__username")
    raw_id_fields = ("author",)
    readonly_fields = ("reply_count", "fork_count", "created_at", "last_post_at")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("pk", "thread", "author", "created_at", "score", "is_hidden")
    list_filter = ("is_hidden", "is_opening")
    search_fields = ("body_markdown", "author__username", "thread__title")
    raw_id_fields = ("thread", "author")
    # The HTML is rendered by the services from the Markdown; editing it here would bypass
    # the sanitiser.
    readonly_fields = ("body_markdown", "body_html", "score", "created_at", "edited_at")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "post_link",
        "reporter",
        "reason",
        "created_at",
        "resolved_at",
        "resolved_by",
    )
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("reason", "reporter__username", "post__body_markdown")
    raw_id_fields = ("post", "reporter", "resolved_by")
    readonly_fields = ("created_at",)
    actions = ("resolve", "hide_posts_and_resolve")

    @admin.display(description="post")
    def post_link(self, report: Report) -> str:
        return f"#{report.post_id} in “{report.post.thread.title}”"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return (
            super().get_queryset(request).select_related("post__thread", "reporter", "resolved_by")
        )

    @admin.action(description="Mark selected reports resolved")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        count = reports_resolve(
            report_ids=list(queryset.values_list("pk", flat=True)), moderator=request.user
        )
        self.message_user(request, f"{count} report(s) resolved.", messages.SUCCESS)

    @admin.action(description="Hide the reported posts and resolve")
    def hide_posts_and_resolve(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in queryset.select_related("post"):
            if not report.post.is_hidden:
                post_hide(
                    post=report.post,
                    moderator=request.user,
                    reason="Hidden by a moderator after a report.",
                )
        count = reports_resolve(
            report_ids=list(queryset.values_list("pk", flat=True)), moderator=request.user
        )
        self.message_user(request, f"{count} report(s) resolved.", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    raw_id_fields = ("recipient",)
