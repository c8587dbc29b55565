"""Shared pytest configuration. Area-specific fixtures live beside their tests."""
