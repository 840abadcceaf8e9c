"""`aztui registry ls | purge | rm | lock` against the local ACR-compatible server."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone

import pytest

from aztui.commands import registry as registry_cmd
from aztui.errors import AztuiError
from tests.support.acr_server import AcrServer
from tests.support.registry_server import registry_binary
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT

pytestmark = pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="aztui")
    top.add_argument("--config")
    registry_cmd.add_parser(top.add_subparsers(dest="command"))
    return top


def cli(path, *argv: str, capsys) -> tuple[int, str, str]:
    """Like aztui.cli.main: AztuiErrors are rendered, never a traceback."""
    args = parser().parse_args(["--config", str(path), *argv])
    try:
        code = registry_cmd.run(args)
    except AztuiError as error:
        print(error.render(), file=__import__("sys").stderr)
        code = error.exit_code
    out, err = capsys.readouterr()
    return code, out, err


def write_acr_profile(write_profiles, acr_server, tls, token_server, *, auth="anonymous", **extra):  # noqa: F811
    lines = [f'[profiles.reg]\nuri = "{acr_server.url}"\nca_bundle = "{tls["ca"]}"\nmax_retries = 0\nauth = "{auth}"']
    if auth == "client_secret":
        token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
        lines.append(f'tenant_id = "{TENANT}"\nclient_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
                     f'authority_host = "{token_server.authority}"')
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    return write_profiles("\n".join(lines) + "\n")


def test_ls_json_contract(acr, tls, token_server, write_profiles, registry, capsys):  # noqa: F811
    path = write_acr_profile(write_profiles, acr, tls, token_server)
    code, out, err = cli(path, "registry", "ls", "reg", "--json", capsys=capsys)
    assert code == 0, err
    items = {i["repository"]: i for i in json.loads(out)}
    assert set(items) == {"app", "multi", "tools/lint"}
    app = items["app"]
    assert {t["name"] for t in app["tags"]} == {"v1", "v2", "latest"}
    assert all(t["digest"].startswith("sha256:") for t in app["tags"])
    assert app["tag_count"] == 3 and app["manifest_count"] == 3 and app["last_updated"]
    assert app["locks"]["can_delete"] is True

    code, out, err = cli(path, "registry", "ls", "reg", "multi", "--json", capsys=capsys)
    assert code == 0, err
    data = json.loads(out)
    manifests = data["manifests"]
    assert len(manifests) == 3
    for m in manifests:
        assert {"digest", "size", "tags", "last_updated", "media_type", "architecture", "os",
                "can_delete"} <= set(m)
    assert sorted(m["architecture"] or "-" for m in manifests) == ["-", "amd64", "arm64"]


def test_ls_human(acr, tls, token_server, write_profiles, capsys):  # noqa: F811
    path = write_acr_profile(write_profiles, acr, tls, token_server)
    code, out, _ = cli(path, "registry", "ls", "reg", capsys=capsys)
    assert code == 0 and "3 repositories" in out and "tools/lint" in out
    code, out, _ = cli(path, "registry", "ls", "reg", "app", capsys=capsys)
    assert code == 0 and "<untagged>" in out and "linux/amd64" in out


def test_private_registry_anonymous_error_is_one_block(tls, registry, token_server, write_profiles,  # noqa: F811
                                                      capsys):
    with AcrServer(tls["cert"], tls["key"], registry=registry, private=True) as private:
        path = write_acr_profile(write_profiles, private, tls, token_server)
        code, out, err = cli(path, "registry", "ls", "reg", capsys=capsys)
    assert code == 1 and out == ""
    assert err.startswith("Anonymous access refused") and "hint:" in err and "Traceback" not in err


def test_purge_dry_run_then_execute(acr, tls, token_server, write_profiles, capsys):  # noqa: F811
    old = datetime.now(timezone.utc) - timedelta(days=10)
    for tag in ("v1", "v2"):
        acr.set_time("app", old, tag=tag)
    acr.set_flags("app", tag="v1", can_write=False)
    path = write_acr_profile(write_profiles, acr, tls, token_server, auth="client_secret")
    argv = ["registry", "purge", "reg", "--filter", "app:^v", "--ago", "2d", "--json"]
    code, out, err = cli(path, *argv, capsys=capsys)
    assert code == 0, err
    plan = json.loads(out)
    assert plan["dry_run"] is True
    assert [(i["repository"], i.get("tag"), i["reason"] != "") for i in plan["delete"]] == [("app", "v2", True)]
    assert [i["tag"] for i in plan["locked"]] == ["v1"]
    assert isinstance(plan["keep"], int)
    assert not any(m in ("DELETE", "PATCH") for m, _, _ in acr.requests)      # a dry run changes nothing

    code, out, err = cli(path, *argv, "--execute", "--journal", str(path.parent / "j.jsonl"), capsys=capsys)
    assert code == 0, err
    done = json.loads(out)
    assert done["dry_run"] is False and done["result"]["deleted"] == 1
    code, out, _ = cli(path, "registry", "ls", "reg", "--json", capsys=capsys)
    app = next(i for i in json.loads(out) if i["repository"] == "app")
    assert {t["name"] for t in app["tags"]} == {"v1", "latest"}
    journal = (path.parent / "j.jsonl").read_text().splitlines()
    assert json.loads(journal[-1])["status"] == "deleted"


def test_purge_bad_filter_is_exit_2(acr, tls, token_server, write_profiles, capsys):  # noqa: F811
    path = write_acr_profile(write_profiles, acr, tls, token_server)
    code, _, err = cli(path, "registry", "purge", "reg", "--filter", "app", capsys=capsys)
    assert code == 2 and "<repository-regex>:<tag-regex>" in err


def test_rm_and_lock(acr, tls, token_server, write_profiles, capsys):  # noqa: F811
    path = write_acr_profile(write_profiles, acr, tls, token_server, auth="client_secret")
    code, out, _ = cli(path, "registry", "lock", "reg", "app:v1", capsys=capsys)
    assert code == 0 and "can_delete = false" in out
    code, out, err = cli(path, "registry", "rm", "reg", "app:v1", "tools/lint", "--execute", "--json",
                         "--journal", str(path.parent / "rm.jsonl"), capsys=capsys)
    assert code == 1 and json.loads(out)["result"]["failed"]       # the locked tag refused
    code, out, _ = cli(path, "registry", "unlock", "reg", "app:v1", capsys=capsys)
    code, out, err = cli(path, "registry", "rm", "reg", "app:v1", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["dry_run"] is True
    code, out, err = cli(path, "registry", "rm", "reg", "app:v1", "--execute", "--json",
                         "--journal", str(path.parent / "rm2.jsonl"), capsys=capsys)
    assert code == 0 and json.loads(out)["result"]["deleted"] == 1
    code, out, _ = cli(path, "registry", "ls", "reg", "--json", capsys=capsys)
    assert {i["repository"] for i in json.loads(out)} == {"app", "multi"}


def test_read_only_profile_refuses_execute(acr, tls, token_server, write_profiles, capsys):  # noqa: F811
    path = write_acr_profile(write_profiles, acr, tls, token_server, auth="client_secret", read_only=True)
    code, out, err = cli(path, "registry", "rm", "reg", "app", "--execute", capsys=capsys)
    assert code == 1 and "Read-only profile" in err
    assert not any(m in ("DELETE", "PATCH") for m, _, _ in acr.requests)


def test_rm_checks_locks_before_any_delete_is_sent(acr, tls, token_server, write_profiles, capsys):  # noqa: F811
    """`rm` plans with the Registry pane's planner: a locked tag or repository is refused without a
    request (reported failed, exit 1), the other targets still go; a dry run lists the locked ones."""
    path = write_acr_profile(write_profiles, acr, tls, token_server, auth="client_secret")
    assert cli(path, "registry", "lock", "reg", "app:v1", capsys=capsys)[0] == 0
    assert cli(path, "registry", "lock", "reg", "tools/lint", "--delete-only", capsys=capsys)[0] == 0

    code, out, _ = cli(path, "registry", "rm", "reg", "app:v1", "app:v2", "tools/lint", "--json", capsys=capsys)
    plan = json.loads(out)
    assert code == 0 and plan["dry_run"] is True
    assert [i["tag"] for i in plan["delete"]] == ["v2"] and [i["tag"] for i in plan["locked"]] == ["v1"]
    assert plan["delete_repositories"] == []

    acr.requests.clear()
    code, out, err = cli(path, "registry", "rm", "reg", "app:v1", "app:v2", "tools/lint", "--execute",
                         "--journal", str(path.parent / "rm.jsonl"), capsys=capsys)
    assert code == 1
    deletes = {p.partition("?")[0] for m, p, _ in acr.requests if m == "DELETE"}  # (a 401 challenge first)
    assert deletes == {"/acr/v1/app/_tags/v2"}, deletes
    assert "deleted\tapp:v2" in out and "failed\tapp:v1" in out and "failed\trepository tools/lint" in out
    assert "app:v1 is locked (can_delete = false, can_write = false)" in err
    assert "tools/lint is locked (can_delete = false)" in err


def test_rm_of_a_missing_tag_is_an_error_before_anything_is_deleted(acr, tls, token_server, write_profiles,  # noqa: F811
                                                                    capsys):
    path = write_acr_profile(write_profiles, acr, tls, token_server, auth="client_secret")
    acr.requests.clear()
    code, _, err = cli(path, "registry", "rm", "reg", "app:v2", "app:nope", "--execute", capsys=capsys)
    assert code == 1 and "app:nope does not exist" in err
    assert not [m for m, _, _ in acr.requests if m == "DELETE"]
