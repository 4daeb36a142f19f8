"""Check a Sigma Terms text and tree heads against the public log, without trusting the site.

    python -m legal.verify_log https://terms.sigma.video --text vi.md
    python -m legal.verify_log https://terms.sigma.video --tree-head saved-tree-head.json

Standard library plus `cryptography` only (no Django): it fetches the log's public key and
latest signed tree head, checks the signature, then

- with `--text FILE`: finds the log entries whose SHA-256 is the file's and checks each
  one's inclusion proof against the signed root (RFC 9162 §2.1.3.2);
- with `--tree-head FILE` (a tree head saved earlier from `/log/tree-head`): checks its
  signature and the consistency proof from it to the latest head (§2.1.4.2), which shows
  the log only grew in between.

Pin the key with `--key-id HEX` (from a source you trust); otherwise the key the site serves
now is used, which proves consistency but not who signed. Exit status 0 when every check
passed, 1 when one failed, 2 on a usage or network error; one line per finding.
"""

import argparse
import base64
import hashlib
import json
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key

from legal import merkle

MAX_RESPONSE = 1 << 20
MAX_ENTRIES = 100_000
TIMEOUT = 20


class Failure(Exception):
    """A check failed; the message says which."""


class Unreachable(Exception):
    """The log could not be read."""


def fetch_json(base, path, **query):
    url = base.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (the user's URL)
            body = response.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as error:
        raise Unreachable(f"{url}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unreachable(f"{url}: {error}") from None
    if len(body) > MAX_RESPONSE:
        raise Unreachable(f"{url}: answer larger than {MAX_RESPONSE} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise Unreachable(f"{url}: not JSON") from None


def canonical(value):
    """RFC 8785 for the log's entries (strings and whole numbers, ASCII keys)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tree_head_data(head):
    root = bytes.fromhex(head["root_hash"])
    return struct.pack(">QQB", head["timestamp"], head["tree_size"], len(root)) + root + b"\x00\x00"


def load_key(base, pinned):
    answer = fetch_json(base, "/log/public-key")
    der = base64.b64decode(answer["public_key_der"])
    key_id = hashlib.sha256(der).hexdigest()
    if key_id != answer.get("key_id"):
        raise Failure("public key: its key id is not the SHA-256 of the key")
    if pinned and key_id != pinned.lower():
        raise Failure(f"public key: the site serves key {key_id}, not the pinned {pinned}")
    key = load_der_public_key(der)
    if not isinstance(key, Ed25519PublicKey):
        raise Failure("public key: not an Ed25519 key")
    return key, key_id


def check_head(head, key, key_id, name):
    try:
        if head["key_id"] != key_id:
            raise Failure(f"{name}: signed with key {head['key_id']}, not {key_id}")
        key.verify(base64.b64decode(head["signature"]), tree_head_data(head))
    except InvalidSignature:
        raise Failure(f"{name}: the signature does not verify") from None
    except (KeyError, TypeError, ValueError) as error:
        raise Failure(f"{name}: malformed ({error})") from None


def check_text(base, path, head, findings):
    try:
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
    except OSError as error:
        raise Unreachable(f"{path}: {error.strerror}") from None
    size = head["tree_size"]
    if size > MAX_ENTRIES:
        raise Unreachable(f"the log holds {size} entries, more than this verifier reads ({MAX_ENTRIES})")
    found = 0
    for index in range(size):
        leaf = fetch_json(base, f"/log/entries/{index}")
        entry = leaf.get("entry") or {}
        if entry.get("sha256") != digest:
            continue
        name = f"log #{index} ({entry.get('document')} v{entry.get('number')} {entry.get('language')}, {entry.get('event')})"
        leaf_input = leaf["leaf_input"]
        if canonical(json.loads(leaf_input)) != leaf_input or json.loads(leaf_input) != entry:
            raise Failure(f"{name}: the entry is not in canonical form")
        entry_hash = merkle.leaf_hash(leaf_input.encode("utf-8"))
        if entry_hash.hex() != leaf["leaf_hash"]:
            raise Failure(f"{name}: the leaf hash is not the hash of the entry")
        proof = fetch_json(base, "/log/proof/inclusion", index=index, tree_size=size)
        try:
            merkle.verify_inclusion(
                index, size, entry_hash, [bytes.fromhex(node) for node in proof["inclusion_path"]],
                bytes.fromhex(head["root_hash"]),
            )  # fmt: skip
        except (merkle.ProofError, KeyError, ValueError) as error:
            raise Failure(f"{name}: inclusion proof fails ({error})") from None
        findings.append(f"OK {path}: SHA-256 {digest} is {name}, included in the signed tree of size {size}")
        found += 1
    if not found:
        raise Failure(f"{path}: SHA-256 {digest} is not in the log's {size} entries")


def check_consistency(base, path, head, key, key_id, findings):
    try:
        with open(path, "rb") as file:
            old = json.loads(file.read(MAX_RESPONSE))
    except (OSError, ValueError) as error:
        raise Unreachable(f"{path}: {error}") from None
    check_head(old, key, key_id, f"{path}")
    first, second = old["tree_size"], head["tree_size"]
    if first > second:
        raise Failure(f"{path}: the saved head has {first} entries, the log now {second}: the log shrank")
    proof = (
        []
        if first == second
        else fetch_json(base, "/log/proof/consistency", first=first, second=second)["consistency_path"]
    )
    try:
        merkle.verify_consistency(
            first, second, bytes.fromhex(old["root_hash"]), bytes.fromhex(head["root_hash"]),
            [bytes.fromhex(node) for node in proof],
        )  # fmt: skip
    except (merkle.ProofError, ValueError) as error:
        raise Failure(f"{path}: consistency proof from size {first} to {second} fails ({error})") from None
    findings.append(f"OK {path}: the log of size {first} is a prefix of the log of size {second}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m legal.verify_log", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the site, e.g. https://terms.sigma.video")
    parser.add_argument("--text", action="append", default=[], help="a downloaded .md file to find in the log")
    parser.add_argument("--tree-head", action="append", default=[], help="a tree head saved earlier (JSON)")
    parser.add_argument("--key-id", help="the log key's id (hex), from a source you trust")
    args = parser.parse_args(argv)
    findings = []
    try:
        key, key_id = load_key(args.url, args.key_id)
        head = fetch_json(args.url, "/log/tree-head")
        check_head(head, key, key_id, "latest tree head")
        findings.append(f"OK tree head: size {head['tree_size']}, root {head['root_hash']}, signed by {key_id}")
        for path in args.text:
            check_text(args.url, path, head, findings)
        for path in args.tree_head:
            check_consistency(args.url, path, head, key, key_id, findings)
    except Failure as failure:
        print("\n".join(findings + [f"FAILED {failure}"]))
        return 1
    except (Unreachable, KeyError, TypeError, ValueError) as error:
        if findings:
            print("\n".join(findings))
        print(f"verify_log: {error}", file=sys.stderr)
        return 2
    print("\n".join(findings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
