"""One `[profiles.<name>]` table -> a `Profile`: type checks, then the precedence rules.

Resolution rules (the one documented precedence; the first that applies wins):

kind
    `kind` if given; else `uri` -> acr; any of name / blobs_prefix /
    manifests_prefix / account_url / secret_access_key / cache_spec ->
    buildkit-cache; any of accountname / accountkey / rootdirectory / serviceurl
    / credentials / realm / skipverify / copy_status_* -> distribution;
    `path` -> artifact-store; else storage.
auth
    `auth` or `credentials.type` (both given must agree); else, by material
    given: connection string -> shared key (accountkey / account_key /
    secret_access_key) -> SAS token -> client secret (client_secret or
    credentials.secret, needing client and tenant id too) -> `environment` for
    blob kinds and `default_credentials` for acr. `anonymous` only when stated.
    An auth without its material is an error; material it won't use, a warning.
account URL
    `serviceurl`, `account_url`, the connection string's BlobEndpoint
    (`UseDevelopmentStorage=true` means Azurite's http://127.0.0.1:10000/devstoreaccount1);
    for buildkit-cache then env BUILDKIT_AZURE_STORAGE_ACCOUNT_URL;
    else `https://<account>.blob.<realm>` (realm: `realm`, the connection
    string's EndpointSuffix, else core.windows.net).
account name
    `accountname`, `account_name`, the host of an `abfs://container@host/` path,
    the connection string's AccountName; for buildkit-cache then env
    BUILDKIT_AZURE_STORAGE_ACCOUNT_NAME, for artifact-store env
    AZURE_STORAGE_ACCOUNT_NAME (ZenML's implicit authentication); else from the
    URL: the first DNS label of the host, or, for IP / localhost / single-label
    hosts (Azurite path style), the first path segment.
container
    `container`, the container of `path`; for buildkit-cache then env
    BUILDKIT_AZURE_STORAGE_CONTAINER, else `buildkit-cache`.
prefix
    `rootdirectory`, `prefix`, the prefix of `path` (each without surrounding
    '/'); for buildkit-cache then env BUILDKIT_AZURE_STORAGE_PREFIX.
cache names
    `name` split on ';'; absent means every cache name in the container.
authority_host
    `authority_host`, else env AZURE_AUTHORITY_HOST.

Keys that name the same thing (accountname / account_name / abfs host / ...)
must agree: different values are a "contradicting fields" error. A key inside
`cache_spec` counts as written in the profile.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal, Mapping, Protocol
from urllib.parse import urlsplit

from aztui.endpoints import (
    DEV_ACCOUNT,
    DEV_BLOB_URL,
    account_name_from_url,
    is_loopback,
    is_path_style,
    parse_connection_string,
)
from aztui.profiles.model import AUTH_TYPES, PROFILE_KINDS, Profile, Secret
from aztui.profiles.vocabulary import (
    ACCOUNT_KEYS,
    ACR_AUTHS,
    AUTH_USES,
    BOOL,
    BUILDKIT_MARKERS,
    CACHE_SPEC_ATTRS,
    CACHE_SPEC_IGNORED,
    CLIENT_ID_KEYS,
    CLIENT_SECRET_KEYS,
    CONN_KEYS,
    CREDENTIAL_KEYS,
    CREDENTIAL_TYPES,
    DEFAULT_REALM,
    DISTRIBUTION_MARKERS,
    DURATION,
    INT,
    MATERIAL_KEYS,
    NON_EMPTY,
    PROFILE_KEYS,
    SECRET,
    SECRET_KEYS,
    SHARED_KEYS,
    TENANT_KEYS,
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                 "m": 60.0, "h": 3600.0}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST_PORT = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::\d{{1,5}})?")
_CONTAINER = re.compile(r"\$root|\$web|\$logs|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")


# --- one profile ----------------------------------------------------------------------------

class ProfileDocument(Protocol):
    """What a `ProfileReader` needs of the file it reads (`aztui.profiles.file` walks the file):
    where it is, the environment, a place for problems, a note that it holds a literal secret."""

    path: Path
    environ: Mapping[str, str]
    literal_secrets: bool

    def add(self, message: str, *, at: tuple[str, ...] = (), profile: str | None = None,
            key: str | None = None, hint: str | None = None,
            severity: Literal["error", "warning"] = "error") -> None: ...



class ProfileReader:
    """Validates and resolves one `[profiles.<name>]` table into a `Profile`."""

    def __init__(self, doc: ProfileDocument, name: str, table: Any) -> None:
        self.doc, self.name, self.table = doc, name, table
        self.values: dict[str, Any] = {}   # validated values; credentials keys dotted
        self.from_spec: set[str] = set()   # keys that came from cache_spec
        self.reported: set[tuple[str, str]] = set()  # contradictions already reported
        self.meant: set[str] = set()       # valid keys that misspelled keys were taken for
        self.failed = False

    # reporting

    def _at(self, key: str | None) -> tuple[str, ...]:
        if key is None:
            return ("profiles", self.name)
        if key in self.from_spec:
            key = "cache_spec"
        if key.startswith("credentials.") and isinstance(self.table.get("credentials"), dict):
            return ("profiles", self.name, "credentials", key.removeprefix("credentials."))
        return ("profiles", self.name, key)

    def error(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        self.failed = True
        self.doc.add(message, at=self._at(key), profile=self.name, key=key, hint=hint)

    def warn(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        self.doc.add(message, at=self._at(key), profile=self.name, key=key, hint=hint,
                     severity="warning")

    # the steps

    def read(self) -> Profile | None:
        if not self.name.strip() or not self.name.isprintable():
            self.error("a profile name must be printable and not blank",
                       hint="use letters, digits, '-' or '_'")
        if not isinstance(self.table, dict):
            from aztui.profiles.toml_writer import toml_key  # the writer loads only for this hint

            self.error(f"a profile must be a table, not {type_name(self.table)}",
                       hint=f"write [profiles.{toml_key(self.name)}] followed by its keys")
            return None
        self._check_keys()
        kind = self._kind()
        auth = self._auth(kind)
        fields = self._location(kind) if kind != "acr" else {"registry_url": self._registry_url()}
        fields.update(self._options())
        fields.update(
            account_key=self._pick(SHARED_KEYS),
            sas_token=self.values.get("sas_token"),
            connection_string=self._pick(CONN_KEYS),
            client_id=self._pick(CLIENT_ID_KEYS),
            tenant_id=self._pick(TENANT_KEYS),
            client_secret=self._pick(CLIENT_SECRET_KEYS))
        if self.failed:
            return None
        return Profile(name=self.name, kind=kind, auth=auth, source=self.doc.path,
                       written=self._written(), **fields)

    def _check_keys(self) -> None:
        for key, value in self.table.items():
            if key not in PROFILE_KEYS:
                self._unknown_key(key, value)
            elif key == "credentials":
                self._check_credentials(value)
            else:
                self._accept(key, PROFILE_KEYS[key], value)
        if isinstance(self.values.get("cache_spec"), str):
            self._merge_cache_spec(self.values["cache_spec"])

    def _unknown_key(self, key: str, value: Any) -> None:
        suggestion = suggest(key, list(PROFILE_KEYS))
        if suggestion:
            self.meant.add(suggestion)
        if suggestion in SECRET_KEYS and isinstance(value, str) and not value.startswith("env:"):
            self.doc.literal_secrets = True
        hint = None
        if key in CREDENTIAL_KEYS:
            from aztui.profiles.toml_writer import toml_key

            hint = f"`{key}` belongs in the [profiles.{toml_key(self.name)}.credentials] table"
        self.error(f"unknown key{did_you_mean(key, list(PROFILE_KEYS))}", key, hint)

    def _check_credentials(self, table: Any) -> None:
        if not isinstance(table, dict):
            self.error(f"expected a table (type, clientid, tenantid, secret), got {type_name(table)}",
                       "credentials")
            return
        self.values["credentials"] = True
        for key, value in table.items():
            dotted = f"credentials.{key}"
            if key not in CREDENTIAL_KEYS:
                self.error(f"unknown key{did_you_mean(key, list(CREDENTIAL_KEYS))}", dotted)
            else:
                self._accept(dotted, CREDENTIAL_KEYS[key], value)

    def _accept(self, key: str, kind: str, value: Any) -> None:
        """Type-check one value and store it in `self.values`."""
        converted = self._convert(key, kind, value)
        if converted is not None:
            self.values[key] = converted

    def _convert(self, key: str, kind: str, value: Any) -> Any:
        if kind == BOOL:
            if isinstance(value, bool):
                return value
            return self.error(f"expected a boolean (true or false), got {type_name(value)}", key)
        if kind == INT:
            if isinstance(value, int) and not isinstance(value, bool):
                if value < -1:
                    return self.error("must be -1 (no retries) or more", key)
                return value
            return self.error(f"expected an integer, got {type_name(value)}", key)
        if kind == DURATION:
            return self._duration(key, value)
        if not isinstance(value, str):
            return self.error(f"expected a string, got {type_name(value)}", key)
        if kind == SECRET:
            return self._secret(key, value)
        if not value.strip() and key in NON_EMPTY:
            return self.error("must not be empty", key)
        return value

    def _duration(self, key: str, value: Any) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str):
            if not _DURATION.fullmatch(value.strip()) and value.strip() != "0":
                return self.error(f"{show(value)} is not a duration",
                                  key, hint="use a number of seconds or a Go duration such as 100ms, 1.5s, 2m")
            seconds = _parse_duration(value.strip())
        else:
            return self.error(f"expected a duration (seconds, or a string such as \"100ms\"), "
                              f"got {type_name(value)}", key)
        if not math.isfinite(seconds) or seconds < 0:
            return self.error("must be a finite duration of 0 or more", key)
        return seconds

    def _secret(self, key: str, value: str) -> Secret | None:
        if value.startswith("env:"):
            if not _ENV_NAME.fullmatch(value[4:]):
                return self.error("`env:` must be followed by an environment variable name",
                                  key, hint=f"for example {key} = \"env:AZURE_STORAGE_KEY\"")
            return Secret(env_name=value[4:], key=key)
        if not value:
            self.warn("empty secret, ignored", key)
            return None
        self.doc.literal_secrets = True
        return Secret(literal=value, key=key)

    def _merge_cache_spec(self, spec: str) -> None:
        attrs, issues = split_cache_spec(spec)
        for message, hint in issues:
            self.error(message, "cache_spec", hint)
        for attr, raw in attrs.items():
            if attr not in CACHE_SPEC_ATTRS:
                self.meant.add(suggest(attr, CACHE_SPEC_ATTRS) or attr)
                continue
            value = self._convert(attr, PROFILE_KEYS[attr], raw)
            if value is None:
                continue
            if attr in self.values and not _same(self.values[attr], value):
                self._contradiction((attr, self.values[attr]), ("cache_spec", value), field=attr)
            elif attr not in self.values:
                self.values[attr] = value
                self.from_spec.add(attr)

    def _kind(self) -> str:
        # a mistyped or misspelled key still shows which vocabulary the profile is written in
        given = set(self.table) | set(self.values) | self.meant
        if "uri" in given:
            inferred = "acr"
        elif given & BUILDKIT_MARKERS:
            inferred = "buildkit-cache"
        elif given & DISTRIBUTION_MARKERS:
            inferred = "distribution"
        elif "path" in given:
            inferred = "artifact-store"
        else:
            inferred = "storage"
        kind = self.values.get("kind")
        if kind is None:
            return inferred
        if kind not in PROFILE_KINDS:
            self.error(f"unknown kind {show(kind)}{did_you_mean(kind, PROFILE_KINDS)}", "kind",
                       hint="one of " + ", ".join(PROFILE_KINDS))
            return inferred
        return kind

    # auth

    def _auth(self, kind: str) -> str:
        explicit = self._choice("auth", AUTH_TYPES)
        cred_type = self._choice("credentials.type", CREDENTIAL_TYPES)
        if explicit and cred_type and explicit != cred_type:
            self._contradiction(("auth", explicit), ("credentials.type", cred_type), field="credentials.type")
        auth = explicit or cred_type or self._infer_auth(kind)
        if kind == "acr" and auth not in ACR_AUTHS:
            self.error(f"auth '{auth}' does not work with a container registry",
                       "auth" if explicit else None, hint="use one of " + ", ".join(ACR_AUTHS))
        self._require_material(auth)
        for key in MATERIAL_KEYS:
            if key in self.values and key not in AUTH_USES[auth]:
                self.warn(f"not used with auth '{auth}'", key,
                          hint="remove it, or set `auth` to the method that uses it")
        return auth

    def _choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.values.get(key)
        if value is None or value in choices:
            return value
        self.error(f"unknown {key.removeprefix('credentials.')} {show(value)}"
                   f"{did_you_mean(value, choices)}", key, hint="one of " + ", ".join(choices))
        return None

    def _infer_auth(self, kind: str) -> str:
        has = lambda keys: any(k in self.values for k in keys)  # noqa: E731
        if kind == "acr":
            return "client_secret" if has(CLIENT_SECRET_KEYS) else "default_credentials"
        if has(CONN_KEYS):
            return "connection_string"
        if has(SHARED_KEYS):
            return "shared_key"
        if "sas_token" in self.values:
            return "sas"
        if has(CLIENT_SECRET_KEYS):
            return "client_secret"
        return "environment"

    def _require_material(self, auth: str) -> None:
        uses_credentials = any(k.startswith("credentials.") for k in self.values)
        needs = {
            "connection_string": [("a connection string", CONN_KEYS)],
            "shared_key": [("an account key", SHARED_KEYS)],
            "sas": [("a SAS token", ("sas_token",))],
            "client_secret": [("a client id", CLIENT_ID_KEYS), ("a client secret", CLIENT_SECRET_KEYS),
                              ("a tenant id", TENANT_KEYS)],
        }.get(auth, [])
        for what, keys in needs:
            if self._written_any(keys):
                continue
            key = self._vocabulary_key(keys, uses_credentials)
            self.error(f"auth '{auth}' needs {what}: set `{key}`", key,
                       hint=f"or choose another `auth` (one of {', '.join(AUTH_TYPES)})")

    def _vocabulary_key(self, keys: tuple[str, ...], uses_credentials: bool) -> str:
        """The name of a missing key in the vocabulary the profile is written in."""
        if keys == CONN_KEYS:
            distribution = any(k in self.values for k in DISTRIBUTION_MARKERS)
            return "connectionstring" if distribution else "connection_string"
        if keys == SHARED_KEYS:
            if any(k in self.values for k in BUILDKIT_MARKERS):
                return "secret_access_key"
            if any(k in self.values for k in DISTRIBUTION_MARKERS):
                return "accountkey"
            return "account_key"
        dotted = [k for k in keys if k.startswith("credentials.")]
        return dotted[0] if uses_credentials and dotted else keys[0]

    # where

    def _location(self, kind: str) -> dict[str, Any]:
        v, env = self.values, self.doc.environ
        conn = self._pick(CONN_KEYS)
        cs = self._connection_string(conn)
        zen = self._zenml_path()

        url_sources = [(k, self._url(k, v[k])) for k in ("serviceurl", "account_url") if k in v]
        if cs.get("url"):
            url_sources.append((conn.key, cs["url"]))
        url_pair = self._agree_pair(url_sources)
        url = url_pair[1] if url_pair else None
        if url is None and kind == "buildkit-cache" and env.get("BUILDKIT_AZURE_STORAGE_ACCOUNT_URL"):
            url = self._url("BUILDKIT_AZURE_STORAGE_ACCOUNT_URL", env["BUILDKIT_AZURE_STORAGE_ACCOUNT_URL"])

        name_sources = [(k, v[k]) for k in ("accountname", "account_name") if k in v]
        name_sources += [("path", zen.get("account")), (conn.key if conn else "", cs.get("account"))]
        name_pair = self._agree_pair(name_sources)
        name = name_pair[1] if name_pair else None
        if name is None:
            env_name = {"buildkit-cache": "BUILDKIT_AZURE_STORAGE_ACCOUNT_NAME",
                        "artifact-store": "AZURE_STORAGE_ACCOUNT_NAME"}.get(kind)
            name = env.get(env_name) if env_name else None
        from_url = account_name_from_url(url) if url else None
        if name is None:
            name = from_url
        elif name_pair and url_pair and from_url and from_url != name and _url_names_account(url):
            self._contradiction(name_pair, (url_pair[0], from_url), field=url_pair[0])

        realm = v.get("realm") or cs.get("realm") or zen.get("realm") or DEFAULT_REALM
        if "realm" in v and ("/" in realm or ":" in realm):
            self.error("expected a domain suffix such as core.windows.net, not a URL", "realm")
        if url is None:
            url = cs.get("derived_url") or (f"https://{name}.blob.{realm}" if name else None)
        if name is None and url is None and conn is None and not self._written_any(ACCOUNT_KEYS):
            self._missing_account(kind)

        container = self._agree([("container", v.get("container")), ("path", zen.get("container"))])
        if container is None and kind == "buildkit-cache":
            container = env.get("BUILDKIT_AZURE_STORAGE_CONTAINER") or "buildkit-cache"
        if container is None and kind in ("distribution", "artifact-store") \
                and not self._written_any(("container", "path")):
            key = "path" if kind == "artifact-store" else "container"
            self.error(f"no container: set `{key}`", key,
                       hint="az://<container>/<prefix>" if key == "path" else None)
        elif container is not None and not _CONTAINER.fullmatch(container):
            self.error(f"container name {show(container)} is not valid",
                       "container" if "container" in v else "path",
                       hint="3-63 lowercase letters, digits and single hyphens, starting with a letter or digit")

        prefix = self._agree([(k, _strip_slashes(v.get(k))) for k in ("rootdirectory", "prefix")]
                             + [("path", zen.get("prefix"))])
        if prefix is None and kind == "buildkit-cache":
            prefix = _strip_slashes(env.get("BUILDKIT_AZURE_STORAGE_PREFIX"))
        names = tuple(n for n in v.get("name", "").split(";") if n.strip())
        if "name" in v and not names:
            self.error("no cache name in `name` (names are separated by ';')", "name")
        return {
            "account_name": name, "account_url": url, "container": container,
            "prefix": prefix or "", "realm": realm, "cache_names": names,
            "blobs_prefix": _strip_slashes(v.get("blobs_prefix", "blobs")),
            "manifests_prefix": _strip_slashes(v.get("manifests_prefix", "manifests")),
        }

    def _written_any(self, keys: tuple[str, ...]) -> bool:
        """Whether any of `keys` was written, even with an invalid value or misspelled."""
        credentials = self.table.get("credentials")
        credentials = credentials if isinstance(credentials, dict) else {}
        return any(k in self.table or k in self.meant or k in self.values
                   or k.removeprefix("credentials.") in credentials and k.startswith("credentials.")
                   for k in keys)

    def _missing_account(self, kind: str) -> None:
        key, hint = {
            "distribution": ("accountname", "or set `serviceurl`"),
            "buildkit-cache": ("account_url", "or set `account_name`, or export BUILDKIT_AZURE_STORAGE_ACCOUNT_URL"),
            "artifact-store": ("account_name", "or use a path abfs://<container>@<account>.dfs.core.windows.net/, "
                                               "or export AZURE_STORAGE_ACCOUNT_NAME"),
        }.get(kind, ("account_name", "or set `account_url` or `connection_string`"))
        self.error(f"no storage account: set `{key}`", key, hint=hint)

    def _url(self, key: str, url: str) -> str | None:
        """A validated http(s) endpoint without trailing '/', or None after an error."""
        try:
            parts = urlsplit(url.strip())
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            return self.error("is not a valid URL", key)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return self.error("expected an http(s) URL such as https://myaccount.blob.core.windows.net", key)
        if parts.query or parts.fragment or parts.username or parts.password:
            return self.error("must not contain a query, fragment, user or password",
                              key, hint="put a SAS token in `sas_token`")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            self.warn("plain http: data and credentials travel unencrypted", key, hint="use https")
        return url.strip().rstrip("/")

    def _connection_string(self, conn: Secret | None) -> dict[str, str]:
        """Account, URL and realm named by a literal connection string (no secrets)."""
        if conn is None or conn.literal is None:
            return {}
        settings = parse_connection_string(conn.literal)
        if settings is None:
            self.error("malformed connection string (expected Key=Value pairs separated by ';')", conn.key)
            return {}
        if settings.get("usedevelopmentstorage", "").lower() == "true":
            return {"url": DEV_BLOB_URL, "account": DEV_ACCOUNT}
        out: dict[str, str] = {}
        if account := settings.get("accountname"):
            out["account"] = account
        if suffix := settings.get("endpointsuffix"):
            out["realm"] = suffix
        if endpoint := settings.get("blobendpoint"):
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                self.error("the connection string's BlobEndpoint is not an http(s) URL", conn.key)
            else:
                out["url"] = endpoint.rstrip("/")
        elif account:
            protocol = settings.get("defaultendpointsprotocol", "https")
            out["derived_url"] = f"{protocol}://{account}.blob.{out.get('realm', DEFAULT_REALM)}"
        else:
            self.error("the connection string names no account (AccountName or BlobEndpoint)", conn.key)
        return out

    def _zenml_path(self) -> dict[str, str]:
        """container, prefix and (abfs host) account of a ZenML `path`."""
        path = self.values.get("path")
        if path is None:
            return {}
        scheme, sep, rest = path.partition("://")
        if not sep or scheme not in ("az", "abfs"):
            self.error(f"path must start with az:// or abfs://, not {show(scheme + sep if sep else path)}",
                       "path", hint="az://<container>/<prefix>")
            return {}
        location, _, prefix = rest.partition("/")
        container, at, host = location.partition("@")
        out = {"container": container, "prefix": _strip_slashes(prefix)}
        if not container:
            self.error("path names no container", "path", hint="az://<container>/<prefix>")
            del out["container"]
        if at:
            labels = host.split(".")
            out["account"] = labels[0]
            if len(labels) > 2 and labels[1] in ("dfs", "blob"):
                out["realm"] = ".".join(labels[2:])
        return out

    def _registry_url(self) -> str | None:
        uri = self.values.get("uri")
        if uri is None:
            return self.error("a container registry needs `uri`", "uri", hint="<name>.azurecr.io")
        text = uri.strip().rstrip("/")
        scheme = "https"
        if "://" in text:
            scheme, _, text = text.partition("://")
            scheme = scheme.lower()
            if scheme not in ("https", "http"):
                return self.error("uri must be a host such as myregistry.azurecr.io (https:// allowed)", "uri")
        if not _HOST_PORT.fullmatch(text):
            return self.error("uri must be a host such as myregistry.azurecr.io, without a path", "uri")
        host = text.rsplit(":", 1)[0] if not text.endswith("]") else text
        if scheme == "http" and not is_loopback(host.strip("[]")):
            return self.error("http:// is allowed only for a loopback host", "uri", hint="use https://")
        return f"{scheme}://{text.lower()}"

    # transport and safety

    def _options(self) -> dict[str, Any]:
        v = self.values
        out = {k: v[k] for k in ("max_retries", "retry_delay", "copy_status_poll_max_retry",
                                 "copy_status_poll_delay", "skipverify", "connect_timeout",
                                 "read_timeout", "read_only", "protected") if k in v}
        authority = v.get("authority_host") or self.doc.environ.get("AZURE_AUTHORITY_HOST") or None
        out["authority_host"] = authority.rstrip("/") if authority else None
        if "ca_bundle" in v:
            bundle = Path(v["ca_bundle"]).expanduser()
            if not bundle.is_absolute():
                bundle = self.doc.path.parent / bundle
            if not bundle.is_file():
                self.warn(f"no file at {bundle}", "ca_bundle", hint="point it at a PEM file of CA certificates")
            out["ca_bundle"] = str(bundle)
        return out

    # agreement between keys

    def _pick(self, keys: tuple[str, ...]) -> Any:
        return self._agree([(k, self.values.get(k)) for k in keys])

    def _agree(self, sources: list[tuple[str, Any]]) -> Any:
        pair = self._agree_pair(sources)
        return pair[1] if pair else None

    def _agree_pair(self, sources: list[tuple[str, Any]]) -> tuple[str, Any] | None:
        """The first given (key, value); any different value is a contradiction error."""
        given = [(k, val) for k, val in sources if val is not None]
        for other in given[1:]:
            if not _same(given[0][1], other[1]):
                self._contradiction(given[0], other, field=other[0])
                break
        return given[0] if given else None

    def _contradiction(self, a: tuple[str, Any], b: tuple[str, Any], field: str) -> None:
        """One error per pair of keys that disagree; secret values are never shown."""
        if (a[0], b[0]) in self.reported:
            return
        self.reported.add((a[0], b[0]))
        message = f"contradicting fields: `{a[0]}` and `{b[0]}` "
        if isinstance(a[1], Secret) or isinstance(b[1], Secret):
            message += "hold different values"
        else:
            message += f"say {show(str(a[1]))} and {show(str(b[1]))}"
        self.error(message, field, hint="keep one of them, or make them agree")

    # as written

    def _written(self) -> dict[str, Any]:
        """The table as written, with every secret masked."""
        def masked(key: str, value: Any) -> Any:
            if key in SECRET_KEYS and isinstance(value, str):
                return Secret(env_name=value[4:]).masked() if value.startswith("env:") else "********"
            return value
        out: dict[str, Any] = {}
        for key, value in self.table.items():
            if key == "credentials" and isinstance(value, dict):
                out[key] = {k: masked(k, val) for k, val in value.items()}
            elif key == "cache_spec" and isinstance(value, str):
                out[key] = _mask_cache_spec(value)
            else:
                out[key] = masked(key, value)
        return out


# --- helpers --------------------------------------------------------------------------------

def split_cache_spec(spec: str) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """Attributes of a cache spec (keys lower-cased) and the issues found; never echoes values."""
    import csv  # loaded only for a cache spec

    issues: list[tuple[str, str | None]] = []
    try:
        rows = list(csv.reader([spec], strict=True))
    except csv.Error:
        return {}, [("cache_spec is not valid CSV (check its quotes)", None)]
    attrs: dict[str, str] = {}
    for item in rows[0] if rows else []:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            issues.append(("cache_spec has an attribute without `key=`", "write key=value pairs separated by ','"))
            continue
        if key in attrs:
            issues.append((f"cache_spec gives `{_show_bare(key)}` twice", None))
        attrs[key] = value
    kind = attrs.get("type")
    if kind is None:
        issues.append(("cache_spec has no type=azblob", "paste the whole --cache-to value"))
    elif kind != "azblob":
        issues.append((f"cache_spec has type={_show_bare(kind)}, but aztui reads only type=azblob", None))
    for key in attrs:
        if key not in (*CACHE_SPEC_ATTRS, *CACHE_SPEC_IGNORED, "type"):
            issues.append((f"unknown attribute `{_show_bare(key)}` in cache_spec"
                           f"{did_you_mean(key, CACHE_SPEC_ATTRS)}", None))
    return attrs, issues


def _mask_cache_spec(spec: str) -> str:
    import csv

    try:
        rows = list(csv.reader([spec], strict=True))
    except csv.Error:
        return "********"
    fields = []
    for item in rows[0] if rows else []:
        key, sep, value = item.partition("=")
        if key.strip().lower() == "secret_access_key":
            value = Secret(env_name=value[4:]).masked() if value.startswith("env:") else "********"
        fields.append(f"{key}{sep}{value}")
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _parse_duration(text: str) -> float:
    sign = -1.0 if text.startswith("-") else 1.0
    return sign * sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))


def _url_names_account(url: str) -> bool:
    """Whether the URL itself names the account: <account>.blob.<realm>, or path style."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return is_path_style(host) or host.split(".")[1:2] == ["blob"]


def _strip_slashes(value: str | None) -> str | None:
    return value.strip("/") if isinstance(value, str) else None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Secret) and isinstance(b, Secret):
        return (a.literal, a.env_name) == (b.literal, b.env_name)
    return a == b


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The nearest valid choice for a misspelling, if any is near enough."""
    if not isinstance(word, str) or not choices:
        return None
    lower = word.lower()
    if lower in choices:
        return lower
    import difflib  # loaded only for a misspelling

    close = difflib.get_close_matches(lower, list(choices), n=1, cutoff=0.6)
    if close:
        return close[0]
    if len(lower) >= 3:
        return next((c for c in choices if c.startswith(lower)), None)
    return None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    suggestion = suggest(word, choices)
    return f" (did you mean `{suggestion}`?)" if suggestion else ""


def _show_bare(text: str) -> str:
    """Text with control characters escaped, so a message stays one readable line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def show(text: str | None) -> str:
    return f"'{_show_bare(str(text))}'"


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((str, "a string"), (int, "an integer"), (float, "a number"), (dict, "a table"),
                       (list, "an array"), (datetime, "a date-time"), (date, "a date"), (time, "a time")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
