"""SAS tokens decoded and judged, from tokens the storage SDK generates; `sig` never comes out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from aztui.azure.sas import SasError, decode_sas, judge_sas
from aztui.endpoints import DEV_KEY

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def account_sas(**perms) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas("acct", DEV_KEY, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(**perms), expiry=NOW + timedelta(hours=2),
                                start=NOW - timedelta(minutes=5), ip="10.1.2.3-10.1.2.9", protocol="https")


def container_sas(expiry: timedelta = timedelta(hours=1), start: datetime | None = None, **perms) -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas("acct", "cache", DEV_KEY, permission=ContainerSasPermissions(**perms),
                                  expiry=NOW + expiry, start=start)


def signature(token: str) -> str:
    return token.split("sig=")[1].split("&")[0]


def test_account_sas_decodes_every_field():
    token = account_sas(read=True, list=True, delete=True)
    info = decode_sas("?" + token)
    assert info.kind == "account"
    assert (info.services, info.resource_types, info.permissions) == ("b", "sco", "rdl")
    assert info.start == NOW - timedelta(minutes=5) and info.expiry == NOW + timedelta(hours=2)
    assert (info.ip_range, info.protocol, info.resource) == ("10.1.2.3-10.1.2.9", "https", None)
    assert info.version and info.version[:2] == "20"
    text = info.describe()
    for part in ("account SAS", "services 'b' (blob)", "resource types 'sco' (service, container, object)",
                 "permissions 'rdl' (read, delete, list)", "IP 10.1.2.3-10.1.2.9", "protocol https",
                 f"{info.expiry:%Y-%m-%d %H:%M:%S} UTC"):
        assert part in text
    assert signature(token) not in text and signature(token) not in repr(info)
    assert judge_sas(info, needs_delete=True, account_wide=True) == []


def test_container_sas_decodes_and_is_judged_against_the_job():
    token = container_sas(read=True, write=True, list=True)
    info = decode_sas(token)
    assert (info.kind, info.resource, info.permissions, info.services) == ("service", "c", "rwl", None)
    assert "resource container" in info.describe() and "no start time" in info.describe()
    assert judge_sas(info) == []
    findings = judge_sas(info, needs_delete=True)
    assert [f.severity for f in findings] == ["warn"]
    assert "without 'd' (delete)" in findings[0].message and "'d' (delete)" in findings[0].hint
    wide = judge_sas(info, account_wide=True)
    assert wide[0].severity == "fail" and "cannot list the account's containers" in wide[0].message


def test_judging_expiry_start_list_and_protocol():
    expired = judge_sas(decode_sas(container_sas(expiry=-timedelta(hours=1), read=True, list=True)))
    assert expired[0].severity == "fail" and expired[0].message.startswith("the SAS expired on ")
    assert "expiry (se)" in expired[0].hint
    later = decode_sas(container_sas(start=NOW + timedelta(days=1), expiry=timedelta(days=2),
                                     read=True, list=True))
    early = judge_sas(later)
    assert early[0].severity == "fail"
    assert early[0].message == f"the SAS is not valid before {later.start:%Y-%m-%d %H:%M:%S} UTC"
    no_list = judge_sas(decode_sas(container_sas(read=True)))
    assert [(f.severity, "'l' (list)" in f.message) for f in no_list] == [("fail", True)]
    https_only = judge_sas(decode_sas(account_sas(read=True, list=True)), scheme="http")
    assert https_only[0].severity == "fail" and "spr=https" in https_only[0].message


@pytest.mark.parametrize("token, expected", [
    ("", "no signature"),
    ("just some text", "not a query string"),
    ("sv=2024-08-04&sp=rl&se=2030-01-01", "no signature"),
    ("sp=rl&se=2030-01-01&sig=abc", "no sv (version)"),
    ("sv=2024-08-04&se=2030-01-01&sig=abc", "no sp (permissions)"),
    ("sv=2024-08-04&sp=rl&se=tomorrow&sig=SECRETSIG", "not a date"),
    ("sv=2024&&&sig", "not a query string"),
])
def test_bad_input_is_a_clear_error_without_the_signature(token, expected):
    with pytest.raises(SasError, match=re.escape(expected)) as caught:
        decode_sas(token)
    assert caught.value.hint
    assert "SECRETSIG" not in caught.value.render()


def test_a_url_with_a_sas_decodes_too():
    token = container_sas(read=True, list=True)
    info = decode_sas(f"https://acct.blob.core.windows.net/cache?{token}")
    assert info.permissions == "rl"
