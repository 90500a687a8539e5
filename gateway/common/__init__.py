"""Shared by every floor, knowing no domain: YAML with line numbers, problem reports."""
