"""Facts about storage endpoints shared by the profile parser and the Azure layer (pure, stdlib).

- storage connection strings (`Key=Value;...`), parsed once
- the account named by a blob service URL, in both host style
  (https://acct.blob.core.windows.net) and emulator path style (http://127.0.0.1:10000/acct)
- Azurite's development storage account, as its README documents it (public, not a secret)
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEV_BLOB_URL = f"http://127.0.0.1:10000/{DEV_ACCOUNT}"  # UseDevelopmentStorage=true


def parse_connection_string(text: str) -> dict[str, str] | None:
    """`Key=Value;...` into a dict with lower-case keys (values may contain '='); None if malformed."""
    settings: dict[str, str] = {}
    for part in text.strip().split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            return None
        settings[key.strip().lower()] = value.strip()
    return settings


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_path_style(host: str) -> bool:
    """Emulator-style endpoints put the account in the path: IP, localhost or single-label hosts."""
    return is_ip(host) or host == "localhost" or "." not in host


def account_name_from_url(url: str | None) -> str | None:
    """`acct` of https://acct.blob.core.windows.net, or of http://127.0.0.1:10000/acct."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if is_path_style(host):
        return parts.path.strip("/").split("/")[0] or None
    return host.split(".")[0] or None
