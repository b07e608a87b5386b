"""An independent KV version 2 client for core's tests/openbao.rs: hvac, the
Python client for OpenBao and HashiCorp Vault, reads what Keyhaven wrote and
writes what Keyhaven reads. BAO_ADDR and BAO_TOKEN say where and as whom.

    hvac_client.py read PATH             prints {"value", "custom_metadata", "version"}
    hvac_client.py write PATH [K=V ...]  writes stdin as the value, K=V as custom metadata
"""

import json
import os
import sys

import hvac

MOUNT = "secret"


def main(argv):
    client = hvac.Client(url=os.environ["BAO_ADDR"], token=os.environ["BAO_TOKEN"])
    kv = client.secrets.kv.v2
    command, path, *pairs = argv
    if command == "read":
        secret = kv.read_secret_version(path=path, mount_point=MOUNT, raise_on_deleted_version=True)
        meta = kv.read_secret_metadata(path=path, mount_point=MOUNT)["data"]
        print(json.dumps({
            "value": secret["data"]["data"].get("value"),
            "version": secret["data"]["metadata"]["version"],
            "custom_metadata": meta.get("custom_metadata") or {},
        }))
    elif command == "write":
        written = kv.create_or_update_secret(path=path, secret={"value": sys.stdin.read()}, mount_point=MOUNT)
        custom = dict(pair.split("=", 1) for pair in pairs)
        if custom:
            kv.update_metadata(path=path, custom_metadata=custom, mount_point=MOUNT)
        print(json.dumps({"version": written["data"]["version"]}))
    else:
        sys.exit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
