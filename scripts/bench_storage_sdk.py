#!/usr/bin/env python3
"""The official Azure Storage SDK's side of `edgefactor-bench storage` (the reference rows).

  bench_storage_sdk.py queue CONNECTION_STRING SECONDS WORKERS
      Put / Get / Delete Message cycles with 1 KiB messages from WORKERS threads for SECONDS;
      prints {"cyclesPerSecond": …, "sdkVersion": …}.
  bench_storage_sdk.py blob CONNECTION_STRING SIZE COUNT CONTAINER
      Uploads COUNT blobs of SIZE bytes with upload_blob (the SDK's defaults: up to 64 MiB in one
      Put Blob), prints "uploaded", waits for a line on standard input (the benchmark reads the
      service's CPU time in between), downloads them with download_blob().readall(); prints
      {"upload": MB/s, "download": MB/s, "uploadCPU": s, "downloadCPU": s}.

The benchmark runs it with the project's .venv interpreter; the last line printed is the result.
"""
import json
import os
import sys
import threading
import time


def queue(cs, seconds, workers):
    import azure.storage.queue as q
    from azure.storage.queue import QueueClient

    payload = "x" * 1024
    QueueClient.from_connection_string(cs, "pybench").create_queue()
    counts = [0] * workers
    stop = time.monotonic() + seconds

    def work(i):
        client = QueueClient.from_connection_string(cs, "pybench")
        while time.monotonic() < stop and counts[i] < 1_000_000:
            client.send_message(payload)
            message = client.receive_message()
            if message is not None:
                client.delete_message(message)
            counts[i] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cycles = sum(counts) / (time.monotonic() - start)
    print(json.dumps({"cyclesPerSecond": cycles, "sdkVersion": q.__version__}))


def blob(cs, size, count, name):
    from azure.storage.blob import BlobServiceClient

    container = BlobServiceClient.from_connection_string(cs).get_container_client(name)
    if not container.exists():
        container.create_container()
    data = os.urandom(size)
    t0, c0 = time.monotonic(), time.process_time()
    for i in range(count):
        container.upload_blob(f"blob-{i}", data, overwrite=True)
    up, up_cpu = size * count / 1e6 / (time.monotonic() - t0), time.process_time() - c0
    print("uploaded", flush=True)
    sys.stdin.readline()
    t0, c0 = time.monotonic(), time.process_time()
    for i in range(count):
        assert len(container.download_blob(f"blob-{i}").readall()) == size
    down, down_cpu = size * count / 1e6 / (time.monotonic() - t0), time.process_time() - c0
    print(json.dumps({"upload": up, "download": down, "uploadCPU": up_cpu, "downloadCPU": down_cpu}))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "queue":
        queue(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 6 and sys.argv[1] == "blob":
        blob(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)
