"""Helpers the tests share: local servers, the fault proxy, recorded ACR sessions, Pilot helpers, profiles."""
