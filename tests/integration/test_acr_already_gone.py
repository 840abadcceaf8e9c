"""Deleting what is already gone is reported "already gone", never "deleted" (issue #13, point 6).

azure-containerregistry's delete_tag / delete_manifest / delete_repository accept a 404 as
success; aztui reads the status of the DELETE's own answer. Against the local ACR-compatible
server (with Debian's docker-registry behind it) and a recorded ACR session.
"""

from __future__ import annotations

import pytest

from aztui.azure.acr import AcrRegistry
from aztui.errors import NotFoundError
from aztui.registry.delete import Target, execute_registry_delete, plan_registry_delete
from tests.integration.test_acr_replay import CLIENT, client_profile
from tests.support.acr_replay import ReplayTransport
from tests.support.acr_server import credential_profile
from tests.support.registry_server import registry_binary

MISSING = "sha256:" + "0" * 64


@pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")
async def test_deleting_a_missing_tag_manifest_or_repository_says_already_gone(acr, tls, token_server):
    async with AcrRegistry(credential_profile(acr, tls, token_server), {}) as reg:
        await reg.delete_tag("app", "latest")                          # there: 202, no error
        with pytest.raises(NotFoundError) as tag:
            await reg.delete_tag("app", "latest")                      # the same tag again
        with pytest.raises(NotFoundError) as never:
            await reg.delete_tag("app", "never-pushed")
        with pytest.raises(NotFoundError) as manifest:
            await reg.delete_manifest("app", MISSING)
        with pytest.raises(NotFoundError) as repository:
            await reg.delete_repository("no/such/repo")
    assert tag.value.message == "tag app:latest is already gone (the registry answered 404 to the delete)"
    assert tag.value.title == "Already gone" and "never-pushed is already gone" in never.value.message
    assert manifest.value.message == f"manifest app@{MISSING} is already gone (the registry answered 404 to the delete)"
    assert repository.value.message.startswith("repository no/such/repo is already gone")
    deletes = [path for method, path, token in acr.requests if method == "DELETE" and token]
    assert len(deletes) == 5                         # one authorized request per delete: no extra read
    assert not [r for r in acr.requests if r[0] in ("GET", "HEAD") and "/_tags/latest" in r[1]]


@pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")
async def test_a_tag_deleted_between_plan_and_execute_is_reported_already_gone(acr, tls, token_server,
                                                                              tmp_path, capsys):
    from aztui.commands.registry import _print_rm

    profile = credential_profile(acr, tls, token_server)
    async with AcrRegistry(profile, {}) as reg:
        plan = await plan_registry_delete(reg, [Target.parse("app:latest"), Target.parse("app:v2")],
                                          where=reg.endpoint, reason="test")
        async with AcrRegistry(profile, {}) as someone_else:
            await someone_else.delete_tag("app", "latest")
        report = await execute_registry_delete(reg, plan, journal=tmp_path / "journal.jsonl")
    outcomes = {o.item.tag: o for o in report.outcomes}
    assert outcomes["v2"].status == "deleted"
    assert outcomes["latest"].status == "missing"
    assert "already gone" in outcomes["latest"].detail
    journal = (tmp_path / "journal.jsonl").read_text()
    assert '"tag": "latest"' in journal and '"status": "missing"' in journal
    _print_rm(plan, report, execute=True)                 # what `registry rm --execute` prints
    assert sorted(capsys.readouterr().out.splitlines()) == ["already gone\tapp:latest", "deleted\tapp:v2"]


async def test_recorded_404_on_a_repository_delete_is_already_gone(token_server, tls):
    # ACR's real answer to DELETE /acr/v1/not_real_repo, recorded by the SDK's own tests
    transport = ReplayTransport(CLIENT + "test_delete_repository_does_not_exist")
    transport.entries = [e for e in transport.entries if "login.microsoftonline.com" not in e["RequestUri"]]
    transport.used = [False] * len(transport.entries)
    async with AcrRegistry(client_profile(token_server, tls), {}, transport=transport) as registry:
        with pytest.raises(NotFoundError) as caught:
            await registry.delete_repository("not_real_repo")
    assert caught.value.message == ("repository not_real_repo is already gone "
                                    "(the registry answered 404 to the delete)")
    assert transport.unused() == []
