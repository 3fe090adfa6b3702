import base64
import hashlib

from promote.engine.secrets import digest, mask_secret, scrub


def _expected(value: bytes) -> str:
    return "sha256:" + hashlib.sha256(value).hexdigest()[:12]


def test_data_and_string_data_mask_to_the_same_digest_of_the_plaintext():
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "s",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"a":"czNjcmV0"}}'
            },
        },
        "data": {"a": base64.b64encode(b"s3cret").decode()},
        "stringData": {"b": "s3cret"},
    }
    masked = mask_secret(secret)
    assert masked["data"] == {"a": _expected(b"s3cret")}
    assert masked["stringData"] == {"b": _expected(b"s3cret")}
    assert "czNjcmV0" not in str(masked)
    assert secret["data"]["a"] == "czNjcmV0"  # the input is not modified


def test_other_objects_are_untouched():
    config = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "plain"}}
    assert mask_secret(config) is config
    assert digest("x") == _expected(b"x")


def test_scrub_replaces_values_in_free_text():
    secret = {"apiVersion": "v1", "kind": "Secret", "stringData": {"k": "hunter22"}}
    text = scrub("failed: value hunter22 / aHVudGVyMjI= rejected", [secret])
    assert "hunter22" not in text
    assert "aHVudGVyMjI=" not in text
