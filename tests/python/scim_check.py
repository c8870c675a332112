"""Runs scim2-tester against a running Latchkey SCIM service.

Environment: SCIM_URL (the integration's baseUrl), SCIM_TOKEN (its bearer token).
Every check must succeed; a check may be skipped only for a feature the server's
ServiceProviderConfig declares unsupported. Prints a summary line
'scim2-tester: N passed, N failed, N skipped' and exits non-zero on any failure.
"""

import os
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

# Skips that follow from what /ServiceProviderConfig says (bulk, sort, etag, password changes
# are declared unsupported) or from the server not searching all resource types at once
# (RFC 7644 §3.4.3 lets it answer 501).
ALLOWED_SKIPS = ("not supported by the server", "several resource types at once")


def main() -> int:
    url = os.environ["SCIM_URL"]
    token = os.environ["SCIM_TOKEN"]
    http = Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
    scim = SyncSCIMClient(http)
    scim.discover()
    results = check_server(scim, raise_exceptions=False)
    passed = [r for r in results if r.status == Status.SUCCESS]
    skipped = [r for r in results if r.status == Status.SKIPPED]
    failed = [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    bad_skips = [
        r for r in skipped if not any(a in (r.reason or "") for a in ALLOWED_SKIPS)
    ]
    for r in failed:
        print(f"FAILED {r.resource_type or ''} {r.title}: {r.reason}", file=sys.stderr)
    for r in bad_skips:
        print(f"UNEXPECTED SKIP {r.resource_type or ''} {r.title}: {r.reason}", file=sys.stderr)
    for r in skipped:
        print(f"skipped {r.resource_type or ''} {r.title}: {r.reason}")
    print(
        f"scim2-tester: {len(passed)} passed, {len(failed) + len(bad_skips)} failed, "
        f"{len(skipped)} skipped"
    )
    return 1 if failed or bad_skips else 0


if __name__ == "__main__":
    sys.exit(main())
