"""Hostile and broken requests against `edgefactor storage`: each gets a clear 4xx, the service
keeps serving, and what was stored before is intact afterwards."""
import os

from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient

from storage_support import DEV_ACCOUNT, raw_request, storage, truncated_request  # noqa: F401


def seed(storage):
    """A queue with one message and a container with one blob, to check nothing is damaged."""
    cs = storage.connection_string()
    queue = QueueClient.from_connection_string(cs, "safe")
    queue.create_queue()
    queue.send_message("keep me")
    container = BlobServiceClient.from_connection_string(cs).create_container("safe")
    container.upload_blob("keep.bin", b"precious bytes")
    return queue, container


def assert_intact(storage, queue, container):
    assert storage.alive(), storage.server.output()
    assert [m.content for m in queue.peek_messages()] == ["keep me"]
    assert container.download_blob("keep.bin").readall() == b"precious bytes"
    blob_files = [f for f in os.listdir(storage.data_dir / "blobs") if not f.startswith(".")]
    assert len(blob_files) == 1, blob_files  # no stray files from refused requests


def error_code(response):
    status, headers, body = response
    return status, headers.get("x-ms-error-code")


def test_malformed_xml_bodies(storage):
    queue, container = seed(storage)
    q = storage.queue_port
    path = f"/{DEV_ACCOUNT}/safe/messages"
    for body in [b"", b"<QueueMessage>", b"not xml", b"<QueueMessage><MessageText>x</Wrong></QueueMessage>",
                 b"<!DOCTYPE x [<!ENTITY a 'b'>]><QueueMessage><MessageText>&a;</MessageText></QueueMessage>",
                 b"<QueueMessage><MessageText>&unknown;</MessageText></QueueMessage>",
                 b"<Other><MessageText>x</MessageText></Other>", b"\xff\xfe<QueueMessage/>",
                 b"<a>" * 100 + b"</a>" * 100]:
        status, code = error_code(raw_request(q, "POST", path, body, {"Content-Type": "application/xml"}))
        assert status == 400 and code == "InvalidXmlDocument", (body[:40], status, code)
    status, code = error_code(raw_request(storage.blob_port, "PUT", f"/{DEV_ACCOUNT}/safe/x?comp=blocklist", b"<BlockList><Latest>", {}))
    assert status == 400 and code == "InvalidXmlDocument"
    assert_intact(storage, queue, container)


def test_invalid_names_and_traversal(storage):
    queue, container = seed(storage)
    b = storage.blob_port
    for name in ["%2E%2E/%2E%2E/etc/passwd", "../../etc/passwd", "a/../../x", "a/./b", "back%5Cslash", "ctl%01char"]:
        status, code = error_code(raw_request(b, "PUT", f"/{DEV_ACCOUNT}/safe/{name}", b"evil", {"x-ms-blob-type": "BlockBlob"}))
        assert status == 400, (name, status, code)
        assert code in ("InvalidResourceName", "InvalidUri"), (name, code)
    status, code = error_code(raw_request(b, "PUT", f"/{DEV_ACCOUNT}/safe/{'n' * 1025}", b"x", {"x-ms-blob-type": "BlockBlob"}))
    assert status == 400
    for queue_name in ["UPPER", "a", "a--b", "-ab", "x" * 64, "bad_name"]:
        status, code = error_code(raw_request(storage.queue_port, "PUT", f"/{DEV_ACCOUNT}/{queue_name}"))
        assert status == 400 and code in ("InvalidResourceName", "OutOfRangeInput"), (queue_name, code)
    status, code = error_code(raw_request(b, "PUT", f"/{DEV_ACCOUNT}/safe/bad%ZZescape", b"x", {"x-ms-blob-type": "BlockBlob"}))
    assert status == 400
    assert not any("passwd" in f for f in os.listdir(storage.data_dir / "blobs"))
    assert_intact(storage, queue, container)


def test_wrong_lengths_and_truncated_bodies(storage):
    queue, container = seed(storage)
    b = storage.blob_port
    path = f"/{DEV_ACCOUNT}/safe/partial.bin"
    for _ in range(3):
        truncated_request(b, "PUT", path, declared=1_000_000, sent=b"x" * 1000, headers={"x-ms-blob-type": "BlockBlob"})
        truncated_request(storage.queue_port, "POST", f"/{DEV_ACCOUNT}/safe/messages", declared=500, sent=b"<QueueMessage><Mess")
    status, _, _ = raw_request(b, "HEAD", path)
    assert status == 404  # nothing half-written became visible
    status, code = error_code(raw_request(b, "PUT", path, b"abc", {"x-ms-blob-type": "BlockBlob", "Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}))
    assert status == 400 and code == "Md5Mismatch"
    status, code = error_code(raw_request(b, "PUT", path, b"abc", {"x-ms-blob-type": "PageBlob"}))
    assert status == 501
    status, code = error_code(raw_request(b, "PUT", path, b"abc", {}))
    assert status == 400 and code == "MissingRequiredHeader"
    status, code = error_code(raw_request(b, "GET", f"/{DEV_ACCOUNT}/safe/keep.bin", headers={"x-ms-range": "bytes=zz-1"}))
    assert status == 400
    assert_intact(storage, queue, container)


def test_oversized_bodies(storage):
    queue, container = seed(storage)
    q = storage.queue_port
    huge = b"<QueueMessage><MessageText>" + b"x" * (2 * 1024 * 1024) + b"</MessageText></QueueMessage>"
    status, code = error_code(raw_request(q, "POST", f"/{DEV_ACCOUNT}/safe/messages", huge, {"Content-Type": "application/xml"}))
    assert status == 413 and code == "RequestBodyTooLarge"
    # A declared length over the blob limit is refused before any byte is stored.
    status, code = error_code(raw_request(storage.blob_port, "PUT", f"/{DEV_ACCOUNT}/safe/huge.bin", b"",
                                          {"x-ms-blob-type": "BlockBlob", "Content-Length": str(64 * 1024 ** 3)}))
    assert status == 413
    assert_intact(storage, queue, container)


def test_unauthenticated_and_garbled_auth(storage):
    queue, container = seed(storage)
    b = storage.blob_port
    path = f"/{DEV_ACCOUNT}/safe/keep.bin"
    assert error_code(raw_request(b, "GET", path, signed=False)) == (403, "AuthenticationFailed")
    for auth in ["SharedKey", "SharedKey devstoreaccount1", "SharedKey devstoreaccount1:!!!", "Bearer abc",
                 "SharedKeyLite devstoreaccount1:AAAA", "SharedKey otheraccount:AAAA"]:
        status, code = error_code(raw_request(b, "GET", path, headers={"Authorization": auth, "x-ms-date": "Sun, 29 Nov 2026 00:00:00 GMT"}, signed=False))
        assert status == 403 and code == "AuthenticationFailed", auth
    for sas in ["sig=AAAA", "sv=2024-11-04&sr=b&sp=r&se=2999-01-01T00:00:00Z&sig=AAAA", "sv=1999-01-01&sig=x",
                "sv=2024-11-04&ss=b&srt=o&sp=r&se=2999-01-01&sig=AAAA"]:
        status, code = error_code(raw_request(b, "GET", f"{path}?{sas}", signed=False))
        assert status == 403, sas
    assert error_code(raw_request(b, "GET", f"/nosuchaccount/safe/keep.bin", signed=False))[0] == 403
    assert_intact(storage, queue, container)
