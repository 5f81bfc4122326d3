"""Challenges, runs, leaderboards and the blueprint."""
