"""Storage fidelity (issue 17), with the official Azure SDKs against `edgefactor storage`: what the
service does not implement is refused, never silently ignored; conditions, checksums, routing by
`comp`, SAS response overrides, account information and stored access policies behave as on Azure.
Each test failed on the service before these fixes."""
import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import (
    AccessPolicy,
    BlobClient,
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContainerSasPermissions,
    ContentSettings,
    StandardBlobTier,
    generate_blob_sas,
    generate_container_sas,
)
from azure.storage.queue import AccessPolicy as QueueAccessPolicy
from azure.storage.queue import QueueClient, QueueSasPermissions, generate_queue_sas

from storage_support import DEV_ACCOUNT, DEV_KEY, raw_request, storage  # noqa: F401  (fixture)


def hours(n):
    return datetime.now(timezone.utc) + timedelta(hours=n)


def container(storage, name="fid"):
    client = BlobServiceClient.from_connection_string(storage.connection_string()).get_container_client(name)
    client.create_container()
    return client


def refused(call, status=501, code="NotImplemented"):
    """Runs `call`, which must fail with `status` and `code`; returns the error's message."""
    with pytest.raises(HttpResponseError) as error:
        call()
    assert error.value.status_code == status, (error.value.status_code, error.value.message)
    assert error.value.error_code == code, error.value.error_code
    return error.value.message


# --- 1. What is not implemented is refused ----------------------------------------------------

def test_put_blob_and_put_block_from_url_are_refused_and_create_nothing(storage):
    data = container(storage)
    data.upload_blob("source.bin", b"source bytes")
    target = data.get_blob_client("copy.bin")
    message = refused(lambda: target.upload_blob_from_url(f"{storage.blob_url}/fid/no-such-source"))
    assert "x-ms-copy-source" in message
    refused(lambda: target.stage_block_from_url("YmxvY2s=", f"{storage.blob_url}/fid/source.bin"))
    assert not target.exists()
    assert [b.name for b in data.list_blobs()] == ["source.bin"]


def test_tag_conditions_and_access_tiers_are_refused(storage):
    data = container(storage)
    blob = data.upload_blob("keep.bin", b"keep")
    assert "x-ms-if-tags" in refused(lambda: blob.delete_blob(if_tags_match_condition="\"project\"='x'"))
    assert blob.exists()  # a conditional delete that cannot be checked deletes nothing
    assert "x-ms-access-tier" in refused(lambda: data.upload_blob("cool.bin", b"x", standard_blob_tier=StandardBlobTier.COOL))
    assert not data.get_blob_client("cool.bin").exists()
    refused(lambda: data.upload_blob("tagged.bin", b"x", tags={"k": "v"}))


def test_unserved_include_values_are_refused(storage):
    data = container(storage)
    data.upload_blob("a.bin", b"a")
    refused(lambda: list(data.list_blobs(include=["snapshots"])))
    refused(lambda: list(data.list_blobs(include=["metadata", "uncommittedblobs"])))
    assert [b.name for b in data.list_blobs(include=["metadata"])] == ["a.bin"]
    status, headers, _ = raw_request(storage.blob_port, "GET", f"/{DEV_ACCOUNT}/fid?restype=container&comp=list&include=bogus")
    assert (status, headers.get("x-ms-error-code")) == (400, "InvalidQueryParameterValue")
    queues = QueueClient.from_connection_string(storage.connection_string(), "listed")
    queues.create_queue()
    status, headers, _ = raw_request(storage.queue_port, "GET", f"/{DEV_ACCOUNT}?comp=list&include=deleted")
    assert (status, headers.get("x-ms-error-code")) == (400, "InvalidQueryParameterValue")


def test_unknown_headers_and_query_parameters_are_refused_by_name(storage):
    data = container(storage)
    data.upload_blob("a.bin", b"a")
    path = f"/{DEV_ACCOUNT}/fid/a.bin"
    status, headers, body = raw_request(storage.blob_port, "GET", path, headers={"x-ms-lease-id": "0000"})
    assert status == 501 and b"x-ms-lease-id" in body
    status, headers, body = raw_request(storage.blob_port, "GET", path + "?snapshot=2026-01-01T00:00:00Z")
    assert status == 501 and b"snapshot" in body
    status, headers, body = raw_request(storage.blob_port, "DELETE", path + "?frobnicate=1")
    assert status == 501 and b"frobnicate" in body
    # A conditional header Azure does not take on an operation: 400 UnsupportedHeader.
    status, headers, _ = raw_request(storage.blob_port, "DELETE", f"/{DEV_ACCOUNT}/fid?restype=container", headers={"If-Match": "\"x\""})
    assert (status, headers.get("x-ms-error-code")) == (400, "UnsupportedHeader")
    status, headers, body = raw_request(storage.queue_port, "PUT", f"/{DEV_ACCOUNT}/newqueue", headers={"x-ms-something-new": "1"})
    assert status == 501 and b"x-ms-something-new" in body
    assert data.get_blob_client("a.bin").exists()


# Every operation the service serves, as (endpoint, method, path and query, body).
SERVED = [
    ("blob", "GET", "/?comp=list", b""),
    ("blob", "GET", "/?restype=account&comp=properties", b""),
    ("blob", "PUT", "/newc?restype=container", b""),
    ("blob", "GET", "/fid?restype=container", b""),
    ("blob", "HEAD", "/fid?restype=container&comp=metadata", b""),
    ("blob", "PUT", "/fid?restype=container&comp=metadata", b""),
    ("blob", "GET", "/fid?restype=container&comp=acl", b""),
    ("blob", "PUT", "/fid?restype=container&comp=acl", b"<SignedIdentifiers />"),
    ("blob", "GET", "/fid?restype=container&comp=list", b""),
    ("blob", "DELETE", "/fid?restype=container", b""),
    ("blob", "GET", "/fid?restype=account&comp=properties", b""),
    ("blob", "PUT", "/fid/new.bin", b"new"),
    ("blob", "PUT", "/fid/new.bin?comp=block&blockid=YmxvY2s%3D", b"part"),
    ("blob", "PUT", "/fid/a.bin?comp=blocklist", b"<BlockList />"),
    ("blob", "GET", "/fid/a.bin", b""),
    ("blob", "HEAD", "/fid/a.bin", b""),
    ("blob", "GET", "/fid/a.bin?comp=metadata", b""),
    ("blob", "PUT", "/fid/a.bin?comp=metadata", b""),
    ("blob", "PUT", "/fid/a.bin?comp=properties", b""),
    ("blob", "DELETE", "/fid/a.bin", b""),
    ("blob", "GET", "/fid/a.bin?restype=account&comp=properties", b""),
    ("queue", "GET", "/?comp=list", b""),
    ("queue", "PUT", "/newq", b""),
    ("queue", "DELETE", "/jobs", b""),
    ("queue", "GET", "/jobs?comp=metadata", b""),
    ("queue", "PUT", "/jobs?comp=metadata", b""),
    ("queue", "GET", "/jobs?comp=acl", b""),
    ("queue", "PUT", "/jobs?comp=acl", b"<SignedIdentifiers />"),
    ("queue", "POST", "/jobs/messages", b"<QueueMessage><MessageText>x</MessageText></QueueMessage>"),
    ("queue", "GET", "/jobs/messages", b""),
    ("queue", "GET", "/jobs/messages?peekonly=true", b""),
    ("queue", "DELETE", "/jobs/messages", b""),
    ("queue", "PUT", "/jobs/messages/00000000-0000-0000-0000-000000000000?popreceipt=x&visibilitytimeout=0", b""),
    ("queue", "DELETE", "/jobs/messages/00000000-0000-0000-0000-000000000000?popreceipt=x", b""),
]


def test_every_operation_refuses_what_it_does_not_serve_and_changes_nothing(storage):
    data = container(storage)
    data.upload_blob("a.bin", b"keep")
    queue = QueueClient.from_connection_string(storage.connection_string(), "jobs")
    queue.create_queue()
    queue.send_message("keep")
    for endpoint, method, target, body in SERVED:
        port = storage.blob_port if endpoint == "blob" else storage.queue_port
        joiner = "&" if "?" in target else "?"
        extra_header = {"x-ms-not-a-real-header": "1"}
        if target.endswith("/new.bin"):
            extra_header["x-ms-blob-type"] = "BlockBlob"
        for path, headers, name in [
            (f"/{DEV_ACCOUNT}{target}", extra_header, b"x-ms-not-a-real-header"),
            (f"/{DEV_ACCOUNT}{target}{joiner}notarealparam=1", {k: v for k, v in extra_header.items() if k != "x-ms-not-a-real-header"}, b"notarealparam"),
        ]:
            status, answer, text = raw_request(port, method, path, body, headers)
            assert (status, answer.get("x-ms-error-code")) == (501, "NotImplemented"), (method, path, status, text[:200])
            assert method == "HEAD" or name in text, (method, path, text[:200])
    service = BlobServiceClient.from_connection_string(storage.connection_string())
    assert not service.get_container_client("newc").exists()
    assert [b.name for b in data.list_blobs()] == ["a.bin"] and data.download_blob("a.bin").readall() == b"keep"
    assert [m.content for m in queue.peek_messages()] == ["keep"]
    with pytest.raises(ResourceNotFoundError):
        QueueClient.from_connection_string(storage.connection_string(), "newq").get_queue_properties()


def test_public_access_is_refused_as_on_an_account_without_it(storage):
    service = BlobServiceClient.from_connection_string(storage.connection_string())
    refused(lambda: service.create_container("open", public_access="blob"), 409, "PublicAccessNotPermitted")
    assert not service.get_container_client("open").exists()


# --- 2. Conditions and checksums --------------------------------------------------------------

def test_container_date_conditions_on_delete_and_set_metadata(storage):
    data = container(storage)
    past, future = datetime.now(timezone.utc) - timedelta(days=1), hours(24)
    with pytest.raises(ResourceModifiedError):
        data.set_container_metadata({"k": "v"}, if_modified_since=future)
    assert data.get_container_properties().metadata == {}
    data.set_container_metadata({"k": "v"}, if_modified_since=past)
    with pytest.raises(ResourceModifiedError):
        data.delete_container(if_unmodified_since=past)
    with pytest.raises(ResourceModifiedError):
        data.delete_container(if_modified_since=future)
    assert data.exists()
    data.delete_container(if_unmodified_since=future)
    assert not data.exists()


def test_not_modified_answers_carry_condition_not_met(storage):
    blob = container(storage).upload_blob("a.bin", b"abc")
    etag = blob.get_blob_properties().etag
    with pytest.raises(ResourceModifiedError):
        blob.download_blob(etag=etag, match_condition=MatchConditions.IfModified)
    with pytest.raises(ResourceModifiedError):
        blob.get_blob_properties(if_modified_since=hours(24))
    status, headers, _ = raw_request(storage.blob_port, "GET", f"/{DEV_ACCOUNT}/fid/a.bin", headers={"If-None-Match": etag})
    assert (status, headers.get("x-ms-error-code")) == (304, "ConditionNotMet")


def test_put_blob_with_a_wrong_md5_is_refused_and_stores_nothing(storage):
    data = container(storage)
    wrong = bytearray(hashlib.md5(b"something else").digest())
    refused(lambda: data.upload_blob("a.bin", b"abc", content_settings=ContentSettings(content_md5=wrong)), 400, "Md5Mismatch")
    assert not data.get_blob_client("a.bin").exists()
    right = bytearray(hashlib.md5(b"abc").digest())
    stored = data.upload_blob("a.bin", b"abc", content_settings=ContentSettings(content_md5=right))
    assert stored.get_blob_properties().content_settings.content_md5 == right
    status, headers, _ = raw_request(storage.blob_port, "PUT", f"/{DEV_ACCOUNT}/fid/b.bin?comp=block&blockid=YmxvY2s%3D", b"part",
                                     {"Content-MD5": base64.b64encode(bytes(wrong)).decode()})
    assert (status, headers.get("x-ms-error-code")) == (400, "Md5Mismatch")


def test_set_blob_properties_stores_the_md5_as_given(storage):
    blob = container(storage).upload_blob("a.bin", b"abc")
    given = bytearray(b"not an md5")  # Azure stores what it is told; there is no body to check
    blob.set_http_headers(ContentSettings(content_type="text/plain", content_md5=given))
    properties = blob.get_blob_properties()
    assert properties.content_settings.content_md5 == given
    assert properties.content_settings.content_type == "text/plain"


def test_download_with_range_md5_validation(storage):
    blob = container(storage).upload_blob("a.bin", b"0123456789" * 1000)
    seen = []
    hook = {"raw_response_hook": lambda response: seen.append(response.http_response.headers.get("Content-MD5"))}
    assert blob.download_blob(offset=5, length=10, validate_content=True, **hook).readall() == b"5678901234"
    # The SDK validates only when the service answers the range's MD5, so check it was there.
    assert seen == [base64.b64encode(hashlib.md5(b"5678901234").digest()).decode()]
    assert blob.download_blob(validate_content=True).readall() == b"0123456789" * 1000
    status, headers, _ = raw_request(storage.blob_port, "GET", f"/{DEV_ACCOUNT}/fid/a.bin",
                                     headers={"x-ms-range": "bytes=0-4194304", "x-ms-range-get-content-md5": "true"})
    assert (status, headers.get("x-ms-error-code")) == (400, "OutOfRangeInput")


# --- 3. Routing by comp -----------------------------------------------------------------------

def test_queue_acl_on_a_missing_queue_creates_nothing(storage):
    queue = QueueClient.from_connection_string(storage.connection_string(), "absent")
    with pytest.raises(ResourceNotFoundError):
        queue.set_queue_access_policy({"p": QueueAccessPolicy(permission=QueueSasPermissions(read=True), expiry=hours(1))})
    with pytest.raises(ResourceNotFoundError):
        queue.get_queue_properties()
    status, headers, _ = raw_request(storage.queue_port, "PUT", f"/{DEV_ACCOUNT}/absent?comp=bogus")
    assert (status, headers.get("x-ms-error-code")) == (400, "InvalidQueryParameterValue")
    with pytest.raises(ResourceNotFoundError):
        queue.get_queue_properties()


def test_unknown_comp_on_containers_and_blobs(storage):
    container(storage).upload_blob("a.bin", b"a")
    for method, path in [("PUT", "/fid?restype=container&comp=bogus"), ("GET", "/fid/a.bin?comp=bogus")]:
        status, headers, _ = raw_request(storage.blob_port, method, f"/{DEV_ACCOUNT}{path}")
        assert (status, headers.get("x-ms-error-code")) == (400, "InvalidQueryParameterValue"), path
    status, headers, _ = raw_request(storage.blob_port, "PUT", f"/{DEV_ACCOUNT}/fid/a.bin?comp=lease")
    assert (status, headers.get("x-ms-error-code")) == (501, "NotImplemented")


# --- 4. SAS response overrides ----------------------------------------------------------------

def test_sas_response_header_overrides(storage):
    container(storage).upload_blob("report.bin", b"a,b\n1,2\n", content_settings=ContentSettings(content_type="application/octet-stream"))
    sas = generate_blob_sas(
        DEV_ACCOUNT, "fid", "report.bin", account_key=DEV_KEY, permission=BlobSasPermissions(read=True), expiry=hours(1),
        cache_control="no-store", content_disposition="attachment; filename=report.csv", content_encoding="identity",
        content_language="en-GB", content_type="text/csv",
    )
    blob = BlobClient.from_blob_url(f"{storage.blob_url}/fid/report.bin?{sas}")
    for properties in (blob.get_blob_properties(), blob.download_blob().properties):
        settings = properties.content_settings
        assert settings.content_type == "text/csv"
        assert settings.content_disposition == "attachment; filename=report.csv"
        assert settings.cache_control == "no-store"
        assert settings.content_encoding == "identity"
        assert settings.content_language == "en-GB"


# --- 5. Get Account Information on container and blob URLs --------------------------------------

def test_account_information_on_container_and_blob_urls(storage):
    data = container(storage)
    blob = data.upload_blob("a.bin", b"a")
    for client in (data, blob):
        assert client.get_account_information()["account_kind"] == "StorageV2"
    sas = generate_container_sas(DEV_ACCOUNT, "fid", account_key=DEV_KEY, permission=ContainerSasPermissions(read=True), expiry=hours(1))
    assert ContainerClient.from_container_url(f"{storage.blob_url}/fid?{sas}").get_account_information()["sku_name"] == "Standard_LRS"


# --- 6. Stored access policies ----------------------------------------------------------------

def test_container_acl_round_trip_and_limit(storage):
    data = container(storage)
    start, expiry = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1, tzinfo=timezone.utc)
    data.set_container_access_policy({
        "readers": AccessPolicy(permission=ContainerSasPermissions(read=True, list=True), start=start, expiry=expiry),
        "writers": AccessPolicy(permission=ContainerSasPermissions(write=True)),
    })
    answer = data.get_container_access_policy()
    assert answer["public_access"] is None
    identifiers = {i.id: i.access_policy for i in answer["signed_identifiers"]}
    assert set(identifiers) == {"readers", "writers"}
    assert identifiers["readers"].permission == "rl"
    # The SDK hands the times back as Azure writes them: ISO 8601 with seven fractional digits.
    assert identifiers["readers"].start == "2026-01-01T00:00:00.0000000Z"
    assert identifiers["readers"].expiry == "2030-01-01T00:00:00.0000000Z"
    assert identifiers["writers"].permission == "w" and identifiers["writers"].expiry is None
    # The SDK itself stops at five; a sixth sent anyway is refused and changes nothing.
    six = "".join(f"<SignedIdentifier><Id>p{i}</Id><AccessPolicy><Permission>r</Permission></AccessPolicy></SignedIdentifier>" for i in range(6))
    status, headers, _ = raw_request(storage.blob_port, "PUT", f"/{DEV_ACCOUNT}/fid?restype=container&comp=acl",
                                     f"<SignedIdentifiers>{six}</SignedIdentifiers>".encode(), {"Content-Type": "application/xml"})
    assert (status, headers.get("x-ms-error-code")) == (400, "InvalidXmlDocument")
    assert len(data.get_container_access_policy()["signed_identifiers"]) == 2
    data.set_container_access_policy({})
    assert data.get_container_access_policy()["signed_identifiers"] == []


def test_container_sas_with_a_stored_policy_and_its_revocation(storage):
    data = container(storage)
    data.upload_blob("a.bin", b"a")
    data.set_container_access_policy({"edge-7": AccessPolicy(permission=ContainerSasPermissions(read=True, list=True), expiry=hours(1))})
    sas = generate_container_sas(DEV_ACCOUNT, "fid", account_key=DEV_KEY, policy_id="edge-7")
    device = ContainerClient.from_container_url(f"{storage.blob_url}/fid?{sas}")
    assert [b.name for b in device.list_blobs()] == ["a.bin"]
    assert device.download_blob("a.bin").readall() == b"a"
    refused(lambda: device.upload_blob("b.bin", b"b"), 403, "AuthorizationPermissionMismatch")
    # A field in both the SAS and the policy is refused (Azure: 400).
    both = generate_container_sas(DEV_ACCOUNT, "fid", account_key=DEV_KEY, policy_id="edge-7", permission="r")
    with pytest.raises(HttpResponseError) as conflict:
        ContainerClient.from_container_url(f"{storage.blob_url}/fid?{both}").download_blob("a.bin").readall()
    assert conflict.value.status_code == 400
    # Expiry only in the SAS, permissions only in the policy: allowed.
    data.set_container_access_policy({"edge-7": AccessPolicy(permission=ContainerSasPermissions(read=True))})
    split = generate_container_sas(DEV_ACCOUNT, "fid", account_key=DEV_KEY, policy_id="edge-7", expiry=hours(1))
    assert ContainerClient.from_container_url(f"{storage.blob_url}/fid?{split}").download_blob("a.bin").readall() == b"a"
    with pytest.raises(ClientAuthenticationError):  # the policy has no expiry and the SAS neither
        device.download_blob("a.bin").readall()
    data.set_container_access_policy({})
    with pytest.raises(ClientAuthenticationError) as revoked:
        ContainerClient.from_container_url(f"{storage.blob_url}/fid?{split}").download_blob("a.bin").readall()
    assert revoked.value.status_code == 403 and revoked.value.error_code == "AuthenticationFailed"


def test_queue_acl_and_queue_sas_with_a_stored_policy(storage):
    owner = QueueClient.from_connection_string(storage.connection_string(), "jobs")
    owner.create_queue()
    owner.set_queue_access_policy({"edge-7": QueueAccessPolicy(permission=QueueSasPermissions(add=True, process=True), expiry=hours(1))})
    policies = owner.get_queue_access_policy()
    assert set(policies) == {"edge-7"} and policies["edge-7"].permission == "ap"
    sas = generate_queue_sas(DEV_ACCOUNT, "jobs", DEV_KEY, policy_id="edge-7")
    device = QueueClient(storage.queue_url, "jobs", credential=sas)
    device.send_message("hello")
    assert [m.content for m in device.receive_messages()] == ["hello"]
    refused(lambda: device.peek_messages(), 403, "AuthorizationPermissionMismatch")
    owner.set_queue_access_policy({})
    with pytest.raises(ClientAuthenticationError) as revoked:
        device.send_message("again")
    assert revoked.value.error_code == "AuthenticationFailed"
    assert storage.alive()
