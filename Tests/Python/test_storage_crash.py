"""kill -9 the storage service in the middle of a stream of sends; after a restart on the same
data directory every acknowledged message is there exactly once."""
import threading
import time

from azure.core.exceptions import AzureError, ServiceRequestError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient

from storage_support import start_storage


def test_kill_9_during_sends_loses_no_acknowledged_message(edgefactor_bin, tmp_path):
    data = tmp_path / "data"
    first = start_storage(edgefactor_bin, data, tmp_path / "first.log")
    cs = first.connection_string()
    QueueClient.from_connection_string(cs, "crash").create_queue()
    container = BlobServiceClient.from_connection_string(cs).create_container("crash")

    acknowledged: list[str] = []
    blobs: list[str] = []
    stop = threading.Event()

    def sender(worker: int) -> None:
        # No retries: a send counts only if this very request was acknowledged.
        queue = QueueClient.from_connection_string(cs, "crash", retry_total=0)
        n = 0
        while not stop.is_set() and n < 20_000:
            text = f"w{worker}-m{n}"
            try:
                queue.send_message(text)
            except (AzureError, ServiceRequestError, OSError):
                return
            acknowledged.append(text)
            n += 1

    def uploader() -> None:
        client = BlobServiceClient.from_connection_string(cs, retry_total=0).get_container_client("crash")
        n = 0
        while not stop.is_set() and n < 2_000:
            name = f"b{n}"
            try:
                client.upload_blob(name, name.encode() * 1000)
            except (AzureError, OSError):
                return
            blobs.append(name)
            n += 1

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(4)] + [threading.Thread(target=uploader)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()  # SIGKILL while the senders are mid-request
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 300, first.server.output()

    second = start_storage(edgefactor_bin, data, tmp_path / "second.log", first.blob_port, first.queue_port)
    try:
        queue = QueueClient.from_connection_string(second.connection_string(), "crash")
        seen: list[str] = []
        while True:
            batch = list(queue.receive_messages(messages_per_page=32, max_messages=32, visibility_timeout=600))
            if not batch:
                break
            seen += [m.content for m in batch]
        missing = set(acknowledged) - set(seen)
        assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
        assert len(seen) == len(set(seen)), "a message came back twice"
        restored = BlobServiceClient.from_connection_string(second.connection_string()).get_container_client("crash")
        for name in blobs:
            assert restored.download_blob(name).readall() == name.encode() * 1000
    finally:
        second.server.stop()
