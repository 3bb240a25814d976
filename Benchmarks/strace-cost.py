#!/usr/bin/env python3
# What strace costs a real client: the whole-run wall time of the same C program (Clients/client.c
# as pipelab builds it into its cache: run `pipelab run --client c` once first), traced by strace
# as pipelab traces it and untraced, interleaved, against a peer that reads once and closes.
#
#   python3 Benchmarks/strace-cost.py [RUNS]      # RUNS of each, default 100
import os, socket, statistics, subprocess, sys, threading, time, glob
client = glob.glob(os.path.expanduser("~/.cache/pipelab/clients/c-*/client"))[0]
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(16); port = srv.getsockname()[1]
def peer():
    while True:
        c, _ = srv.accept(); c.recv(1024); c.close()
threading.Thread(target=peer, daemon=True).start()
env = dict(os.environ, PIPELAB_HOST="127.0.0.1", PIPELAB_PORT=str(port), PIPELAB_SENDS="3", PIPELAB_PAYLOAD_BYTES="5",
           PIPELAB_SLEEP_NS="10000000", PIPELAB_INTERVAL_NS="0")
strace = ["strace", "-f", "-ttt", "-T", "-qq", "-s", "0", "-e",
          "trace=connect,write,writev,sendto,sendmsg,shutdown,close,rt_sigaction,rt_sigprocmask,clone,clone3,fork,vfork",
          "-e", "signal=SIGPIPE", "-o", "/tmp/stracecost.trace", "--"]
def once(cmd):
    t = time.perf_counter_ns()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, restore_signals=False)
    return time.perf_counter_ns() - t
n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
plain, traced = [], []
for _ in range(n):  # interleaved, so drift of the machine's load falls on both alike
    plain.append(once([client])); traced.append(once(strace + [client]))
mp, mt = statistics.median(plain), statistics.median(traced)
print(f"c client, {n} runs each (sleep 10ms, 3 sends): untraced median {mp/1e6:.2f} ms, traced {mt/1e6:.2f} ms, "
      f"{mt/mp:.1f}x; traced minus untraced {(mt-mp)/1e6:.2f} ms")
