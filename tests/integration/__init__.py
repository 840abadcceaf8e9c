"""Tests against Azurite, the local ACR/token/registry servers, recorded ACR sessions, the fault proxy, CLI subprocesses."""
