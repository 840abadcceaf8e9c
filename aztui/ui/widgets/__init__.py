"""Widgets of the aztui app."""
