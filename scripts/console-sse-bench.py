#!/usr/bin/env python3
"""200 SSE clients on one pool: what they cost `agentpool serve` and the write path.

    console-sse-bench.py AGENTPOOL_BINARY AGENTPOOL_BENCH_BINARY [--clients 200] [--sends 2000] [--rounds 3] [--sender-cpu N]

Starts `serve` on a fresh pool, measures the send rate of another process (agentpool-bench's
`--child send-rate`: sequential PoolHandle.send on the same file) with no stream open, then with
N clients following /api/pools/review/stream, alternating rounds; reads the server's RSS
(/proc/PID/status VmRSS) idle and with the clients; checks every client received every record.
Prints one JSON line. Not part of CI's test run (it takes a minute or two).
"""
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client(threading.Thread):
    """One SSE client on a raw socket: counts `id:` lines, remembers the last."""

    def __init__(self, host, port, path):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=120)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.events, self.last, self.ready = 0, 0, threading.Event()

    def run(self):
        buffer = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                if b": agentpool" in buffer:
                    self.ready.set()
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.startswith(b"id: "):
                        self.events += 1
                        self.last = int(line[4:])
        except OSError:
            return


def main():
    args = sys.argv[1:]
    binary, bench = args[0], args[1]
    option = lambda name, default: int(args[args.index(name) + 1]) if name in args else default
    clients_n, sends, rounds = option("--clients", 200), option("--sends", 2000), option("--rounds", 3)
    sender_cpu = option("--sender-cpu", None)
    work = tempfile.mkdtemp(prefix="agentpool-sse-bench-")
    db = f"{work}/bench.sqlite"
    subprocess.run([binary, "--db", db, "open", "review"], check=True, capture_output=True)
    server = subprocess.Popen([binary, "--db", db, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = json.loads(server.stdout.readline())["url"]
        host, port = url.removeprefix("http://").rsplit(":", 1)
        port = int(port)

        run_number = [0]

        def send_rate():
            run_number[0] += 1
            # --sender-cpu N: the sender alone on core N (run the script itself under `taskset -c M`),
            # so that what is measured is the store path, not the CPU the clients and the server take.
            pin = ["taskset", "-c", str(sender_cpu)] if sender_cpu is not None else []
            out = subprocess.run([*pin, bench, "--child", "send-rate", db, "review", str(sends), f"sender-{run_number[0]}"],
                                 check=True, capture_output=True, text=True, timeout=600).stdout
            return json.loads(out.strip().splitlines()[-1])["sends_per_second"]

        send_rate()  # warm-up: page cache, first-run costs
        idle_rss = rss_kib(server.pid)
        without, with_clients = [], []
        clients = []
        peak_rss = idle_rss
        for _ in range(rounds):
            without.append(send_rate())
            head = json.loads(subprocess.run([binary, "--db", db, "snapshot", "review"], capture_output=True, text=True).stdout)["cursor"]
            clients = [Client(host, port, f"/api/pools/review/stream?after={head}") for _ in range(clients_n)]
            for client in clients:
                client.start()
            for client in clients:
                if not client.ready.wait(60):
                    sys.exit("a client never got its stream")
            connected_rss = rss_kib(server.pid)
            with_clients.append(send_rate())
            peak_rss = max(peak_rss, connected_rss, rss_kib(server.pid))
            final = json.loads(subprocess.run([binary, "--db", db, "snapshot", "review"], capture_output=True, text=True).stdout)["cursor"]
            deadline = time.monotonic() + 120
            while any(c.last < final for c in clients):
                if time.monotonic() > deadline:
                    sys.exit(f"clients behind: {sorted(c.last for c in clients)[:3]} < {final}")
                time.sleep(0.05)
            expected = final - head
            if any(c.events != expected for c in clients):
                sys.exit(f"a client missed records: {set(c.events for c in clients)} != {expected}")
            for client in clients:
                client.sock.close()
            print(f"round: {without[-1]:.0f} sends/s without, {with_clients[-1]:.0f} with {clients_n} clients; "
                  f"RSS {connected_rss / 1024:.1f} MiB connected", file=sys.stderr, flush=True)
        base, loaded = statistics.median(without), statistics.median(with_clients)
        print(json.dumps({
            "clients": clients_n, "sends_per_round": sends, "rounds": rounds,
            "sends_per_second_without_clients": round(base), "sends_per_second_with_clients": round(loaded),
            "slowdown_percent": round((base - loaded) / base * 100, 1),
            "server_rss_idle_mib": round(idle_rss / 1024, 1), "server_rss_with_clients_mib": round(peak_rss / 1024, 1),
            "every_client_got_every_record": True,
            "rounds_without": [round(x) for x in without], "rounds_with": [round(x) for x in with_clients],
        }))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
