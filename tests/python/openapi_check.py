#!/usr/bin/env python3
"""Validates Latchkey's OpenAPI document with openapi-spec-validator, an independent
implementation of the OpenAPI 3.1 schema. Env: BASE_URL. Exit 0 when valid."""
import json
import os
import sys
import urllib.request

from openapi_spec_validator import validate

base = os.environ["BASE_URL"].rstrip("/")
with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as response:
    document = json.load(response)
try:
    validate(document)
except Exception as error:  # noqa: BLE001 - report whatever the validator found
    print(f"FAIL: /openapi.json is not a valid OpenAPI document: {error}", file=sys.stderr)
    sys.exit(1)
print(f"ok: OpenAPI {document['openapi']} with {len(document['paths'])} paths is valid")
