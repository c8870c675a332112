#!/usr/bin/env python3
"""Slow-client flood against a running Latchkey on the loopback: opens N connections that send
an unfinished request head and then nothing, checks /healthz from another address while they
hang, and reports how many the server closed at once (refused over a cap), how many it held,
and when it dropped those.

    python3 bench/slow_clients.py --port 18480 --connections 1100 [--sources 1]

--sources spreads the connections over 127.0.0.1, 127.0.0.2, ... (per-address caps); the
/healthz check comes from 127.0.1.1, an address the flood does not use. Bounded: it gives up
after --wait seconds.
"""

import argparse
import http.client
import selectors
import socket
import time

HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"


def healthz(port, source):
    try:
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=5, source_address=(source, 0)
        )
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        return f"{response.status} {body}"
    except OSError as e:
        return f"failed: {e.__class__.__name__}: {e}"
    except http.client.HTTPException as e:
        return f"failed: {e.__class__.__name__}: {e}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--sources", type=int, default=1)
    parser.add_argument("--wait", type=float, default=60.0)
    args = parser.parse_args()

    selector = selectors.DefaultSelector()
    opened = {}
    closed = []  # seconds from opening to the server's close
    failed_connect = 0
    start = time.monotonic()

    def collect(timeout):
        for key, _ in selector.select(timeout=timeout):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            if data:
                continue  # a response (e.g. 408) before the close
            closed.append(time.monotonic() - opened.pop(s))
            selector.unregister(s)
            s.close()

    for i in range(args.connections):
        source = f"127.0.0.{1 + i % args.sources}"
        s = socket.socket()
        try:
            s.bind((source, 0))
            s.connect(("127.0.0.1", args.port))
            s.sendall(HEAD)
        except OSError:
            failed_connect += 1
            s.close()
            continue
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
        opened[s] = time.monotonic()
        collect(0)
    print(
        f"opened {len(opened) + len(closed)} connections in {time.monotonic() - start:.2f} s"
        f" ({failed_connect} failed to connect)"
    )

    collect(0.2)
    print(f"closed by the server while opening: {len(closed)}")
    print(f"held once all were opened: {len(opened)}")
    print(f"/healthz from 127.0.1.1 while they hang: {healthz(args.port, '127.0.1.1')}")
    print(f"/healthz from 127.0.0.1 while they hang: {healthz(args.port, '127.0.0.1')}")
    refused = len(closed)
    deadline = time.monotonic() + args.wait
    while opened and time.monotonic() < deadline:
        collect(0.2)

    held = sorted(closed[refused:])
    if held:
        print(
            f"held connections dropped after {held[0]:.2f} s (first),"
            f" {held[len(held) // 2]:.2f} s (median), {held[-1]:.2f} s (last)"
        )
    print(f"still open after {args.wait:.0f} s: {len(opened)}")
    print(f"/healthz from 127.0.0.1 afterwards: {healthz(args.port, '127.0.0.1')}")
    try:
        conn = http.client.HTTPConnection(
            "127.0.0.1", args.port, timeout=5, source_address=("127.0.1.1", 0)
        )
        conn.request("GET", "/metrics")
        for line in conn.getresponse().read().decode().splitlines():
            if line.startswith("latchkey_http_connections") or line.startswith(
                "latchkey_http_body_timeouts"
            ):
                print(f"metrics: {line}")
    except (OSError, http.client.HTTPException) as e:
        print(f"metrics unavailable: {e}")
    for s in list(opened):
        s.close()


if __name__ == "__main__":
    main()
