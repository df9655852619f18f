#!/usr/bin/env python3
"""200 SSE clients on one pool: what they cost `agentpool serve` and the write path.

    console-sse-bench.py AGENTPOOL_BINARY AGENTPOOL_BENCH_BINARY [--clients 200] [--sends 2000] [--rounds 3] [--sender-cpu N]

Starts `serve` on a fresh pool, measures the send rate of another process (agentpool-bench's
`--child send-rate`: sequential PoolHandle.send on the same file) with no stream open, then with
N clients following /api/pools/review/stream, alternating rounds; reads the server's RSS
(/proc/PID/status VmRSS) idle and with the clients; checks every client received every record.
Prints one JSON line, with the CPU time the server and the clients (this script's threads) used
per round: figures that hold when the machine is busy, unlike the rates. Not part of CI's test run (it takes a minute or two).
"""
import json
import selectors
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def cpu_seconds(pid):
    """User + system CPU time the process has used (/proc/PID/stat, clock ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    """One SSE client on a raw socket: counts `id:` lines and remembers the last one's seq."""

    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, port), timeout=120)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.sock.setblocking(False)
        self.events, self.last, self.ready = 0, 0, threading.Event()
        # The bytes after the last newline read, from that newline on: a line read in two parts.
        self.carry = b""

    def receive(self, chunk):
        data = self.carry + chunk
        end = data.rfind(b"\n")
        if end < 0:
            self.carry = data
            return
        # why bytes.count, not a loop over lines: 200 clients at thousands of events a second
        # must cost this script far less than the server it measures (one shared core).
        whole, self.carry = data[:end + 1], data[end:]
        if not self.ready.is_set() and b": agentpool" in whole:
            self.ready.set()
        self.events += whole.count(b"\nid: ")
        at = whole.rfind(b"\nid: ")
        if at >= 0:
            self.last = int(whole[at + 5:whole.index(b"\n", at + 5)])


class Clients(threading.Thread):
    """Every client's socket read by one thread with a selector."""

    def __init__(self, clients):
        super().__init__(daemon=True)
        self.selector = selectors.DefaultSelector()
        for client in clients:
            self.selector.register(client.sock, selectors.EVENT_READ, client)
        self.open, self.stopped = len(clients), False

    def run(self):
        while self.open and not self.stopped:
            for key, _ in self.selector.select(timeout=1):
                try:
                    chunk = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self.selector.unregister(key.fileobj)
                    self.open -= 1
                    continue
                key.data.receive(chunk)


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
        without, with_clients, server_cpu, clients_cpu = [], [], [], []
        clients = []
        peak_rss = idle_rss
        for _ in range(rounds):
            without.append(send_rate())
            head = json.loads(subprocess.run([binary, "--db", db, "snapshot", "review"], capture_output=True, text=True).stdout)["cursor"]
            clients = [Client(host, port, f"/api/pools/review/stream?after={head}") for _ in range(clients_n)]
            reader = Clients(clients)
            reader.start()
            for client in clients:
                if not client.ready.wait(60):
                    sys.exit("a client never got its stream")
            connected_rss = rss_kib(server.pid)
            server_before, clients_before = cpu_seconds(server.pid), time.process_time()
            with_clients.append(send_rate())
            peak_rss = max(peak_rss, connected_rss, rss_kib(server.pid))
            final = json.loads(subprocess.run([binary, "--db", db, "snapshot", "review"], capture_output=True, text=True).stdout)["cursor"]
            deadline = time.monotonic() + 120
            while any(c.last < final for c in clients):
                if time.monotonic() > deadline:
                    sys.exit(f"clients behind: {sorted(c.last for c in clients)[:3]} < {final}")
                time.sleep(0.05)
            server_cpu.append(cpu_seconds(server.pid) - server_before)
            clients_cpu.append(time.process_time() - clients_before)
            expected = final - head
            if any(c.events != expected for c in clients):
                sys.exit(f"a client missed records: {set(c.events for c in clients)} != {expected}")
            reader.stopped = True
            reader.join(5)
            for client in clients:
                client.sock.close()
            print(f"round: {without[-1]:.0f} sends/s without, {with_clients[-1]:.0f} with {clients_n} clients; "
                  f"RSS {connected_rss / 1024:.1f} MiB connected; CPU for the {sends} records: server "
                  f"{server_cpu[-1]:.2f} s, clients {clients_cpu[-1]:.2f} s", file=sys.stderr, flush=True)
        base, loaded = statistics.median(without), statistics.median(with_clients)
        print(json.dumps({
            "clients": clients_n, "sends_per_round": sends, "rounds": rounds,
            "sends_per_second_without_clients": round(base), "sends_per_second_with_clients": round(loaded),
            "slowdown_percent": round((base - loaded) / base * 100, 1),
            "server_rss_idle_mib": round(idle_rss / 1024, 1), "server_rss_with_clients_mib": round(peak_rss / 1024, 1),
            "every_client_got_every_record": True,
            # CPU seconds used while the sender ran and until every client had every record.
            "server_cpu_seconds_per_round": round(statistics.median(server_cpu), 3),
            "clients_cpu_seconds_per_round": round(statistics.median(clients_cpu), 3),
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
