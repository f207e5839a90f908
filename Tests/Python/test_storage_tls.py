"""HTTPS on the built-in storage, refereed by the official SDKs (azure-storage-blob and
azure-storage-queue, trusting the development CA with connection_verify), SAS included; and
the two mistakes clients make: a CA that is not the storage's, and plain http to the TLS port."""
import http.client
import os
import ssl
import stat
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import certifi
import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.storage.blob import BlobClient, BlobSasPermissions, BlobServiceClient, generate_blob_sas
from azure.storage.queue import QueueClient, QueueSasPermissions, QueueServiceClient, generate_queue_sas

from storage_support import DEV_ACCOUNT, DEV_KEY, start_storage


@pytest.fixture()
def tls_storage(edgefactor_bin, tmp_path):
    """`edgefactor storage --tls` with its development CA in tmp/ca (as the hub's certs folder)."""
    ca_dir = tmp_path / "ca"
    process = start_storage(edgefactor_bin, tmp_path / "data", tmp_path / "storage.log", extra_args=("--tls", "--ca-dir", str(ca_dir)))
    process.ca_file = str(ca_dir / "ca.pem")
    yield process
    if process.alive():
        process.server.stop()


def cli(edgefactor_bin, *args, env=None):
    # The timeout bounds a hang; the assertions are on what the command says.
    return subprocess.run([edgefactor_bin, *args], capture_output=True, text=True, timeout=120, env=env)


def test_sdks_use_queues_and_blobs_over_https_trusting_the_development_ca(tls_storage):
    connection = tls_storage.connection_string()
    assert connection.startswith("DefaultEndpointsProtocol=https;") and "BlobEndpoint=https://" in connection
    blobs = BlobServiceClient.from_connection_string(connection, connection_verify=tls_storage.ca_file)
    container = blobs.create_container("tls-container")
    data = os.urandom(300_000)
    container.upload_blob("a/b.bin", data)
    assert container.download_blob("a/b.bin").readall() == data

    queues = QueueServiceClient.from_connection_string(connection, connection_verify=tls_storage.ca_file)
    queue = queues.create_queue("tls-queue")
    queue.send_message("hello over https")
    assert [m.content for m in queue.receive_messages()] == ["hello over https"]

    # The printed endpoints say https and name the CA; the keys were written private.
    output = tls_storage.server.output()
    assert "storage: blob endpoint https://" in output and "storage: CA certificate" in output
    ca_dir = Path(tls_storage.ca_file).parent
    assert stat.S_IMODE(os.stat(ca_dir).st_mode) == 0o700
    for key in (ca_dir / "ca-key.pem", tls_storage.data_dir / "certs" / "server-key.pem"):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, key


def test_sas_urls_are_https_and_work_with_the_ca(tls_storage):
    connection = tls_storage.connection_string()
    service = BlobServiceClient.from_connection_string(connection, connection_verify=tls_storage.ca_file)
    service.create_container("sas-container").upload_blob("x.txt", b"sas over https")
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    sas = generate_blob_sas(DEV_ACCOUNT, "sas-container", "x.txt", account_key=DEV_KEY,
                            permission=BlobSasPermissions(read=True), expiry=expiry)
    url = f"{tls_storage.blob_url}/sas-container/x.txt?{sas}"
    assert url.startswith("https://")
    assert BlobClient.from_blob_url(url, connection_verify=tls_storage.ca_file).download_blob().readall() == b"sas over https"

    QueueServiceClient.from_connection_string(connection, connection_verify=tls_storage.ca_file).create_queue("sas-queue")
    queue_sas = generate_queue_sas(DEV_ACCOUNT, "sas-queue", account_key=DEV_KEY,
                                   permission=QueueSasPermissions(add=True, read=True, process=True), expiry=expiry)
    queue = QueueClient.from_queue_url(f"{tls_storage.queue_url}/sas-queue?{queue_sas}", connection_verify=tls_storage.ca_file)
    queue.send_message("queued with a SAS")
    assert [m.content for m in queue.receive_messages()] == ["queued with a SAS"]


def test_sdk_with_the_wrong_ca_fails_with_a_certificate_error(tls_storage):
    blobs = BlobServiceClient.from_connection_string(tls_storage.connection_string(), connection_verify=certifi.where(), retry_total=0)
    with pytest.raises(ServiceRequestError) as failure:
        blobs.create_container("never")
    assert "CERTIFICATE_VERIFY_FAILED" in str(failure.value)


def test_plain_http_to_the_tls_port_is_told_to_use_https(tls_storage):
    connection = http.client.HTTPConnection("127.0.0.1", tls_storage.queue_port, timeout=30)
    connection.request("GET", f"/{DEV_ACCOUNT}?comp=list")
    response = connection.getresponse()
    assert response.status == 400
    assert response.getheader("x-ms-error-code") == "PlainHTTPOnHTTPSPort"
    assert "serves HTTPS" in response.read().decode()

    plain = tls_storage.connection_string().replace("https", "http")
    with pytest.raises(HttpResponseError) as failure:
        QueueServiceClient.from_connection_string(plain, retry_total=0).create_queue("never")
    assert failure.value.status_code == 400 and failure.value.error_code == "PlainHTTPOnHTTPSPort"

    # And TLS itself still works on the same port after that.
    context = ssl.create_default_context(cafile=tls_storage.ca_file)
    secure = http.client.HTTPSConnection("127.0.0.1", tls_storage.queue_port, timeout=30, context=context)
    secure.request("GET", f"/{DEV_ACCOUNT}?comp=list")
    assert secure.getresponse().status == 403  # unsigned: refused by the service, not by TLS


def test_swift_cli_trusts_storage_ca_file_and_explains_a_wrong_one(edgefactor_bin, tls_storage, tmp_path):
    connection = tls_storage.connection_string()
    secrets = ["--secrets-dir", str(tmp_path / "secrets")]
    env = {k: v for k, v in os.environ.items() if k not in ("AZURE_STORAGE_CONNECTION_STRING", "EDGEFACTOR_STORAGE_CA_FILE")}
    ok = cli(edgefactor_bin, "secrets", "grant", "--device", "tls-box", "--storage-connection-string", connection,
             "--storage-ca-file", tls_storage.ca_file, *secrets, env=env)
    assert ok.returncode == 0, ok.stderr
    grant = (tmp_path / "secrets" / "devices" / "tls-box.storage-grant.json").read_text()
    assert '"blobEndpoint":"https:' in grant.replace(" ", "") and '"queueEndpoint":"https:' in grant.replace(" ", "")

    # The same through the environment variable.
    listed = cli(edgefactor_bin, "dead-letters", "list", "--device-id", "tls-box", "--storage-connection-string", connection,
                 env=dict(env, EDGEFACTOR_STORAGE_CA_FILE=tls_storage.ca_file))
    assert listed.returncode == 0, listed.stderr

    wrong = cli(edgefactor_bin, "secrets", "revoke", "--device", "tls-box", "--storage-connection-string", connection,
                "--storage-ca-file", certifi.where(), env=env)
    assert wrong.returncode != 0
    assert "TLS handshake" in wrong.stderr and "--storage-ca-file" in wrong.stderr, wrong.stderr

    plain = cli(edgefactor_bin, "secrets", "revoke", "--device", "tls-box",
                "--storage-connection-string", connection.replace("https", "http"), env=env)
    assert plain.returncode != 0
    assert "serves HTTPS" in plain.stderr or "PlainHTTPOnHTTPSPort" in plain.stderr, plain.stderr

    missing = cli(edgefactor_bin, "secrets", "revoke", "--device", "tls-box", "--storage-connection-string", connection,
                  "--storage-ca-file", str(tmp_path / "nothing.pem"), env=env)
    assert missing.returncode != 0 and "cannot read the storage CA file" in missing.stderr, missing.stderr


def test_certificate_and_key_files_and_https_connection_string(edgefactor_bin, tls_storage, tmp_path):
    certs = tls_storage.data_dir / "certs"
    printed = cli(edgefactor_bin, "storage", "--certificate", str(certs / "server.pem"), "--private-key", str(certs / "server-key.pem"),
                  "--blob-port", "10000", "--queue-port", "10001", "--print-connection-string")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("DefaultEndpointsProtocol=https;")
    assert "BlobEndpoint=https://127.0.0.1:10000/devstoreaccount1" in printed.stdout

    other = start_storage(edgefactor_bin, tmp_path / "files-data", tmp_path / "files.log",
                          extra_args=("--certificate", str(certs / "server.pem"), "--private-key", str(certs / "server-key.pem")))
    try:
        queues = QueueServiceClient.from_connection_string(other.connection_string(), connection_verify=tls_storage.ca_file)
        queues.create_queue("from-files")
        assert [q.name for q in queues.list_queues()] == ["from-files"]
    finally:
        other.server.stop()

    lonely = cli(edgefactor_bin, "storage", "--certificate", str(certs / "server.pem"), "--print-connection-string")
    assert lonely.returncode != 0 and "go together" in lonely.stderr
