"""Malformed and hostile calls to whichever provider owns
org.freedesktop.secrets: each must get a D-Bus error, and the provider
must go on serving (crates/cli/tests/secret_service.rs). Prints one JSON
object: each case's reply (the error's name, or "ok")."""

import json

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
from jeepney.io.blocking import open_dbus_connection

DH = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
BUS_NAME = "org.freedesktop.secrets"
PREFIX = "org.freedesktop.Secret."
SERVICE = DBusAddress("/org/freedesktop/secrets", bus_name=BUS_NAME, interface=PREFIX + "Service")
DEFAULT = DBusAddress("/org/freedesktop/secrets/aliases/default", bus_name=BUS_NAME, interface=PREFIX + "Collection")

me = open_dbus_connection(bus="SESSION")
other = open_dbus_connection(bus="SESSION")


def call(connection, address, method, signature, body):
    reply = connection.send_and_get_reply(new_method_call(address, method, signature, body), timeout=10)
    if reply.header.message_type == MessageType.error:
        return reply.header.fields[HeaderFields.error_name]
    return "ok"


def reply_of(connection, address, method, signature, body):
    return connection.send_and_get_reply(new_method_call(address, method, signature, body), timeout=10).body


(_, mine) = reply_of(me, SERVICE, "OpenSession", "sv", ("plain", ("s", "")))
(_, theirs) = reply_of(other, SERVICE, "OpenSession", "sv", ("plain", ("s", "")))
(item, _) = reply_of(
    me,
    DEFAULT,
    "CreateItem",
    "a{sv}(oayays)b",
    ({PREFIX + "Item.Label": ("s", "target"), PREFIX + "Item.Attributes": ("a{ss}", {"malformed": "target"})},
     (mine, b"", b"value", "text/plain"), True),
)
ITEM = DBusAddress(item, bus_name=BUS_NAME, interface=PREFIX + "Item")
MISSING = DBusAddress("/org/freedesktop/secrets/collection/login/999999", bus_name=BUS_NAME, interface=PREFIX + "Item")


def create(attributes, value=b"v", label=("s", "x"), session=None):
    properties = {PREFIX + "Item.Label": label, PREFIX + "Item.Attributes": attributes}
    return call(me, DEFAULT, "CreateItem", "a{sv}(oayays)b", (properties, (session or mine, b"", value, "text/plain"), False))


cases = {
    "unknown algorithm": call(me, SERVICE, "OpenSession", "sv", ("rot13", ("s", ""))),
    "DH input that is not bytes": call(me, SERVICE, "OpenSession", "sv", (DH, ("s", "x"))),
    "DH public key 1": call(me, SERVICE, "OpenSession", "sv", (DH, ("ay", b"\x01"))),
    "DH public key of 4 KiB": call(me, SERVICE, "OpenSession", "sv", (DH, ("ay", b"\xff" * 4096))),
    "wrong signature": call(me, SERVICE, "SearchItems", "s", ("x",)),
    "1000 attributes": call(me, SERVICE, "SearchItems", "a{ss}", ({f"a{i}": "v" for i in range(1000)},)),
    "another client's session": call(me, SERVICE, "GetSecrets", "aoo", ([item], theirs)),
    "item's secret through another's session": call(me, ITEM, "GetSecret", "o", (theirs,)),
    "closing another's session": call(
        me, DBusAddress(theirs, bus_name=BUS_NAME, interface=PREFIX + "Session"), "Close", "", ()
    ),
    "no such item": call(me, MISSING, "GetSecret", "o", (mine,)),
    "no such collection for an alias": call(
        me, SERVICE, "SetAlias", "so", ("default", "/org/freedesktop/secrets/collection/nope")
    ),
    "an alias with a slash": call(me, SERVICE, "SetAlias", "so", ("../x", "/")),
    "attributes that are a string": create(("s", "x")),
    "a label that is a number": create(("a{ss}", {"a": "b"}), label=("u", 7)),
    "a label with a line break": create(("a{ss}", {"a": "b"}), label=("s", "fake\nline")),
    "a value of 65 KiB": create(("a{ss}", {"a": "b"}), value=b"x" * (65 * 1024 + 1)),
    "2000 items at once": call(me, SERVICE, "GetSecrets", "aoo", ([item] * 2000, mine)),
    "a secret sent through another's session": create(("a{ss}", {"a": "b"}), session=theirs),
}
cases["still serving"] = call(me, SERVICE, "SearchItems", "a{ss}", ({"malformed": "target"},))
cases["the target is intact"] = reply_of(me, SERVICE, "GetSecrets", "aoo", ([item], mine))[0][item][2].decode()
print(json.dumps(cases, sort_keys=True, indent=1))
