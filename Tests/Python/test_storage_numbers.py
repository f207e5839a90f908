"""Numbers from the wire against `edgefactor storage`: every numeric query parameter and header
takes extreme values; each gets Azure's answer (2xx, or 4xx with an error code), never a crash,
and the service keeps serving what it stored."""
import http.client
from datetime import datetime, timedelta, timezone

from azure.storage.queue import QueueClient, QueueSasPermissions, generate_queue_sas

from storage_support import DEV_ACCOUNT, DEV_KEY, raw_request, storage  # noqa: F401
from test_storage_bad_input import assert_intact, seed

EXTREMES = ["-1", "0", "1", "-0", "1.5", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "99999999999999999999999", "1e300", "NaN", "abc", "", "%20", "0x10", "+5"]


def check(storage, response, what):
    status, headers, _ = response
    assert storage.alive(), f"{what} stopped the service:\n{storage.server.output()}"
    assert status < 500, (what, status, headers.get("x-ms-error-code"))
    if status >= 400:
        assert headers.get("x-ms-error-code"), (what, status)


def test_huge_message_ttl_with_an_add_only_sas_saturates(storage):
    queue, container = seed(storage)
    sas = generate_queue_sas(DEV_ACCOUNT, "safe", DEV_KEY, permission=QueueSasPermissions(add=True),
                             expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    client = QueueClient(storage.queue_url, "safe", credential=sas)
    sent = client.send_message("far future", time_to_live=10**16)
    assert sent.expires_on.year == 9999  # saturated at the never-expiring time, like -1
    never = client.send_message("never", time_to_live=-1)
    assert never.expires_on.year == 9999
    assert storage.alive(), storage.server.output()
    owner = QueueClient.from_connection_string(storage.connection_string(), "safe")
    assert sorted(m.content for m in owner.peek_messages(max_messages=32)) == ["far future", "keep me", "never"]
    owner.clear_messages()
    owner.send_message("keep me")
    assert_intact(storage, queue, container)


def test_every_numeric_field_takes_extreme_values(storage):
    queue, container = seed(storage)
    q, b = storage.queue_port, storage.blob_port
    message_id = "00000000-0000-0000-0000-000000000000"
    for value in EXTREMES:
        v = value.replace("%", "%25").replace("+", "%2B")
        queue_requests = [
            ("POST", f"/{DEV_ACCOUNT}/safe/messages?messagettl={v}", b"<QueueMessage><MessageText>n</MessageText></QueueMessage>"),
            ("POST", f"/{DEV_ACCOUNT}/safe/messages?visibilitytimeout={v}", b"<QueueMessage><MessageText>n</MessageText></QueueMessage>"),
            ("POST", f"/{DEV_ACCOUNT}/safe/messages?visibilitytimeout={v}&messagettl={v}", b"<QueueMessage><MessageText>n</MessageText></QueueMessage>"),
            ("GET", f"/{DEV_ACCOUNT}/safe/messages?numofmessages={v}&peekonly=true", b""),
            ("GET", f"/{DEV_ACCOUNT}/safe/messages?visibilitytimeout={v}&numofmessages=32", b""),
            ("PUT", f"/{DEV_ACCOUNT}/safe/messages/{message_id}?popreceipt=AAAA&visibilitytimeout={v}", b""),
            ("GET", f"/{DEV_ACCOUNT}?comp=list&maxresults={v}", b""),
            ("GET", f"/{DEV_ACCOUNT}/safe?comp=metadata&timeout={v}", b""),
        ]
        for method, path, body in queue_requests:
            check(storage, raw_request(q, method, path, body, {"Content-Type": "application/xml"}), f"{method} {path}")
        blob_requests = [
            ("GET", f"/{DEV_ACCOUNT}?comp=list&maxresults={v}", b"", {}),
            ("GET", f"/{DEV_ACCOUNT}/safe?restype=container&comp=list&maxresults={v}", b"", {}),
            ("GET", f"/{DEV_ACCOUNT}/safe/keep.bin", b"", {"x-ms-range": f"bytes={value}-{value}"}),
            ("GET", f"/{DEV_ACCOUNT}/safe/keep.bin", b"", {"x-ms-range": f"bytes=0-{value}"}),
            ("GET", f"/{DEV_ACCOUNT}/safe/keep.bin", b"", {"Range": f"bytes={value}-"}),
            ("HEAD", f"/{DEV_ACCOUNT}/safe/keep.bin?timeout={v}", b"", {}),
            ("GET", f"/{DEV_ACCOUNT}/safe?restype=container&timeout={v}", b"", {}),
        ]
        for method, path, body, headers in blob_requests:
            check(storage, raw_request(b, method, path, body, headers), f"{method} {path} {headers}")
    # Declared lengths no client could send: refused (the HTTP parser may just close), never a crash.
    for length in ["-1", "9223372036854775807", "99999999999999999999999", "1e3"]:
        try:
            status, _, _ = raw_request(b, "PUT", f"/{DEV_ACCOUNT}/safe/len.bin", b"", {"x-ms-blob-type": "BlockBlob", "Content-Length": length})
            assert status >= 400 and status < 500, (length, status)
        except (http.client.HTTPException, ConnectionError):
            pass
        assert storage.alive(), storage.server.output()
    # SAS times at the edges of what ISO 8601 allows.
    for start, expiry in [("0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"), ("", "99999-01-01T00:00:00Z"), ("", "2026-13-45T25:61:61Z")]:
        query = f"sv=2024-11-04&sr=b&sp=r&se={expiry}&st={start}&sig=AAAA"
        check(storage, raw_request(b, "GET", f"/{DEV_ACCOUNT}/safe/keep.bin?{query}", signed=False), f"SAS {query}")
    # The add-only queue SAS that once crashed the service, by hand.
    sas = generate_queue_sas(DEV_ACCOUNT, "safe", DEV_KEY, permission=QueueSasPermissions(add=True),
                             expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    for ttl in ["10000000000000000", "9223372036854775807"]:
        response = raw_request(q, "POST", f"/{DEV_ACCOUNT}/safe/messages?messagettl={ttl}&{sas}",
                               b"<QueueMessage><MessageText>n</MessageText></QueueMessage>", {"Content-Type": "application/xml"}, signed=False)
        check(storage, response, f"messagettl={ttl}")
        assert response[0] == 201, response
    QueueClient.from_connection_string(storage.connection_string(), "safe").clear_messages()
    QueueClient.from_connection_string(storage.connection_string(), "safe").send_message("keep me")
    assert_intact(storage, queue, container)
