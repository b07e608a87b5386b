"""The official Runtype SDK (runtype-sdk) against the emulator's Runtype listener."""

import json
import urllib.request

import pytest
from runtype import RuntypeClient

from conftest import TOKEN

MANIFESTS = {"manifests": [{
    "source": {"type": "manual", "key": "onboarding"},
    "title": "Connect your model provider",
    "returnUrl": "https://app.example/done",
    "handoff": {"url": "https://app.example/handoff"},
    "items": [
        {"itemId": "openai", "secretKey": "OPENAI_API_KEY", "displayName": "OpenAI key",
         "required": True, "prefix": "sk-", "placeholder": "sk-…", "helpText": "From the OpenAI console"},
        {"itemId": "github", "secretKey": "GITHUB_TOKEN", "required": False},
    ],
}]}


@pytest.fixture
def api(fresh):
    request = urllib.request.Request(
        f"{fresh.url('runtype')}/_emulator/runtype/manifests", method="POST", data=json.dumps(MANIFESTS).encode())
    urllib.request.urlopen(request)
    return RuntypeClient(api_key=TOKEN, base_url=fresh.url("runtype")).api.secrets


def test_secret_crud_and_versions(api):
    created = api.create_a_secret(key="OPENAI_API_KEY", value="sk-first-value-0001", description="prod")
    assert created.data.version == 1 and created.data.key == "OPENAI_API_KEY"
    listed = api.list_secrets_metadata_only()
    assert listed.total == 1 and listed.data[0].id == created.data.id
    rotated = api.update_or_rotate_a_secret(created.data.id, value="sk-second-value-02", expected_version=1)
    assert rotated.data.version == 2
    assert api.get_secret_metadata(created.data.id).data.version == 2
    deleted = api.delete_a_secret(created.data.id)
    assert deleted.success is True and deleted.deleted_id == created.data.id


def test_a_stale_expected_version_is_a_conflict(api):
    created = api.create_a_secret(key="ROTATED_KEY", value="value-number-one")
    api.update_or_rotate_a_secret(created.data.id, value="value-number-two")
    with pytest.raises(Exception) as raised:
        api.update_or_rotate_a_secret(created.data.id, value="value-number-three", expected_version=1,
                                      request_options={"max_retries": 0})
    assert getattr(raised.value, "status_code", None) == 409


def test_check_and_setup_url(api):
    api.create_a_secret(key="PRESENT_KEY", value="value-long-enough")
    checked = api.check_which_secret_keys_exist_are_missing_or_revoked(keys=["PRESENT_KEY", "ABSENT_KEY"])
    assert checked.found == ["PRESENT_KEY"] and checked.missing == ["ABSENT_KEY"] and checked.revoked == []
    setup = api.generate_dashboard_url_for_configuring_missing_secrets(keys=["PRESENT_KEY", "ABSENT_KEY"])
    assert setup.already_configured == ["PRESENT_KEY"] and setup.missing == ["ABSENT_KEY"]
    assert "ABSENT_KEY" in setup.url


def test_intake_manifest_and_submit(api):
    source = {"type": "manual", "key": "onboarding"}
    manifest = api.get_intake_manifest_for_secret_configuration(source=source, return_url="https://caller.example/back")
    assert manifest.title == "Connect your model provider"
    assert [item.status for item in manifest.items] == ["needs_configuration", "needs_configuration"]
    assert manifest.configuration_status == "needs_configuration"
    assert manifest.pending_configuration_count == 2
    assert manifest.return_url == "https://caller.example/back"
    assert manifest.handoff.type == "url" and manifest.handoff.expires_at

    submitted = api.submit_secret_values_from_intake_screen(
        source=source, items=[{"itemId": "openai", "value": "sk-intake-value-1"}])
    assert submitted.success is True
    assert submitted.manifest.configuration_status == "configured"
    assert submitted.manifest.items[0].status == "configured"
    assert submitted.manifest.pending_configuration_count == 1
