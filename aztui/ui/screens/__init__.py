"""Screens of the aztui app."""
