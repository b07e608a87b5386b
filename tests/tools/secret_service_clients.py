"""Python's Secret Service clients against whichever provider owns
org.freedesktop.secrets on this session bus: secretstorage (the default
collection; items made, read, replaced, relabelled, searched and deleted
over both session algorithms; binary values; the Collection signals a
second connection hears at each step) and keyring (set, get, delete). Prints one JSON object of what each step saw, so that the same
file run against Keyhaven and against gnome-keyring can be compared
(crates/cli/tests/secret_service.rs).

`--extra` adds the steps gnome-keyring cannot take without a person at a
prompt (making a collection asks for the new keyring's password)."""

import json
import sys
from collections import deque

import keyring
import keyring.backends.SecretService
import secretstorage
from secretstorage.defines import SS_PATH, SS_PREFIX
from secretstorage.dhcrypto import Session
from secretstorage.util import DBusAddressWrapper, open_session
from jeepney import DBusAddress, HeaderFields, MatchRule, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection


def plain_session(connection):
    service = DBusAddressWrapper(SS_PATH, SS_PREFIX + "Service", connection)
    _output, path = service.call("OpenSession", "sv", "plain", ("s", ""))
    session = Session()
    session.encrypted = False
    session.object_path = path
    return session


class Signals:
    """The Collection signals a second connection hears, as a program
    watching the keyring (a password manager's list) would."""

    def __init__(self, collection_path):
        self.collection_path = collection_path
        self.connection = open_dbus_connection(bus="SESSION")
        rule = MatchRule(type="signal", interface=SS_PREFIX + "Collection")
        self.connection.send_and_get_reply(message_bus.AddMatch(rule))
        self.queue = deque()
        self.connection.filter(rule, queue=self.queue)
        provider = DBusAddress(SS_PATH, bus_name="org.freedesktop.secrets", interface="org.freedesktop.DBus.Peer")
        self.ping = new_method_call(provider, "Ping")

    def heard(self, names, kinds=True):
        """Since the last call: "ItemCreated made on the collection", naming
        the item by its key in `names` (path -> key) and the path the signal
        came from, unless it is the collection's own."""
        # The provider emits before it replies, so once it has answered this
        # call, whatever it emitted for the client's last call is here.
        self.connection.send_and_get_reply(self.ping)
        heard = []
        while self.queue:
            message = self.queue.popleft()
            (item,) = message.body
            path = message.header.fields[HeaderFields.path]
            member = message.header.fields[HeaderFields.member] + " " if kinds else ""
            where = "the collection" if path == self.collection_path else path
            heard.append(f"{member}{names.get(item, 'another')} on {where}")
        return heard


def main():
    seen = {}
    connection = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(connection)
    seen["default_collection_locked"] = collection.is_locked()
    signals = Signals(_read_alias(connection, "default"))
    for algorithm in ("dh", "plain"):
        session = open_session(connection) if algorithm == "dh" else plain_session(connection)
        seen[f"{algorithm}: encrypted"] = session.encrypted
        attributes = {"application": "keyhaven-differential", "algorithm": algorithm}
        value = b"value \x00\xff " + algorithm.encode()
        made = collection.create_item(f"Differential {algorithm}", attributes, value, replace=True)
        names = {made.item_path: "made"}
        heard = {"create": signals.heard(names)}
        item = secretstorage.Item(connection, made.item_path, session=session)
        seen[f"{algorithm}: secret"] = item.get_secret().hex()
        seen[f"{algorithm}: content type"] = item.get_secret_content_type()
        seen[f"{algorithm}: label"] = item.get_label()
        # gnome-keyring sometimes adds xdg:schema (org.freedesktop.Secret.Generic)
        # to an item made without one, sometimes not: left out of the comparison.
        seen[f"{algorithm}: attributes"] = {
            name: value for name, value in item.get_attributes().items() if name != "xdg:schema"
        }
        again = collection.create_item(f"Differential {algorithm} 2", attributes, b"second", replace=True)
        seen[f"{algorithm}: replace keeps the item"] = again.item_path == made.item_path
        # gnome-keyring says ItemCreated for a replaced item, Keyhaven ItemChanged.
        heard["replace"] = signals.heard(names, kinds=False)
        seen[f"{algorithm}: replaced secret"] = secretstorage.Item(
            connection, again.item_path, session=session
        ).get_secret().decode()
        seen[f"{algorithm}: replaced label"] = item.get_label()
        other = collection.create_item(f"Differential {algorithm} 3", attributes, b"third", replace=False)
        seen[f"{algorithm}: no replace makes another"] = other.item_path != made.item_path
        names[other.item_path] = "other"
        heard["no replace"] = signals.heard(names)
        seen[f"{algorithm}: found in collection"] = len(list(collection.search_items(attributes)))
        seen[f"{algorithm}: found by service"] = len(
            list(secretstorage.search_items(connection, {"application": "keyhaven-differential"}))
        )
        item.set_label("Relabelled")
        heard["relabel"] = signals.heard(names)
        seen[f"{algorithm}: relabelled"] = item.get_label()
        item.set_attributes({**attributes, "extra": "yes"})
        heard["attributes"] = signals.heard(names)
        seen[f"{algorithm}: found by new attribute"] = len(list(collection.search_items({"extra": "yes"})))
        item.delete()
        other.delete()
        heard["delete"] = signals.heard(names)
        seen[f"{algorithm}: signals"] = heard
        seen[f"{algorithm}: left after delete"] = len(list(collection.search_items(attributes)))
    seen["nothing matches"] = len(list(secretstorage.search_items(connection, {"no-such": "attribute"})))
    seen["unknown alias"] = secretstorage.Collection.__name__ and _read_alias(connection, "no_such_alias")

    keyring.set_keyring(keyring.backends.SecretService.Keyring())
    keyring.set_password("keyhaven-differential", "alice", "first password")
    seen["keyring: get"] = keyring.get_password("keyhaven-differential", "alice")
    keyring.set_password("keyhaven-differential", "alice", "second password")
    seen["keyring: get after set again"] = keyring.get_password("keyhaven-differential", "alice")
    seen["keyring: other user"] = keyring.get_password("keyhaven-differential", "bob")
    keyring.delete_password("keyhaven-differential", "alice")
    seen["keyring: get after delete"] = keyring.get_password("keyhaven-differential", "alice")

    if "--extra" in sys.argv:
        made = secretstorage.create_collection(connection, "Keyhaven differential")
        seen["extra: new collection label"] = made.get_label()
        made.create_item("in the new one", {"application": "keyhaven-new"}, b"inside")
        seen["extra: found in new collection"] = len(list(made.search_items({"application": "keyhaven-new"})))
        seen["extra: not in default"] = len(list(collection.search_items({"application": "keyhaven-new"})))
        made.delete()
        seen["extra: gone with its collection"] = len(
            list(secretstorage.search_items(connection, {"application": "keyhaven-new"}))
        )
        session_collection = secretstorage.Collection(connection, SS_PATH + "/collection/session")
        session_collection.create_item("in memory", {"application": "keyhaven-memory"}, b"memory")
        found = list(session_collection.search_items({"application": "keyhaven-memory"}))
        seen["extra: session collection"] = [item.get_secret().decode() for item in found]
    print(json.dumps(seen, sort_keys=True, indent=1))


def _read_alias(connection, name):
    service = DBusAddressWrapper(SS_PATH, SS_PREFIX + "Service", connection)
    (path,) = service.call("ReadAlias", "s", name)
    return path


if __name__ == "__main__":
    main()
