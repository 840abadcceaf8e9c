"""Hypothesis strategies for profiles files (documents and TOML-like text) and the secret MARKER, shared by
the loader fuzzing (tests/unit/test_profiles_fuzz.py) and the app-start fuzzing (tests/ui/)."""

from __future__ import annotations

from hypothesis import strategies as st

from aztui.profiles.file import CREDENTIAL_KEYS, PROFILE_KEYS, SECRET_KEYS

MARKER = "Zq9SECRETq9Z"

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=24)
useful_strings = st.sampled_from([
    "", "env:KEY", "env:1bad", "acct", "c1c", "Bad_Container", "az://c1c/p/", "abfs://c1c@acct.dfs.core.windows.net/x",
    "s3://bucket", "https://acct.blob.core.windows.net", "http://127.0.0.1:10000/devstoreaccount1",
    "http://example.com/?sig=x", "ftp://x", "100ms", "1.5s", "5", "-1s", "shared_key", "sas", "default",
    "default_credentials", "client_secret", "anonymous", "acr", "storage", "buildkit-cache",
    "type=azblob,account_url=https://acct.blob.core.windows.net,name=a;b",
    "type=azblob,nmae=x", 'type=azblob,"name=a', "type=registry", "AccountName=acct;AccountKey=k",
    "UseDevelopmentStorage=true", "BlobEndpoint=ftp://x", "garbage", "r.azurecr.io", "http://r.azurecr.io",
    "https://127.0.0.1:8443", "login.microsoftonline.us", "app;base", ";",
])
scalars = st.one_of(
    text, useful_strings, useful_strings, st.integers(min_value=-3, max_value=12), st.integers(),
    st.floats(), st.booleans(), st.datetimes(), st.dates(), st.times())
values = st.one_of(scalars, st.lists(scalars, max_size=3))
credentials = st.dictionaries(st.one_of(st.sampled_from(list(CREDENTIAL_KEYS)), text), values, max_size=4)
profile_keys = st.one_of(st.sampled_from(list(PROFILE_KEYS)), st.sampled_from(list(PROFILE_KEYS)), text)
profile = st.builds(
    lambda table, creds: {**table, **({"credentials": creds} if creds is not None else {})},
    st.dictionaries(profile_keys, values, max_size=8), st.none() | credentials | scalars)
documents = st.dictionaries(
    st.one_of(st.sampled_from(["profiles", "profiles", "keymap", "default_profile"]), text),
    st.one_of(st.dictionaries(text, st.one_of(profile, scalars), max_size=4),
              st.dictionaries(text, values, max_size=3), scalars),
    max_size=4)
toml_fragments = st.lists(st.one_of(
    st.sampled_from(["[profiles.", "[profiles.a]", "[profiles.a.credentials]", "[[profiles]]", "]", "\n", "=",
                     " = ", '"', "'", '"""', ".", "{", "}", ",", "#", "env:", "true", "1", "1.5", "[keymap]",
                     "default_profile"]),
    st.sampled_from(list(PROFILE_KEYS)), useful_strings, text), max_size=40).map("".join)


def mark_secrets(document: dict) -> dict:
    """Prefix every literal secret value in the profiles with MARKER."""
    profiles = document.get("profiles")
    if not isinstance(profiles, dict):
        return document
    for table in profiles.values():
        if not isinstance(table, dict):
            continue
        for scope in (table, table.get("credentials") if isinstance(table.get("credentials"), dict) else {}):
            for key, value in scope.items():
                if key in SECRET_KEYS and isinstance(value, str) and not value.startswith("env:"):
                    scope[key] = MARKER + value
    return document
