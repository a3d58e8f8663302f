"""Tortoise models, configuration, migrations and shared queries."""
