#!/usr/bin/env python3
"""Writes vectors.json and edges-sealed.yaml: blobs at the edges of what upstream's controller opens.

Run once from the repository root: python3 tests/data/hybrid/make_vectors.py
Needs the `cryptography` package. The blobs are random, so a rerun writes different bytes.

Go's HybridDecrypt (pkg/crypto/crypto.go) reads u16be(L) || R (L bytes) || G and then calls
rsa.DecryptOAEP, aes.NewCipher and GCM Open. rsa.DecryptOAEP takes any R of at most k bytes (a
shorter one is the same number without its leading zero bytes), aes.NewCipher takes a 16, 24 or
32-byte key, and GCM Open needs at least the 16-byte tag. The controller decodes each value with
base64.StdEncoding, which ignores non-zero unused bits in the last character.
"""
import base64
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = os.path.join(HERE, "..", "interop", "keys", "current", "tls.key")
NS, NAME = "demo", "edges"
LABEL = f"{NS}/{NAME}".encode()

priv = serialization.load_pem_private_key(open(KEY, "rb").read(), password=None)
pub = priv.public_key()
k = (pub.key_size + 7) // 8
oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=LABEL)


def gcm(key, pt):
    return AESGCM(key).encrypt(b"\0" * 12, pt, None)


def blob(rsa_part, g):
    return len(rsa_part).to_bytes(2, "big") + rsa_part + g


def wrap(session_key, leading_zero=False):
    """RSA-OAEP of the session key; with leading_zero, one whose first byte is 0 (then dropped)."""
    while True:
        r = pub.encrypt(session_key, oaep)
        if not leading_zero:
            return r
        if r[0] == 0:
            return r[1:]


def b64_nonzero_bits(b):
    s = base64.b64encode(b).decode()
    assert s.endswith("=")
    pad = len(s) - len(s.rstrip("="))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = s[-pad - 1]
    # One '=' leaves 2 unused bits, two leave 4: set the lowest of them.
    bumped = alphabet[alphabet.index(last) | 1]
    out = s[: -pad - 1] + bumped + "=" * pad
    assert base64.b64decode(out) == b  # Python, like Go, ignores them
    return out


vectors = []


def add(name, b, pt, opens, why, b64=None):
    vectors.append({"name": name, "label": LABEL.decode(), "blob": b64 or base64.b64encode(b).decode(),
                    "plaintext": base64.b64encode(pt).decode() if pt is not None else None,
                    "opens": opens, "why": why})
    if opens:  # our own check that the vector is what it claims
        L = int.from_bytes(base64.b64decode(vectors[-1]["blob"])[:2], "big")
        assert L <= k


sk32 = os.urandom(32)
pt = b"short-rsa-part"
r = wrap(sk32, leading_zero=True)
assert len(r) == k - 1
add("rsa-part-one-byte-short", blob(r, gcm(sk32, pt)), pt, True,
    "RSA part without its leading zero byte: Go's DecryptOAEP takes any length up to k")
r_full = b"\0" + r
add("rsa-part-zero-padded-to-k", blob(r_full, gcm(sk32, pt)), pt, True,
    "the same RSA part padded back to k bytes, as HybridEncrypt writes it")
add("rsa-part-longer-than-k", blob(b"\0" + r_full, gcm(sk32, pt)), None, False,
    "k + 1 bytes: Go's DecryptOAEP refuses a ciphertext longer than the modulus")
for n, name in ((16, "aes-128"), (24, "aes-192")):
    sk = os.urandom(n)
    p = f"{name}-session-key".encode()
    add(f"session-key-{n}-bytes", blob(wrap(sk), gcm(sk, p)), p, True,
        f"a {n}-byte session key: aes.NewCipher makes {name.upper()}")
for n in (0, 8, 31, 33):
    sk = os.urandom(n)
    g = gcm(os.urandom(32), b"x")  # any GCM part: the key size is refused first
    add(f"session-key-{n}-bytes", blob(wrap(sk), g), None, False,
        f"a {n}-byte session key: aes.NewCipher refuses it")
p = b"unused-bits"  # 2 + 512 + 11 + 16 = 541 bytes, 541 % 3 == 1: two '=' signs
b = blob(wrap(sk32), gcm(sk32, p))
add("base64-nonzero-unused-bits", b, p, True,
    "base64 whose last character has non-zero unused bits: Go's StdEncoding ignores them",
    b64=b64_nonzero_bits(b))
add("gcm-part-shorter-than-tag", blob(wrap(sk32), gcm(sk32, b"")[:15]), None, False,
    "a GCM part of 15 bytes: GCM Open needs the 16-byte tag")
add("gcm-part-tag-only", blob(wrap(sk32), gcm(sk32, b"")), b"", True,
    "the tag alone opens to an empty value")

with open(os.path.join(HERE, "vectors.json"), "w") as f:
    json.dump({"key": "interop/keys/current/tls.key", "vectors": vectors}, f, indent=1)
    f.write("\n")

# The vectors that open, as one SealedSecret for the CLI.
items = {v["name"]: v["blob"] for v in vectors if v["opens"] and v["plaintext"]}
with open(os.path.join(HERE, "edges-sealed.yaml"), "w") as f:
    f.write("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n")
    f.write(f"metadata:\n  name: {NAME}\n  namespace: {NS}\nspec:\n  encryptedData:\n")
    for name, b in items.items():
        f.write(f"    {name}: {b}\n")
    f.write(f"  template:\n    metadata:\n      name: {NAME}\n      namespace: {NS}\n")
