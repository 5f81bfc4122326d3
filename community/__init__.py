"""Accounts, profiles and the AI Builders Network board."""
