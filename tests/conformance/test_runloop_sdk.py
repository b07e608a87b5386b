"""The official Runloop SDK (runloop-api-client) against the emulator's Runloop listener."""

import pytest
from runloop_api_client import NotFoundError, Runloop, BadRequestError

from conftest import TOKEN


@pytest.fixture
def client(fresh):
    return Runloop(bearer_token=TOKEN, base_url=fresh.url("runloop"), max_retries=0)


def test_create_list_get_update_delete(client):
    created = client.secrets.create(name="DATABASE_PASSWORD", value="my-secure-password")
    assert created.id.startswith("sec_")
    assert created.name == "DATABASE_PASSWORD"

    listed = client.secrets.list(limit=100)
    assert [s.name for s in listed.secrets] == ["DATABASE_PASSWORD"]
    assert listed.has_more is False and listed.total_count == 1

    fetched = client.secrets.retrieve("DATABASE_PASSWORD")
    assert fetched.id == created.id

    updated = client.secrets.update("DATABASE_PASSWORD", value="my-updated-secure-password")
    assert updated.id == created.id and updated.update_time_ms > created.update_time_ms

    deleted = client.secrets.delete("DATABASE_PASSWORD")
    assert deleted.id == created.id
    with pytest.raises(NotFoundError):
        client.secrets.retrieve("DATABASE_PASSWORD")


def test_by_id_calls(client):
    created = client.secrets.create(name="BY_ID", value="v")
    assert client.secrets.retrieve_by_id(created.id).name == "BY_ID"
    client.secrets.update_by_id(created.id, value="w")
    assert client.secrets.delete_by_id(created.id).id == created.id


def test_list_default_page_and_duplicates(client):
    for i in range(25):
        client.secrets.create(name=f"S_{i}", value="v")
    page = client.secrets.list()
    assert len(page.secrets) == 20 and page.has_more is True and page.total_count == 25
    with pytest.raises(BadRequestError):
        client.secrets.create(name="S_0", value="again")


def test_sdk_retries_after_dropped_replies_leave_one_secret(fresh, client):
    """Every reply is cut after the write: the SDK retries, and one secret exists."""
    import json
    import urllib.request

    faults = urllib.request.Request(
        f"{fresh.url('runloop')}/_emulator/faults", method="PUT",
        data=json.dumps({"drop_rate": 1.0}).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(faults)
    retrying = Runloop(bearer_token=TOKEN, base_url=fresh.url("runloop"), max_retries=2)
    with pytest.raises(Exception):
        retrying.secrets.create(name="ONCE_ONLY", value="v")
    urllib.request.urlopen(urllib.request.Request(f"{fresh.url('runloop')}/_emulator/faults", method="DELETE"))
    state = json.load(urllib.request.urlopen(f"{fresh.url('runloop')}/_emulator/state"))
    assert [s["name"] for s in state["runloop"]] == ["ONCE_ONLY"]
