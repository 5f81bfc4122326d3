from challenges.models.best_entry import BestEntry, RankBasis
from challenges.models.blueprint import BlueprintNode, QuizAttempt, QuizChoice, QuizQuestion
from challenges.models.challenge import METRIC_DIRECTIONS, Challenge
from challenges.models.instruments import (
    RunBoundaryFrame,
    RunTerrain,
    RunTrajectory,
    TerrainStatus,
)
from challenges.models.post_run import PostRun
from challenges.models.run import (
    FINAL_STATUSES,
    QUOTA_STATUSES,
    QuotaDay,
    Run,
    RunHistoryChunk,
    RunStatus,
)
from challenges.models.verification import RunVerification, VerificationStatus

__all__ = [
    "FINAL_STATUSES",
    "METRIC_DIRECTIONS",
    "QUOTA_STATUSES",
    "BestEntry",
    "BlueprintNode",
    "Challenge",
    "PostRun",
    "QuizAttempt",
    "QuizChoice",
    "QuizQuestion",
    "QuotaDay",
    "RankBasis",
    "Run",
    "RunBoundaryFrame",
    "RunHistoryChunk",
    "RunStatus",
    "RunTerrain",
    "RunTrajectory",
    "RunVerification",
    "TerrainStatus",
    "VerificationStatus",
]
