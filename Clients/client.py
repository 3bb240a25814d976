# pipelab's Python client, the seed of the project: socket.send with the disposition CPython sets at
# start-up (SIGPIPE ignored), so a failing send raises an OSError subclass. One JSON line per send on
# stdout; the environment it reads is described in Clients/README.md.
import json
import os
import socket
import sys
import time


def report(line):
    print(json.dumps(line), flush=True)


host, port = os.environ["PIPELAB_HOST"], int(os.environ["PIPELAB_PORT"])
sends = int(os.environ.get("PIPELAB_SENDS", "3"))
payload = b"\0" * int(os.environ.get("PIPELAB_PAYLOAD_BYTES", "5"))
sleep_s = int(os.environ.get("PIPELAB_SLEEP_NS", "0")) / 1e9
interval_s = int(os.environ.get("PIPELAB_INTERVAL_NS", "0")) / 1e9

sock = socket.create_connection((host, port))
for n in range(1, sends + 1):
    if n == 2:
        time.sleep(sleep_s)
    elif n > 2 and interval_s > 0:
        time.sleep(interval_s)
    try:
        report({"send": n, "ok": True, "bytes": sock.send(payload)})
    except OSError as error:
        report({"send": n, "ok": False, "error": type(error).__name__, "errno": error.errno, "message": str(error)})
sock.close()
report({"end": "returned"})
sys.exit(0)
