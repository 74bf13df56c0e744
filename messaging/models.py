"""Conversations and messages (to come)."""
