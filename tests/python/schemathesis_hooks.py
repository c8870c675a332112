"""Schemathesis hooks for schemathesis_check.py: keep the run from destroying its own access.

The run authenticates as one REST API client. Among the operations it explores are
`PUT /api/companies/clients/{resourceId}` and `DELETE /api/companies/clients/{resourceId}`,
and its stateful phase learns client ids from `POST /api/companies/clients/search`: sooner or
later it deactivates, restricts or deletes the very client whose token it sends, and every
later request is a 401 that tests nothing. Requests that name a protected id (env
PROTECTED_IDS, comma-separated) in their path are sent with an id that exists nowhere instead;
the operations stay in the run for every other id.
"""
import os

import schemathesis

PROTECTED = {i for i in os.environ.get("PROTECTED_IDS", "").split(",") if i}
# A well-formed resource id that names nothing: the request still exercises the operation.
ELSEWHERE = "zzzzzzzzzzzz"


@schemathesis.hook
def before_call(context, case, **kwargs):
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if str(value) in PROTECTED:
            params[name] = ELSEWHERE
