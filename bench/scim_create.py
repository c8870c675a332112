#!/usr/bin/env python3
"""Creates N users through POST /scim/v2/Users on one keep-alive connection, one after the
other, as Entra ID provisions, and prints their latency percentiles in the RESULT format of the
wrk scripts (wrk cannot stop after N requests without waiting out its duration).

    scim_create.py HOST PORT TOKEN N

Each user is an Entra ID-shaped body with a unique userName. Standard library only: the
client's own cost per request (about 0.1 ms) is part of every figure.
"""
import http.client
import json
import sys
import time

host, port, token, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
prefix = f"one-{int(time.time())}"
conn = http.client.HTTPConnection(host, port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
latencies = []
failures = 0
start = time.perf_counter()
for i in range(n):
    name = f"{prefix}-{i}"
    body = json.dumps({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": name,
        "userName": f"{name}@idp.example",
        "active": True,
        "displayName": f"User {name}",
        "emails": [{"primary": True, "type": "work", "value": f"{name}@idp.example"}],
        "name": {"formatted": f"User {name}", "familyName": name, "givenName": "User"},
        ENTERPRISE: {"department": "Engineering"},
    })
    t0 = time.perf_counter()
    conn.request("POST", "/scim/v2/Users", body, headers)
    response = conn.getresponse()
    response.read()
    latencies.append(time.perf_counter() - t0)
    if response.status != 201:
        failures += 1
elapsed = time.perf_counter() - start
latencies.sort()


def pct(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000


print(
    f"RESULT requests={n} duration_s={elapsed:.2f} rps={n / elapsed:.1f} p50_ms={pct(50):.3f} "
    f"p90_ms={pct(90):.3f} p99_ms={pct(99):.3f} max_ms={latencies[-1] * 1000:.3f} non2xx={failures}"
)
