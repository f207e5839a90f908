"""The official Azure SDKs (azure-storage-queue, azure-storage-blob) against `edgefactor storage`:
every operation the EdgeFactor clients use, with Azure's statuses and error codes."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.core import MatchConditions
from azure.storage.blob import (
    BlobClient,
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContentSettings,
    generate_blob_sas,
)
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    BinaryBase64EncodePolicy,
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from storage_support import DEV_ACCOUNT, DEV_KEY, storage  # noqa: F401  (fixture)

WRONG_KEY = "A" * 86 + "=="


# --- Queue --------------------------------------------------------------------------------------

def test_queue_lifecycle_and_messages(storage):
    queue = QueueClient.from_connection_string(storage.connection_string(), "jobs")
    queue.create_queue(metadata={"purpose": "test"})
    with pytest.raises(ResourceExistsError):  # the SDK turns 204 "already exists" into this
        queue.create_queue(metadata={"purpose": "test"})
    with pytest.raises(ResourceExistsError):  # different metadata: 409 QueueAlreadyExists
        queue.create_queue(metadata={"purpose": "other"})
    properties = queue.get_queue_properties()
    assert properties.metadata == {"purpose": "test"}

    sent = queue.send_message("hello <world> & ünïcode")
    assert sent.id and sent.pop_receipt
    hidden = queue.send_message("hidden", visibility_timeout=60)
    queue.send_message("short-lived", time_to_live=1)
    forever = queue.send_message("forever", time_to_live=-1)
    assert forever.expires_on.year == 9999
    assert queue.get_queue_properties().approximate_message_count == 4

    peeked = queue.peek_messages(max_messages=32)
    assert {m.content for m in peeked} == {"hello <world> & ünïcode", "short-lived", "forever"}
    assert all(m.dequeue_count == 0 for m in peeked)

    time.sleep(1.5)  # short-lived expires
    received = list(queue.receive_messages(messages_per_page=32, visibility_timeout=30))
    assert {m.content for m in received} == {"hello <world> & ünïcode", "forever"}
    assert all(m.dequeue_count == 1 for m in received)
    assert hidden.id not in {m.id for m in received}
    assert list(queue.receive_messages()) == []

    first = next(m for m in received if m.id == sent.id)
    updated = queue.update_message(first, content="changed", visibility_timeout=0)
    assert updated.pop_receipt != first.pop_receipt
    with pytest.raises(HttpResponseError) as stale:
        queue.delete_message(first)  # the old pop receipt
    assert stale.value.status_code == 400 and stale.value.error_code == "PopReceiptMismatch"

    again = next(iter(queue.receive_messages()))
    assert again.content == "changed" and again.dequeue_count == 2
    queue.delete_message(again)
    with pytest.raises(ResourceNotFoundError):
        queue.delete_message(again.id, again.pop_receipt)

    queue.clear_messages()
    assert queue.get_queue_properties().approximate_message_count == 0
    names = [q.name for q in QueueServiceClient.from_connection_string(storage.connection_string()).list_queues()]
    assert names == ["jobs"]
    queue.delete_queue()
    with pytest.raises(ResourceNotFoundError) as missing:
        queue.send_message("x")
    assert missing.value.error_code == "QueueNotFound"


def test_queue_base64_and_plain_text_encodings(storage):
    cs = storage.connection_string()
    plain = QueueClient.from_connection_string(cs, "encodings")
    plain.create_queue()
    text64 = QueueClient.from_connection_string(
        cs, "encodings", message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
    )
    text64.send_message("café \u0001 control")
    raw = next(iter(plain.receive_messages(visibility_timeout=1)))
    assert raw.content == "Y2Fmw6kgASBjb250cm9s"  # base64 of the UTF-8 text, stored verbatim
    time.sleep(1.2)
    assert next(iter(text64.receive_messages())).content == "café \u0001 control"

    binary = QueueClient.from_connection_string(
        cs, "encodings", message_encode_policy=BinaryBase64EncodePolicy(), message_decode_policy=BinaryBase64DecodePolicy()
    )
    binary.send_message(bytes(range(256)))
    assert next(iter(binary.receive_messages())).content == bytes(range(256))


def test_queue_limits(storage):
    queue = QueueClient.from_connection_string(storage.connection_string(), "limits")
    queue.create_queue()
    queue.send_message("x" * 65536)
    with pytest.raises(HttpResponseError) as too_big:
        queue.send_message("x" * 65537)
    assert too_big.value.status_code == 413 and too_big.value.error_code == "RequestBodyTooLarge"
    with pytest.raises(HttpResponseError) as bad_batch:
        list(queue.receive_messages(messages_per_page=33))
    assert bad_batch.value.error_code == "OutOfRangeQueryParameterValue"
    with pytest.raises(HttpResponseError) as bad_name:
        QueueClient.from_connection_string(storage.connection_string(), "Bad_Name").create_queue()
    assert bad_name.value.status_code == 400 and bad_name.value.error_code == "InvalidResourceName"


def test_queue_wrong_key_is_403(storage):
    queue = QueueClient.from_connection_string(storage.connection_string(key=WRONG_KEY), "auth")
    with pytest.raises(ClientAuthenticationError) as refused:
        queue.create_queue()
    assert refused.value.status_code == 403 and refused.value.error_code == "AuthenticationFailed"


def test_development_storage_connection_string_parses_like_azurite():
    client = QueueClient.from_connection_string("UseDevelopmentStorage=true", "q")
    assert client.url == "http://127.0.0.1:10001/devstoreaccount1/q"


# --- Blob ---------------------------------------------------------------------------------------

def test_blob_upload_download_properties_list_delete(storage):
    service = BlobServiceClient.from_connection_string(storage.connection_string())
    container = service.create_container("data", metadata={"owner": "edge"})
    with pytest.raises(ResourceExistsError):
        service.create_container("data")
    assert container.get_container_properties().metadata == {"owner": "edge"}

    name = "dir/a b+c ü.json"
    settings = ContentSettings(content_type="application/json")
    container.upload_blob(name, b'{"hello": 1}', content_settings=settings, metadata={"source": "edge", "a1": "x", "a_": "y"})
    with pytest.raises(ResourceExistsError) as exists:  # overwrite=False is the default
        container.upload_blob(name, b"again")
    assert exists.value.status_code == 409 and exists.value.error_code == "BlobAlreadyExists"

    blob = container.get_blob_client(name)
    assert blob.exists()
    assert blob.download_blob().readall() == b'{"hello": 1}'
    assert blob.download_blob(offset=2, length=5).readall() == b'hello'
    props = blob.get_blob_properties()
    assert props.size == 12
    assert props.content_settings.content_type == "application/json"
    assert props.metadata == {"source": "edge", "a1": "x", "a_": "y"}
    assert props.etag.startswith('"')

    blob.upload_blob(b"replaced", overwrite=True)
    replaced = blob.get_blob_properties()
    assert replaced.metadata == {} and replaced.size == 8 and replaced.etag != props.etag
    with pytest.raises(ResourceModifiedError):  # stale ETag
        blob.upload_blob(b"x", overwrite=True, etag=props.etag, match_condition=MatchConditions.IfNotModified)
    blob.set_blob_metadata({"stage": "two"})
    assert blob.get_blob_properties().metadata == {"stage": "two"}

    empty = container.upload_blob("empty.bin", b"")
    assert empty.download_blob().readall() == b""  # 416 on the ranged first GET, then a plain GET

    for extra in ["a.txt", "dir/one.txt", "dir/sub/two.txt", "z.txt"]:
        container.upload_blob(extra, extra.encode())
    names = [b.name for b in container.list_blobs()]
    assert names == sorted(names) and len(names) == 6
    assert [b.name for b in container.list_blobs(name_starts_with="dir/")] == ["dir/a b+c ü.json", "dir/one.txt", "dir/sub/two.txt"]
    pages = list(container.list_blobs(results_per_page=2).by_page())
    assert [len(list(page)) for page in pages] == [2, 2, 2]
    walked = [b.name for b in container.walk_blobs(delimiter="/")]
    assert sorted(walked) == ["a.txt", "dir/", "empty.bin", "z.txt"]  # the SDK yields prefixes first
    with_meta = {b.name: b.metadata for b in container.list_blobs(include=["metadata"])}
    assert with_meta[name] == {"stage": "two"}

    blob.delete_blob()
    assert not blob.exists()
    with pytest.raises(ResourceNotFoundError) as gone:
        blob.download_blob()
    assert gone.value.error_code == "BlobNotFound"
    service.delete_container("data")
    with pytest.raises(ResourceNotFoundError):
        container.get_container_properties()


def test_blob_staged_upload_and_chunked_download(storage):
    # Small thresholds make the SDK use Put Block / Put Block List and several ranged GETs.
    service = BlobServiceClient.from_connection_string(
        storage.connection_string(), max_single_put_size=256 * 1024, max_block_size=100 * 1024,
        max_single_get_size=128 * 1024, max_chunk_get_size=64 * 1024,
    )
    container = service.create_container("big")
    data = bytes((i * 7919) % 251 for i in range(1_000_003))
    container.upload_blob("big.bin", data, max_concurrency=3)
    assert container.get_blob_client("big.bin").get_blob_properties().size == len(data)
    assert container.download_blob("big.bin", max_concurrency=3).readall() == data


def test_blob_sas_read_only_write_only_and_expired(storage):
    container = BlobServiceClient.from_connection_string(storage.connection_string()).create_container("sas")
    container.upload_blob("img/photo.jpg", b"jpeg bytes")
    expiry = datetime.now(timezone.utc) + timedelta(minutes=10)
    read_sas = generate_blob_sas(DEV_ACCOUNT, "sas", "img/photo.jpg", account_key=DEV_KEY,
                                 permission=BlobSasPermissions(read=True), expiry=expiry)
    reader = BlobClient.from_blob_url(f"{storage.blob_url}/sas/img/photo.jpg?{read_sas}")
    assert reader.download_blob().readall() == b"jpeg bytes"
    with pytest.raises(HttpResponseError) as denied:
        reader.upload_blob(b"overwrite", overwrite=True)
    assert denied.value.status_code == 403

    other = BlobClient.from_blob_url(f"{storage.blob_url}/sas/img/other.jpg?{read_sas}")
    with pytest.raises(HttpResponseError) as wrong_blob:
        other.download_blob().readall()
    assert wrong_blob.value.status_code == 403

    expired_sas = generate_blob_sas(DEV_ACCOUNT, "sas", "img/photo.jpg", account_key=DEV_KEY,
                                    permission=BlobSasPermissions(read=True),
                                    expiry=datetime.now(timezone.utc) - timedelta(minutes=1))
    with pytest.raises(HttpResponseError) as expired:
        BlobClient.from_blob_url(f"{storage.blob_url}/sas/img/photo.jpg?{expired_sas}").download_blob().readall()
    assert expired.value.status_code == 403 and expired.value.error_code == "AuthenticationFailed"

    future_sas = generate_blob_sas(DEV_ACCOUNT, "sas", "img/photo.jpg", account_key=DEV_KEY,
                                   permission=BlobSasPermissions(read=True), expiry=expiry,
                                   start=datetime.now(timezone.utc) + timedelta(minutes=5))
    with pytest.raises(HttpResponseError):
        BlobClient.from_blob_url(f"{storage.blob_url}/sas/img/photo.jpg?{future_sas}").download_blob().readall()

    for ip, allowed in [("127.0.0.1", True), ("127.0.0.0-127.0.0.255", True), ("10.1.2.3", False)]:
        ip_sas = generate_blob_sas(DEV_ACCOUNT, "sas", "img/photo.jpg", account_key=DEV_KEY,
                                   permission=BlobSasPermissions(read=True), expiry=expiry, ip=ip)
        client = BlobClient.from_blob_url(f"{storage.blob_url}/sas/img/photo.jpg?{ip_sas}")
        if allowed:
            assert client.download_blob().readall() == b"jpeg bytes"
        else:
            with pytest.raises(HttpResponseError) as wrong_ip:
                client.download_blob().readall()
            assert wrong_ip.value.status_code == 403 and wrong_ip.value.error_code == "AuthorizationSourceIPMismatch"

    write_sas = generate_blob_sas(DEV_ACCOUNT, "sas", "upload.bin", account_key=DEV_KEY,
                                  permission=BlobSasPermissions(create=True, write=True), expiry=expiry)
    writer = BlobClient.from_blob_url(f"{storage.blob_url}/sas/upload.bin?{write_sas}")
    writer.upload_blob(b"from the field")
    with pytest.raises(HttpResponseError):
        writer.download_blob().readall()
    assert container.download_blob("upload.bin").readall() == b"from the field"


def test_blob_wrong_key_is_403(storage):
    service = BlobServiceClient.from_connection_string(storage.connection_string(key=WRONG_KEY))
    with pytest.raises(ClientAuthenticationError) as refused:
        service.create_container("nope")
    assert refused.value.status_code == 403


def test_blob_invalid_names(storage):
    service = BlobServiceClient.from_connection_string(storage.connection_string())
    with pytest.raises(HttpResponseError) as bad:
        service.create_container("UPPER")
    assert bad.value.status_code == 400 and bad.value.error_code == "InvalidResourceName"
    with pytest.raises(HttpResponseError) as short:
        service.create_container("ab")
    assert short.value.status_code == 400
    container = service.create_container("names")
    with pytest.raises(HttpResponseError) as metadata:
        container.upload_blob("m", b"x", metadata={"1bad": "v"})
    assert metadata.value.error_code == "InvalidMetadata"


def test_custom_account_replaces_the_development_account(edgefactor_bin, tmp_path):
    import base64
    import subprocess

    from conftest import Server, free_port, wait_for_port

    key = base64.b64encode(b"k" * 64).decode()
    blob_port, queue_port = free_port(), free_port()
    common = ["--data-dir", str(tmp_path / "data"), "--blob-port", str(blob_port), "--queue-port", str(queue_port), "--account", f"edgeacct:{key}"]
    printed = subprocess.run([edgefactor_bin, "storage", *common, "--print-connection-string"], capture_output=True, text=True, check=True).stdout.strip()
    assert printed == (f"DefaultEndpointsProtocol=http;AccountName=edgeacct;AccountKey={key};"
                       f"BlobEndpoint=http://127.0.0.1:{blob_port}/edgeacct;QueueEndpoint=http://127.0.0.1:{queue_port}/edgeacct;")
    assert not (tmp_path / "data").exists(), "printing the connection string must not start or create anything"
    server = Server([edgefactor_bin, "storage", *common, "--log-level", "warning"], tmp_path / "custom.log")
    try:
        wait_for_port(queue_port, proc=server.proc)
        wait_for_port(blob_port, proc=server.proc)
        queue = QueueClient.from_connection_string(printed, "custom")
        queue.create_queue()
        queue.send_message("for edgeacct")
        assert next(iter(queue.receive_messages())).content == "for edgeacct"
        dev = (f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
               f"QueueEndpoint=http://127.0.0.1:{queue_port}/{DEV_ACCOUNT};BlobEndpoint=http://127.0.0.1:{blob_port}/{DEV_ACCOUNT}")
        with pytest.raises(ClientAuthenticationError):
            QueueClient.from_connection_string(dev, "custom").create_queue()
        bad = subprocess.run([edgefactor_bin, "storage", "--account", "Bad Name:xyz", "--print-connection-string"], capture_output=True, text=True)
        assert bad.returncode != 0 and "account name" in bad.stderr
    finally:
        server.stop()
