"""Each service SAS permission letter means what Azure documents, for every blob and queue
operation the built-in storage serves: one row per operation, each run with a SAS of every single
letter; only the letters in the row are allowed, every other letter gets 403.

Azure's meanings (Create a service SAS): blob r read content, properties, metadata; c write a
*new* blob (an existing one needs w); w create or write content, properties, metadata, block list;
d delete; l list (container SAS); queue r peek and read metadata, a add, u update, p get and
delete. Clearing a queue is not an operation a service SAS can grant."""
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobBlock, BlobClient, BlobServiceClient, ContainerClient, ContentSettings, generate_container_sas
from azure.storage.queue import QueueClient, generate_queue_sas

from storage_support import DEV_ACCOUNT, DEV_KEY, storage  # noqa: F401

LETTERS = "racwdlpu"


def expiry():
    return datetime.now(timezone.utc) + timedelta(hours=1)


def container_sas(letter):
    return generate_container_sas(DEV_ACCOUNT, "perm", account_key=DEV_KEY, permission=letter, expiry=expiry())


def queue_sas(letter):
    return generate_queue_sas(DEV_ACCOUNT, "perm", DEV_KEY, permission=letter, expiry=expiry())


# (operation, letters that allow it, callable(owner container, SAS container client, unique name))
BLOB_ROWS = [
    ("put blob, new name", "cw", lambda owner, sas, name: sas.upload_blob(name, b"new")),
    ("put blob over an existing blob", "w", lambda owner, sas, name: (
        owner.upload_blob(name, b"old"), sas.upload_blob(name, b"replaced", overwrite=True))),
    ("put block", "cw", lambda owner, sas, name: sas.get_blob_client(name).stage_block("YmxvY2s=", b"part")),
    ("put block list, new blob", "cw", lambda owner, sas, name: (
        owner.get_blob_client(name).stage_block("YmxvY2s=", b"part"),
        sas.get_blob_client(name).commit_block_list([BlobBlock("YmxvY2s=")]))),
    ("put block list over an existing blob", "w", lambda owner, sas, name: (
        owner.upload_blob(name, b"old"), owner.get_blob_client(name).stage_block("YmxvY2s=", b"part"),
        sas.get_blob_client(name).commit_block_list([BlobBlock("YmxvY2s=")]))),
    ("get blob", "r", lambda owner, sas, name: (owner.upload_blob(name, b"x"), sas.download_blob(name).readall())),
    ("get blob properties", "r", lambda owner, sas, name: (owner.upload_blob(name, b"x"), sas.get_blob_client(name).get_blob_properties())),
    ("set blob metadata", "w", lambda owner, sas, name: (owner.upload_blob(name, b"x"), sas.get_blob_client(name).set_blob_metadata({"k": "v"}))),
    ("set blob properties", "w", lambda owner, sas, name: (
        owner.upload_blob(name, b"x"), sas.get_blob_client(name).set_http_headers(ContentSettings(content_type="text/plain")))),
    ("delete blob", "d", lambda owner, sas, name: (owner.upload_blob(name, b"x"), sas.delete_blob(name))),
    ("list blobs", "l", lambda owner, sas, name: list(sas.list_blobs())),
]

QUEUE_ROWS = [
    ("put message", "a", lambda owner, sas: sas.send_message("m")),
    ("get messages", "p", lambda owner, sas: (owner.send_message("m"), sas.receive_messages().next())),
    ("peek messages", "r", lambda owner, sas: (owner.send_message("m"), sas.peek_messages())),
    ("queue metadata", "r", lambda owner, sas: sas.get_queue_properties()),
    ("update message", "u", lambda owner, sas: sas.update_message(
        owner.send_message("m"), pop_receipt=None, content="changed", visibility_timeout=0)),
    ("delete message", "p", lambda owner, sas: (lambda sent: sas.delete_message(sent.id, sent.pop_receipt))(owner.send_message("m"))),
    ("clear messages", "", lambda owner, sas: sas.clear_messages()),
]


def outcome(action):
    try:
        action()
        return "allowed"
    except HttpResponseError as error:
        if error.status_code == 403:
            return "403"
        raise


@pytest.mark.parametrize("operation,allowed,action", BLOB_ROWS, ids=[row[0] for row in BLOB_ROWS])
def test_blob_permission_letters(storage, operation, allowed, action):
    owner = BlobServiceClient.from_connection_string(storage.connection_string()).get_container_client("perm")
    if not owner.exists():
        owner.create_container()
    for index, letter in enumerate(LETTERS):
        sas = ContainerClient.from_container_url(f"{storage.blob_url}/perm?{container_sas(letter)}")
        name = f"{operation.replace(' ', '-').replace(',', '')}-{index}"
        got = outcome(lambda: action(owner, sas, name))
        assert got == ("allowed" if letter in allowed else "403"), f"{operation} with sp={letter}: {got}"
    assert storage.alive()


def test_create_only_sas_cannot_overwrite_and_leaves_the_blob_intact(storage):
    owner = BlobServiceClient.from_connection_string(storage.connection_string()).create_container("perm")
    owner.upload_blob("result.json", b"genuine")
    planter = BlobClient.from_blob_url(f"{storage.blob_url}/perm/result.json?{container_sas('c')}")
    with pytest.raises(HttpResponseError) as refused:
        planter.upload_blob(b"forged", overwrite=True)
    assert refused.value.status_code == 403 and refused.value.error_code == "AuthorizationPermissionMismatch"
    assert owner.download_blob("result.json").readall() == b"genuine"


@pytest.mark.parametrize("operation,allowed,action", QUEUE_ROWS, ids=[row[0] for row in QUEUE_ROWS])
def test_queue_permission_letters(storage, operation, allowed, action):
    owner = QueueClient.from_connection_string(storage.connection_string(), "perm")
    try:
        owner.create_queue()
    except HttpResponseError:
        pass
    for letter in LETTERS:
        sas = QueueClient(storage.queue_url, "perm", credential=queue_sas(letter))
        got = outcome(lambda: action(owner, sas))
        assert got == ("allowed" if letter in allowed else "403"), f"{operation} with sp={letter}: {got}"
    assert storage.alive()
