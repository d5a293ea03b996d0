#!/usr/bin/env python3
"""Writes the signed seeds of fuzz/corpus/platform_responses/.

They are signed with the fuzz target's test key (fuzz_platform_responses.cpp:
the Ed25519 seed 00 01 ... 1f), in the envelope of common/signed_document:
{"key_id": ..., "signature": ..., "signed": "<payload>"}. Ed25519 is
deterministic, so running this again writes the same files. Needs python3 and
python3-cryptography (Debian). Usage: fuzz/make_platform_seeds.py [DIR]
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HOST = "{11111111-2222-4333-8444-555555555555}"
OTHER_HOST = "{AAAAAAAA-2222-4333-8444-555555555555}"


def dump(value):
    # As nlohmann::json::dump(): keys sorted, no blanks, UTF-8 as is.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Key:
    def __init__(self, seed):
        self.private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_text = "vigil-ed25519:" + base64.b64encode(raw).decode()
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    def sign_document(self, payload):
        signature = base64.b64encode(self.private.sign(payload.encode())).decode()
        return dump({"signed": payload, "key_id": self.key_id, "signature": signature})


ROOT = Key(bytes(range(32)))
STRANGER = Key(bytes(range(32, 64)))


def manifest(module, version, collectors):
    return dump({"module": module, "version": version, "collectors": collectors})


def order_payload(host, order, issued_at=1796500000):
    return dump({"type": "order", "host_id": host, "issued_at": issued_at, "order": order})


def release(version, serial, expires_at=1797000000):
    return dump({"type": "release_metadata", "version": version,
                 "sha256": "bc4a71180870f7945155fbb02f4b0a2e3faa2a62d6d31b7039013055ed19869a",
                 "size": 1048576, "serial": serial, "issued_at": 1796500000,
                 "expires_at": expires_at, "package_name": "vigil-agent_%s_amd64.deb" % version})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "platform_responses")
    os.makedirs(out, exist_ok=True)
    inventory = manifest("Inventory", 7, [
        {"type": "os"}, {"type": "packages", "sources": ["dpkg", "rpm"]},
        {"type": "file", "path": "/etc/ssh/sshd_config",
         "lines": {"regex": "^PermitRootLogin", "max": 10}}])
    udc = manifest("UDC", 3, [{"type": "command", "argv": ["/bin/id"]}])
    scan = order_payload(HOST, {"id": "{0F0F0F0F-2222-4333-8444-555555555555}",
                                "type": "scan", "module": "Inventory"})
    protect = order_payload(HOST.lower(), {"id": "o-2", "type": "self_protection",
                                           "enabled": False})
    upgrade = order_payload(HOST, {"id": "o-3", "type": "upgrade", "target_version": "0.2.0"})
    foreign_host = order_payload(OTHER_HOST, {"id": "o-4", "type": "uninstall"})
    unknown_type = order_payload(HOST, {"id": "o-5", "type": "reformat"})
    meta = release("0.2.0", 5)
    rotation = dump({"type": "key_rotation", "new_key": STRANGER.public_text, "serial": 2})
    seeds = {
        "manifest_signed.json": ROOT.sign_document(inventory),
        "manifest_signed_command.json": ROOT.sign_document(udc),
        "manifest_foreign_key.json": STRANGER.sign_document(udc),
        "manifest_unsigned.json": udc,
        "manifest_signed_not_manifest.json": ROOT.sign_document('{"module":1}'),
        "order_signed_scan.json": ROOT.sign_document(scan),
        "order_signed_self_protection.json": ROOT.sign_document(protect),
        "order_other_host.json": ROOT.sign_document(foreign_host),
        "order_unknown_type.json": ROOT.sign_document(unknown_type),
        "release_signed.json": ROOT.sign_document(meta),
        "release_expired.json": ROOT.sign_document(release("0.2.0", 4, 1790000000)),
        "release_downgrade.json": ROOT.sign_document(release("0.0.9", 6)),
        "release_metadata_plain.json": meta,
        "key_rotation.json": ROOT.sign_document(rotation),
        "checkin_signed.json": dump({
            "profile_etag": "\"e-18\"", "orders": [],
            "upgrade": {"version": "0.2.0", "metadata": ROOT.sign_document(meta)},
            "signed_orders": [ROOT.sign_document(scan), ROOT.sign_document(upgrade),
                              STRANGER.sign_document(protect),
                              ROOT.sign_document(foreign_host)]}),
        "checkin_offer_mismatch.json": dump({
            "profile_etag": "\"e-19\"", "orders": [],
            "upgrade": {"version": "0.3.0", "metadata": ROOT.sign_document(meta)}}),
    }
    for name, text in seeds.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
