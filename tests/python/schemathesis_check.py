#!/usr/bin/env python3
"""Schemathesis against Latchkey's own OpenAPI document: every operation of /openapi.json is
called with data generated from its schemas (valid and invalid), and each answer must be no
server error (5xx) and must match the response schema the document declares for its status.

Env: BASE_URL, CLIENT_ID, CLIENT_SECRET (a reseller's REST API client: the token is sent as a
bearer header), MAX_EXAMPLES (cases per operation and phase, default 10), SEED (default fixed,
so a run can be repeated; set it to explore), KNOWN_IDS (comma-separated resource ids of
companies, groups, roles, users and clients the caller manages: half of the generated path ids
are drawn from them, so that operations on an existing resource get past their 404), REPORT
(keep schemathesis's NDJSON report at this path). Exit 0 when schemathesis found nothing: no
failed check and no errored scenario.

Excluded: nothing. The hooks in schemathesis_hooks.py only keep the run from changing or
deleting the client whose token it sends (see there).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

base = os.environ["BASE_URL"].rstrip("/")
client_id = os.environ["CLIENT_ID"]
secret = os.environ["CLIENT_SECRET"]
max_examples = os.environ.get("MAX_EXAMPLES", "10")
seed = os.environ.get("SEED", "20261123")

response = requests.post(
    f"{base}/connect/token",
    data={"grant_type": "client_credentials", "scope": "api1"},
    auth=(client_id, secret),
    timeout=10,
)
response.raise_for_status()
token = response.json()["access_token"]
headers = {"Authorization": f"Bearer {token}"}

# The client's own resource id, which the hooks protect.
page = requests.post(
    f"{base}/api/companies/clients/search",
    json={"pageSize": 1000},
    headers=headers,
    timeout=10,
).json()["data"]["results"]
protected = [row["resourceId"] for row in page if row.get("clientId") == client_id]
if not protected:
    print("FAIL: the client of CLIENT_ID is not among its own company's clients", file=sys.stderr)
    sys.exit(1)

here = os.path.dirname(os.path.abspath(__file__))
with tempfile.TemporaryDirectory() as work:
    report = os.environ.get("REPORT") or os.path.join(work, "report.ndjson")
    config = os.path.join(work, "schemathesis.toml")
    known = [i for i in os.environ.get("KNOWN_IDS", "").split(",") if i and i not in protected]
    with open(config, "w", encoding="utf-8") as f:
        if known:
            f.write("[dictionaries.known]\nvalues = [%s]\n\n" % ", ".join(json.dumps(i) for i in known))
            f.write("[parameters]\n")
            for name in ("resourceId", "userResourceId", "roleResourceId"):
                f.write('"path.%s" = { dictionary = "known", probability = 0.5 }\n' % name)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        config,
        "run",
        f"{base}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        max_examples,
        "--seed",
        seed,
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        report,
        "--no-color",
    ]
    env = dict(
        os.environ,
        SCHEMATHESIS_HOOKS=os.path.join(here, "schemathesis_hooks.py"),
        PROTECTED_IDS=",".join(protected),
    )
    started = time.monotonic()
    # Its working directory is the temporary one: nothing is left behind in the tree.
    run = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    operations, cases, failures, errors = set(), 0, 0, 0
    with open(report, encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            (kind, body), = event.items()
            if kind == "ScenarioFinished":
                recorder = body.get("recorder", {})
                label = recorder.get("label") or ""
                # Stateful scenarios are labelled otherwise; their calls are operations' too.
                if recorder.get("cases") and label.split(" ")[0].isupper():
                    operations.add(label)
                cases += len(recorder.get("cases", {}))
                failures += sum(
                    1
                    for checks in recorder.get("checks", {}).values()
                    for check in checks
                    if str(check.get("status")).lower() == "failure"
                )
                errors += body.get("status") == "error"
print(run.stdout[-20000:])
if run.stderr.strip():
    print(run.stderr[-5000:], file=sys.stderr)
print(
    f"schemathesis: {len(operations)} operations, {cases} cases, {failures} failed checks, "
    f"{errors} errors, "
    f"exit {run.returncode}, {seconds:.0f}s (seed {seed}, {max_examples} examples)"
)
sys.exit(0 if run.returncode == 0 and failures == 0 and errors == 0 else 1)
