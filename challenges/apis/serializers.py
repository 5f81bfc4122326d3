"""Output shapes of the challenges API: challenge, run, leaderboard, blueprint, quiz, lab.

Shared with the run page and the run stream (`run_data`), so the three say the same thing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.blueprint import CLEARED, LOCKED, OPEN
from challenges.selectors.datasets import dataset_describe
from challenges.selectors.ghosts import ghost_summary
from challenges.selectors.history import public_record, redact_hyperparameters, run_history
from challenges.selectors.runs import run_queue_place
from challenges.selectors.verification import verification_of
from challenges.selectors.visibility import run_spec_visible, run_test_score_visible

# Named for the schema's enums (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
RUN_STATUSES = RunStatus.choices
CHALLENGE_STATUSES = Challenge.Status.choices

SPEC_SCHEMA = {"type": "object", "additionalProperties": {},
               "description": "The normalised model spec (CONTRACT §1)."}


@extend_schema_field({
    "type": "object",
    "description": "One epoch: `epoch`, `train_loss`, `val_loss` and the task's metric (null "
                   "where the value was not finite).",
    "properties": {"epoch": {"type": "integer"},
                   "train_loss": {"type": "number", "nullable": True},
                   "val_loss": {"type": "number", "nullable": True}},
    "required": ["epoch"],
    "additionalProperties": {"type": "number", "nullable": True},
})
class EpochRecordField(serializers.DictField):
    """An epoch record as the worker stored it."""


class QuotaSerializer(serializers.Serializer):
    """A builder's runs for one challenge today (UTC)."""

    class Meta:
        ref_name = "Quota"

    limit = serializers.IntegerField()
    used = serializers.IntegerField()
    left = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class BudgetsSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ChallengeBudgets"

    max_parameters = serializers.IntegerField()
    max_epochs = serializers.IntegerField()
    max_work = serializers.IntegerField(help_text="estimated multiply-adds of the whole run")
    time_limit_seconds = serializers.IntegerField()


class DatasetSerializer(serializers.Serializer):
    """The data's shape and balance: never a test label."""

    class Meta:
        ref_name = "ChallengeData"

    name = serializers.CharField()
    task = serializers.ChoiceField(choices=Challenge.Task.choices)
    n_inputs = serializers.IntegerField()
    n_outputs = serializers.IntegerField()
    n_classes = serializers.IntegerField(allow_null=True)
    n_train = serializers.IntegerField()
    n_val = serializers.IntegerField()
    n_test = serializers.IntegerField()
    description = serializers.CharField()
    class_balance = serializers.ListField(child=serializers.IntegerField(), required=False,
                                          help_text="training examples per class")


class ChallengeOutputSerializer(serializers.Serializer):
    """A challenge as the list shows it."""

    class Meta:
        ref_name = "Challenge"

    slug = serializers.SlugField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Challenge.Status.choices)
    task = serializers.ChoiceField(choices=Challenge.Task.choices)
    metric = serializers.CharField()
    metric_direction = serializers.ChoiceField(choices=["max", "min"])
    dataset = serializers.CharField()
    # What `descent reproduce` needs to load the very same data:
    # load_dataset(dataset, seed=dataset_seed, **dataset_params).
    dataset_seed = serializers.IntegerField()
    dataset_params = serializers.SerializerMethodField()
    budgets = serializers.SerializerMethodField()
    unlock_threshold = serializers.FloatField(allow_null=True)
    daily_quota = serializers.IntegerField()
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    accepts_submissions = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(BudgetsSerializer)
    def get_budgets(self, challenge: Challenge) -> dict[str, Any]:
        return BudgetsSerializer(challenge).data

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_dataset_params(self, challenge: Challenge) -> dict[str, Any]:
        return challenge.dataset_params or {}

    def get_accepts_submissions(self, challenge: Challenge) -> bool:
        return challenge.accepts_submissions()

    def get_url(self, challenge: Challenge) -> str:
        return reverse("challenge-page", args=[challenge.slug])


class ChallengeDetailOutputSerializer(ChallengeOutputSerializer):
    """One challenge: the list's fields, the lesson, the data's shape, the caller's quota."""

    class Meta:
        ref_name = "ChallengeDetail"

    lesson = serializers.CharField(help_text="Markdown with TeX")
    data = serializers.SerializerMethodField()
    starter_spec = serializers.JSONField()
    quota = serializers.SerializerMethodField(help_text="null when not signed in")

    @extend_schema_field(DatasetSerializer)
    def get_data(self, challenge: Challenge) -> dict[str, Any]:
        return dataset_describe(challenge)

    @extend_schema_field(QuotaSerializer(allow_null=True))
    def get_quota(self, challenge: Challenge) -> dict[str, Any] | None:
        quota = self.context.get("quota")
        return None if quota is None else QuotaSerializer(quota).data


class DiagnosisSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Diagnosis"

    code = serializers.CharField()
    message = serializers.CharField()


@extend_schema_field({
    "type": "object", "nullable": True,
    "description": "The run's latest verification: a second worker re-trained it and compared "
                   "every recorded value (null: never asked). `detail`: `summary`, "
                   "`bit_for_bit`, `values_compared`, `differences`, `largest` and `first` "
                   "(`epoch`, `field`, `recorded`, `rerun`, `absolute`, `relative`), `rtol`, "
                   "`atol`, `score`, `test_score_agrees`, `recorded` and `rerun` (engine "
                   "version, numpy, BLAS, dataset hash, worker), `independence`, `why`.",
    "properties": {
        "status": {"type": "string", "enum": ["pending", "reproduced", "mismatch", "error"]},
        "checked_at": {"type": "string", "format": "date-time", "nullable": True},
        "detail": {"type": "object", "additionalProperties": True},
    },
    "required": ["status", "checked_at", "detail"],
})
class VerificationField(serializers.DictField):
    """A verification as `RunVerification.as_dict` gives it."""


class QueuePlaceSerializer(serializers.Serializer):
    """Where a run stands under its builder's cap on runs in flight (fair shares)."""

    class Meta:
        ref_name = "QueuePlace"

    waiting = serializers.BooleanField(help_text="held back: the builder's cap is reached")
    ahead = serializers.IntegerField(allow_null=True, min_value=0,
                                     help_text="the builder's own waiting runs that leave first")
    max_in_flight = serializers.IntegerField(help_text="the cap; 0: none")


class RunOutputSerializer(serializers.Serializer):
    """A run as the viewer (context `viewer`) may see it: spec and test score where allowed."""

    class Meta:
        ref_name = "Run"

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    challenge = serializers.CharField(source="challenge.slug")
    user = serializers.CharField(source="owner.username")
    status = serializers.ChoiceField(choices=RunStatus.choices)
    note = serializers.SerializerMethodField()
    ranked = serializers.BooleanField()
    attempt = serializers.IntegerField()
    spec_visible = serializers.SerializerMethodField()
    spec = serializers.SerializerMethodField()
    spec_hash = serializers.SerializerMethodField()
    shared = serializers.BooleanField()
    forked_from = serializers.IntegerField(source="forked_from_id", allow_null=True)
    parameter_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    epochs_done = serializers.IntegerField()
    epochs = serializers.SerializerMethodField()
    train_loss = serializers.FloatField(allow_null=True)
    val_loss = serializers.FloatField(allow_null=True)
    val_score = serializers.FloatField(allow_null=True)
    test_score = serializers.SerializerMethodField()
    score = serializers.FloatField(allow_null=True, help_text="the score the leaderboard ranks")
    metric = serializers.CharField(source="challenge.metric")
    diagnoses = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    disqualified_reason = serializers.SerializerMethodField()
    queue = serializers.SerializerMethodField(help_text="fair shares: `{waiting, ahead, "
                                              "max_in_flight}`")
    worker_host = serializers.CharField()
    engine_version = serializers.CharField()
    # What else decides the numbers (verification): the worker node, the data's hash, numpy.
    worker_node = serializers.CharField()
    dataset_hash = serializers.CharField()
    numpy_version = serializers.CharField()
    blas = serializers.CharField()
    verification = serializers.SerializerMethodField()
    ghost_run = serializers.IntegerField(source="ghost_run_id", allow_null=True,
                                         help_text="the run this one races (a ghost race)")

    @extend_schema_field(QueuePlaceSerializer)
    def get_queue(self, run: Run) -> dict[str, Any]:
        # Waiting: held back by the builder's cap on runs in flight; `ahead` of their own
        # waiting runs leave first (one query, only for a waiting run).
        ahead = run_queue_place(run)
        return {"waiting": ahead is not None, "ahead": ahead,
                "max_in_flight": settings.MAX_RUNS_IN_FLIGHT_PER_USER}

    @extend_schema_field(VerificationField(allow_null=True))
    def get_verification(self, run: Run) -> dict[str, Any] | None:
        return verification_of(run)

    def _spec_visible(self, run: Run) -> bool:
        cache = self.context.setdefault("_spec_visible", {})
        if run.pk not in cache:
            cache[run.pk] = run_spec_visible(run, self.context.get("viewer"))
        return cache[run.pk]

    def get_url(self, run: Run) -> str:
        return reverse("run-page", args=[run.pk])

    def get_spec_visible(self, run: Run) -> bool:
        return self._spec_visible(run)

    @extend_schema_field(DiagnosisSerializer(many=True))
    def get_diagnoses(self, run: Run) -> list[dict[str, Any]]:
        diagnoses = DiagnosisSerializer(run.diagnoses or [], many=True).data
        if self._spec_visible(run):
            return diagnoses
        return [{**d, "message": redact_hyperparameters(d["message"])} for d in diagnoses]

    @extend_schema_field(serializers.CharField(help_text="why the run ended as it did; rates "
                                               "blanked out for those who may not see the spec"))
    def get_error(self, run: Run) -> str:
        return run.error if self._spec_visible(run) else redact_hyperparameters(run.error)

    @extend_schema_field(serializers.CharField(help_text="empty to those who may not see "
                                               "the spec: a note may describe it"))
    def get_note(self, run: Run) -> str:
        return run.note if self._spec_visible(run) else ""

    @extend_schema_field({**SPEC_SCHEMA, "nullable": True})
    def get_spec(self, run: Run) -> dict[str, Any] | None:
        return run.spec if self._spec_visible(run) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_spec_hash(self, run: Run) -> str | None:
        return run.spec_hash if self._spec_visible(run) else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_epochs(self, run: Run) -> int | None:
        return run.spec.get("epochs")

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_test_score(self, run: Run) -> float | None:
        return run.test_score if run_test_score_visible(run, self.context.get("viewer")) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_disqualified_reason(self, run: Run) -> str | None:
        return run.disqualified_reason or None


class RunDetailOutputSerializer(RunOutputSerializer):
    """A run with its per-epoch history (the current attempt's)."""

    class Meta:
        ref_name = "RunDetail"

    history = serializers.SerializerMethodField()
    ghost = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=EpochRecordField()))
    def get_history(self, run: Run) -> list[dict[str, Any]]:
        history = run_history(run)
        self.context.setdefault("_history", {})[run.pk] = history
        return history if self._spec_visible(run) else [public_record(r) for r in history]

    @extend_schema_field({
        "type": "object", "nullable": True,
        "description": "The ghost this run races (null: none): `run`, `user`, `status`, "
                       "`last_epoch`, `records` (its losses per epoch, thinned to ~500; never "
                       "its spec) and `gap` at this run's last epoch (`epoch`, `train_loss`, "
                       "`val_loss`, `delta` = this run's val_loss − the ghost's).",
        "additionalProperties": True,
    })
    def get_ghost(self, run: Run) -> dict[str, Any] | None:
        history = self.context.get("_history", {}).get(run.pk)
        return ghost_summary(run, history=history)


class SubmissionOutputSerializer(RunOutputSerializer):
    """The run a submission created, and the quota left after it."""

    class Meta:
        ref_name = "Submission"

    quota = serializers.SerializerMethodField()

    @extend_schema_field(QuotaSerializer)
    def get_quota(self, run: Run) -> dict[str, Any]:
        return QuotaSerializer(self.context["quota"]).data


def run_data(run: Run, viewer: Any, *, with_history: bool = False) -> dict[str, Any]:
    """Describe a run as `viewer` may see it (the API, the run page, the run stream)."""
    serializer = RunDetailOutputSerializer if with_history else RunOutputSerializer
    return serializer(run, context={"viewer": viewer}).data


class LeaderboardEntrySerializer(serializers.Serializer):
    class Meta:
        ref_name = "LeaderboardEntry"

    rank = serializers.IntegerField()
    user = serializers.CharField()
    run = serializers.IntegerField()
    score = serializers.FloatField()
    val_score = serializers.FloatField(allow_null=True)
    test_score = serializers.FloatField(allow_null=True, help_text="after the close only")
    parameter_count = serializers.IntegerField()
    submitted_at = serializers.SerializerMethodField()
    val_rank = serializers.IntegerField(allow_null=True, help_text="after the close: the rank "
                                        "by validation score")
    rank_change = serializers.IntegerField(allow_null=True, help_text="places gained (+) or "
                                           "lost (−) from the validation ranking")
    verification = VerificationField(allow_null=True)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_submitted_at(self, entry: Any) -> str:
        # The same text as the live leaderboard messages (LeaderboardEntry.as_dict).
        return entry.submitted_at.isoformat()


class LeaderboardOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Leaderboard"

    challenge = serializers.SlugField(source="challenge.slug")
    ranked_by = serializers.ChoiceField(choices=["val_score", "test_score"],
                                        source="challenge.ranked_by")
    metric = serializers.CharField(source="challenge.metric")
    higher_is_better = serializers.BooleanField(source="challenge.higher_is_better")
    ties = serializers.CharField()
    verified_only = serializers.BooleanField(help_text="only entries a second worker "
                                             "reproduced (`?verified=1`), with their ranks")
    entries = LeaderboardEntrySerializer(many=True, help_text="this page's entries")
    own = LeaderboardEntrySerializer(allow_null=True, help_text="the caller's own entry, "
                                     "wherever it ranks; null signed out or unranked")
    count = serializers.IntegerField(help_text="entries on the whole board (or verified)")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class BlueprintNodeOutputSerializer(serializers.Serializer):
    """One node of the learning path as the caller sees it."""

    class Meta:
        ref_name = "BlueprintNode"

    slug = serializers.SlugField()
    title = serializers.CharField(source="node.title")
    summary = serializers.CharField(source="node.summary")
    challenge = serializers.SlugField(source="challenge.slug")
    prerequisites = serializers.ListField(child=serializers.SlugField())
    state = serializers.ChoiceField(choices=[LOCKED, OPEN, CLEARED])
    metric = serializers.CharField(source="challenge.metric")
    metric_direction = serializers.ChoiceField(choices=["max", "min"],
                                               source="challenge.metric_direction")
    threshold = serializers.FloatField(source="challenge.unlock_threshold", allow_null=True)
    best_score = serializers.FloatField(allow_null=True)
    threshold_met = serializers.BooleanField()
    quiz_passed = serializers.BooleanField()
    needs = serializers.ListField(child=serializers.CharField(),
                                  help_text="what is left to clear the node, in order")
    url = serializers.SerializerMethodField()

    def get_url(self, state: Any) -> str:
        return reverse("lesson-page", args=[state.slug])


class BlueprintOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Blueprint"

    nodes = BlueprintNodeOutputSerializer(many=True)


class QuizChoiceSerializer(serializers.Serializer):
    class Meta:
        ref_name = "QuizChoice"

    key = serializers.CharField()
    text = serializers.CharField()


class QuizQuestionSerializer(serializers.Serializer):
    """A question and its choices: never which choice is correct."""

    class Meta:
        ref_name = "QuizQuestion"

    key = serializers.CharField()
    text = serializers.CharField()
    choices = QuizChoiceSerializer(many=True, source="choices.all")


class QuizOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Quiz"

    node = serializers.SlugField(source="slug")
    questions = QuizQuestionSerializer(many=True, source="questions.all")
    passed = serializers.SerializerMethodField()

    def get_passed(self, node: Any) -> bool:
        return self.context["state"].quiz_passed


class QuestionResultSerializer(serializers.Serializer):
    class Meta:
        ref_name = "QuizQuestionResult"

    key = serializers.CharField()
    correct = serializers.BooleanField()
    chosen = serializers.CharField()
    correct_choice = serializers.CharField()
    explanation = serializers.CharField(help_text="Markdown with TeX")


class QuizResultOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "QuizResult"

    node = serializers.SlugField(source="attempt.node.slug")
    all_correct = serializers.BooleanField()
    results = QuestionResultSerializer(many=True)
    node_cleared = serializers.BooleanField()
    state = serializers.ChoiceField(choices=[LOCKED, OPEN, CLEARED], source="state.state",
                                    allow_null=True, help_text="the node's state after it")


class LabExplanationSerializer(serializers.Serializer):
    class Meta:
        ref_name = "LabExplanation"

    done = serializers.BooleanField()
    lines = serializers.ListField(child=serializers.CharField())
    best = serializers.IntegerField(allow_null=True, help_text="the run with the lowest "
                                    "validation loss, once every run ended")


class LabOutputSerializer(serializers.Serializer):
    """A lab: its three runs and what happened to each."""

    class Meta:
        ref_name = "Lab"

    lab = serializers.UUIDField(source="group")
    url = serializers.SerializerMethodField()
    runs = serializers.SerializerMethodField()
    explanation = LabExplanationSerializer()

    def get_url(self, lab: Any) -> str:
        return reverse("lab-page", args=[lab["group"]])

    @extend_schema_field(RunOutputSerializer(many=True))
    def get_runs(self, lab: Any) -> list[dict[str, Any]]:
        return RunOutputSerializer(lab["runs"], many=True, context=self.context).data
