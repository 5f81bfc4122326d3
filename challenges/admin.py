"""The admin: curate challenges (through the services) and police runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.html import format_html

from challenges.errors import VerificationRefused
from challenges.models import (
    BlueprintNode,
    Challenge,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Run,
    RunStatus,
    RunVerification,
)
from challenges.preview import dataset_preview
from challenges.services.challenges import (
    ChallengeInvalid,
    challenge_derive,
    challenge_save,
    challenge_set_status,
)
from challenges.services.leaderboards import leaderboard_recompute
from challenges.services.runs import run_cancel, run_disqualify, run_rerun, run_set_ranked
from challenges.services.submissions import SubmissionRejected, spec_check
from challenges.services.verification import (
    TRIGGER_CLOSED,
    verification_request,
    verification_request_top,
)

# What staff edit; task and metric direction follow from these (challenge_derive).
CHALLENGE_EDITABLE_FIELDS = [
    "title",
    "slug",
    "status",
    "lesson",
    "dataset",
    "dataset_params",
    "dataset_seed",
    "metric",
    "unlock_threshold",
    "max_parameters",
    "max_epochs",
    "max_work",
    "time_limit_seconds",
    "daily_quota",
    "opens_at",
    "closes_at",
    "starter_spec",
]


class ChallengeForm(forms.ModelForm):
    """Check the dataset, metric and starter spec with the services before anything is saved."""

    class Meta:
        model = Challenge
        fields = CHALLENGE_EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # A throwaway copy: the real instance is saved by challenge_save in save_model.
        candidate = Challenge(**{name: cleaned.get(name) for name in CHALLENGE_EDITABLE_FIELDS})
        try:
            challenge_derive(candidate)
        except ChallengeInvalid as exc:
            self._add_errors(exc.errors)
            return cleaned
        if cleaned.get("starter_spec"):
            try:
                spec_check(challenge=candidate, spec=cleaned["starter_spec"])
            except SubmissionRejected as exc:
                for path, path_messages in exc.errors.items():
                    for message in path_messages:
                        self.add_error("starter_spec", f"{path}: {message}")
        return cleaned

    def _add_errors(self, errors: dict[str, list[str]]) -> None:
        for field, field_messages in errors.items():
            self.add_error(field if field in self.fields else None, field_messages)


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    form = ChallengeForm
    list_display = [
        "title",
        "slug",
        "status",
        "dataset",
        "task",
        "metric",
        "opens_at",
        "closes_at",
        "daily_quota",
    ]
    list_filter = ["status", "task", "metric"]
    search_fields = ["title", "slug", "dataset"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["task", "metric_direction", "data_preview", "created_at", "updated_at"]
    actions = ["publish", "close", "recompute_leaderboard", "verify_top_entries"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "lesson"]}),
        ("Data", {"fields": ["dataset", "dataset_params", "dataset_seed", "task", "data_preview"]}),
        ("Scoring", {"fields": ["metric", "metric_direction", "unlock_threshold"]}),
        (
            "Budgets",
            {
                "fields": [
                    "max_parameters",
                    "max_epochs",
                    "max_work",
                    "time_limit_seconds",
                    "daily_quota",
                ]
            },
        ),
        ("Dates", {"fields": ["opens_at", "closes_at", "created_at", "updated_at"]}),
        ("Starter", {"fields": ["starter_spec"]}),
    ]

    @admin.display(description="Preview (train split only)")
    def data_preview(self, obj: Challenge) -> str:
        if obj.pk is None:
            return "Saved challenges show their data here."
        try:
            data = dataset_preview(obj)
        except (ValueError, TypeError) as exc:
            return format_html('<span class="errornote">{}</span>', exc)
        return render_to_string("challenges/_dataset_preview.html", {"data": data})

    def save_model(self, request: HttpRequest, obj: Challenge, form: Any, change: bool) -> None:
        challenge_save(obj)

    @admin.action(description="Publish the selected challenges")
    def publish(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        for challenge in queryset:
            challenge_set_status(challenge=challenge, status=Challenge.Status.PUBLISHED)
        self.message_user(request, f"Published {len(queryset)} challenge(s).", messages.SUCCESS)

    @admin.action(description="Close the selected challenges (leaderboards become final; "
                              "the top entries are verified)")
    def close(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        verifying = 0
        for challenge in queryset:
            challenge_set_status(challenge=challenge, status=Challenge.Status.CLOSED)
            verifying += len(verification_request_top(challenge=challenge,
                                                      trigger=TRIGGER_CLOSED,
                                                      requested_by=request.user))
        self.message_user(request, f"Closed {len(queryset)} challenge(s); verifying "
                          f"{verifying} top entr{'y' if verifying == 1 else 'ies'}.",
                          messages.SUCCESS)

    @admin.action(description="Verify the top entries (a second worker re-trains them)")
    def verify_top_entries(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        for challenge in queryset:
            checks = verification_request_top(challenge=challenge, requested_by=request.user)
            self.message_user(request, f"{challenge.slug}: verifying run(s) "
                              + (", ".join(f"#{c.run_id}" for c in checks) or "none (no "
                                 "ranked entries)"), messages.SUCCESS)

    @admin.action(description="Recompute the leaderboards")
    def recompute_leaderboard(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        _recompute(self, request, list(queryset))


def _recompute(
    model_admin: admin.ModelAdmin, request: HttpRequest, challenges: list[Challenge]
) -> None:
    for challenge in challenges:
        entries = leaderboard_recompute(challenge=challenge)
        model_admin.message_user(
            request, f"{challenge.slug}: {len(entries)} ranked builder(s).", messages.SUCCESS
        )


class DisqualifiedFilter(admin.SimpleListFilter):
    title = "disqualified"
    parameter_name = "disqualified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value() == "yes":
            return queryset.exclude(disqualified_reason="")
        if self.value() == "no":
            return queryset.filter(disqualified_reason="")
        return queryset


class DisqualifyForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Shown to the builder on the run's page.",
    )


# Everything a worker or a service writes; the admin edits only the note, sharing and ranking.
RUN_READONLY_FIELDS = [
    "owner",
    "challenge",
    "spec",
    "spec_hash",
    "status",
    "counts_toward_quota",
    "quota_day",
    "forked_from",
    "lab_group",
    "attempt",
    "waiting",
    "heartbeat_at",
    "enqueued_at",
    "cancel_requested",
    "worker_host",
    "worker_process",
    "engine_version",
    "worker_node",
    "dataset_hash",
    "numpy_version",
    "blas",
    "ghost_run",
    "created_at",
    "started_at",
    "finished_at",
    "parameter_count",
    "estimated_work",
    "epochs_done",
    "train_loss",
    "val_loss",
    "val_score",
    "test_score",
    "diagnoses",
    "error",
    "disqualified_reason",
]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "challenge",
        "status",
        "attempt",
        "val_score",
        "test_score",
        "ranked",
        "is_disqualified",
        "verification_status",
        "created_at",
    ]
    list_filter = ["status", "challenge", "ranked", DisqualifiedFilter,
                   "verification__status", "created_at"]
    search_fields = ["owner__username", "spec_hash"]
    list_select_related = ["owner", "challenge", "verification"]
    readonly_fields = RUN_READONLY_FIELDS
    date_hierarchy = "created_at"
    actions = ["rerun", "cancel", "disqualify", "recompute_leaderboard", "verify"]

    @admin.display(boolean=True, description="disqualified")
    def is_disqualified(self, obj: Run) -> bool:
        return obj.disqualified

    @admin.display(description="verification")
    def verification_status(self, obj: Run) -> str:
        try:
            check = obj.verification
        except RunVerification.DoesNotExist:
            return "–"
        summary = (check.detail or {}).get("summary", "")
        return f"{check.get_status_display()}: {summary}" if summary else check.get_status_display()

    @admin.action(description="Verify (a second worker re-trains and compares the history)")
    def verify(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        try:
            checks = verification_request(runs=queryset.select_related("challenge"),
                                          requested_by=request.user)
        except VerificationRefused as exc:
            self.message_user(request, f"{exc.message}; nothing was asked.", messages.ERROR)
            return
        self.message_user(request, "Verifying run(s) " + ", ".join(f"#{c.run_id}"
                                                                     for c in checks),
                          messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs come from submissions (the site, the API), never from a form

    def save_model(self, request: HttpRequest, obj: Run, form: Any, change: bool) -> None:
        # Only what the form changed: a full save would write back a status or a score the
        # worker updated while the form was open.
        fields = [name for name in form.changed_data if name != "ranked"]
        if fields:
            obj.save(update_fields=fields)
        if "ranked" in form.changed_data:
            run_set_ranked(run=obj, ranked=obj.ranked)  # the kept board moves with it

    @admin.action(description="Rerun (same spec, same builder, outside the quota)")
    def rerun(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        reruns = [run_rerun(run=run) for run in queryset]
        self.message_user(
            request, "Queued rerun(s): " + ", ".join(f"#{r.pk}" for r in reruns), messages.SUCCESS
        )

    @admin.action(description="Cancel (queued: at once; running: within an epoch)")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        live = queryset.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        count = 0
        for run in live:
            run_cancel(run=run)
            count += 1
        self.message_user(
            request,
            f"Cancel requested for {count} run(s); finished runs were left alone.",
            messages.SUCCESS,
        )

    @admin.action(description="Disqualify, with a reason the builder sees")
    def disqualify(self, request: HttpRequest, queryset: QuerySet[Run]) -> HttpResponse | None:
        form = DisqualifyForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for run in queryset:
                run_disqualify(run=run, reason=form.cleaned_data["reason"])
            self.message_user(request, f"Disqualified {len(queryset)} run(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Disqualify runs",
            "opts": self.model._meta,
            "runs": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/challenges/run/disqualify.html", context)

    @admin.action(description="Recompute the leaderboards of the selected runs' challenges")
    def recompute_leaderboard(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        challenges = Challenge.objects.filter(pk__in=queryset.values("challenge_id"))
        _recompute(self, request, list(challenges))


@admin.register(RunVerification)
class RunVerificationAdmin(admin.ModelAdmin):
    """What the verifying workers found: read-only (ask again with the runs' "verify")."""

    list_display = ["run", "status", "trigger", "requested_at", "checked_at", "verifier_node"]
    list_filter = ["status", "trigger", "run__challenge"]
    list_select_related = ["run"]
    readonly_fields = ["run", "status", "trigger", "requested_by", "requested_at",
                       "checked_at", "verifier_node", "detail"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- The blueprint (issue 7): nodes, prerequisites, quizzes --------------------------------


class BlueprintNodeForm(forms.ModelForm):
    """Refuse prerequisites that would make a cycle, and snippets the engine cannot parse."""

    class Meta:
        model = BlueprintNode
        fields = ["challenge", "title", "summary", "position", "prerequisites", "snippet",
                  "careless_snippet", "careless_why"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        prerequisites = cleaned.get("prerequisites")
        if prerequisites is not None and self.instance.pk is not None:
            problem = prerequisite_cycle(self.instance, list(prerequisites))
            if problem:
                self.add_error("prerequisites", problem)
        challenge = cleaned.get("challenge")
        for field in ("snippet", "careless_snippet"):
            spec = cleaned.get(field)
            if challenge is None or not spec:
                continue
            try:
                spec_check(challenge=challenge, spec=spec)
            except SubmissionRejected as exc:
                if field == "snippet":  # the careless one may be over budget on purpose
                    self.add_error(field, "; ".join(f"{k}: {' '.join(v)}"
                                                    for k, v in exc.errors.items()))
        return cleaned


def prerequisite_cycle(node: BlueprintNode, prerequisites: list[BlueprintNode]) -> str:
    """Return why these prerequisites would close a loop back to `node`, or ""."""
    edges: dict[int, list[int]] = {}
    for source, target in BlueprintNode.prerequisites.through.objects.values_list(
            "from_blueprintnode_id", "to_blueprintnode_id"):
        edges.setdefault(source, []).append(target)
    edges[node.pk] = [p.pk for p in prerequisites]
    seen: set[int] = set()
    stack = list(edges[node.pk])
    while stack:
        current = stack.pop()
        if current == node.pk:
            return "these prerequisites make a loop back to this node: it could never open"
        if current not in seen:
            seen.add(current)
            stack.extend(edges.get(current, []))
    return ""


class QuizQuestionInline(admin.StackedInline):
    model = QuizQuestion
    extra = 0
    fields = ["position", "key", "text", "explanation"]
    show_change_link = True  # choices are edited on the question's own page


class QuizChoiceInline(admin.TabularInline):
    model = QuizChoice
    extra = 3
    fields = ["position", "key", "text", "correct"]


class QuizQuestionForm(forms.ModelForm):
    class Meta:
        model = QuizQuestion
        fields = ["node", "position", "key", "text", "explanation"]


@admin.register(BlueprintNode)
class BlueprintNodeAdmin(admin.ModelAdmin):
    form = BlueprintNodeForm
    list_display = ["title", "challenge", "position", "prerequisite_list", "question_count"]
    list_select_related = ["challenge"]
    ordering = ["position", "id"]
    filter_horizontal = ["prerequisites"]
    inlines = [QuizQuestionInline]
    search_fields = ["title", "challenge__slug"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BlueprintNode]:
        return super().get_queryset(request).prefetch_related("prerequisites", "questions")

    @admin.display(description="prerequisites")
    def prerequisite_list(self, obj: BlueprintNode) -> str:
        return ", ".join(p.title for p in obj.prerequisites.all()) or "–"

    @admin.display(description="questions")
    def question_count(self, obj: BlueprintNode) -> int:
        return len(obj.questions.all())


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):
    form = QuizQuestionForm
    list_display = ["text", "node", "key", "position"]
    list_select_related = ["node"]
    list_filter = ["node"]
    inlines = [QuizChoiceInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        correct = form.instance.choices.filter(correct=True).count()
        if correct != 1:
            messages.warning(request, f"“{form.instance}” has {correct} correct choices; a "
                             "question needs exactly one to be answerable.")


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["user", "node", "all_correct", "created_at"]
    list_filter = ["all_correct", "node"]
    list_select_related = ["user", "node"]
    readonly_fields = ["user", "node", "answers", "all_correct", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
