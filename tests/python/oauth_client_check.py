#!/usr/bin/env python3
"""Check a running Latchkey server with independent, off-the-shelf OAuth 2.0 / JWT libraries.

The Rust tests check the server with our own code; this script checks it the way
a third-party client would: discovery document, client_credentials token
requests through requests-oauthlib (client_secret_post and client_secret_basic),
access-token verification with PyJWT against the published JWKS, a bearer call
to the REST API, and rejection of a token whose signature was altered.

It is started as a subprocess by a Rust integration test. Configuration comes
from the environment:

  BASE_URL                    server root, e.g. http://127.0.0.1:41234   (required)
  CLIENT_ID                   client id of an existing client            (required)
  CLIENT_SECRET               its secret                                 (required)
  EXPECT_COMPANY_RESOURCE_ID  expected `user_company_resourceid` claim   (required)
  EXPECT_AUDIENCE             expected `aud` of access tokens            (default: api1)

Prints `ok: ...` lines on stdout and exits 0 when every check passes; on the
first failure prints `FAIL: ...` on stderr and exits 1.
"""

import argparse
import base64
import json
import os
import sys
import time
import traceback
import urllib.parse

SCOPE = "api1"
HTTP_TIMEOUT = 10  # seconds, for every request this script makes
ALGORITHMS = ["ES256", "RS256", "EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]


class Failure(Exception):
    """A check did not hold; the message says which and why."""


def ok(msg):
    print(f"ok: {msg}", flush=True)


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise Failure(f"environment variable {name} is required (see --help)")
    return value


def b64url_decode(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def tamper_signature(token):
    """Return `token` with one byte of its decoded signature changed."""
    header, payload, signature = token.split(".")
    sig = bytearray(b64url_decode(signature))
    assert len(sig) > 0, "token has an empty signature"
    sig[len(sig) // 2] ^= 0x01
    tampered = ".".join([header, payload, b64url_encode(bytes(sig))])
    assert tampered != token, "tampering did not change the token"
    return tampered


def check_discovery(requests, base_url):
    url = f"{base_url}/.well-known/openid-configuration"
    r = requests.get(url, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"GET {url}: HTTP {r.status_code}, want 200: {r.text[:500]}"
    doc = r.json()
    assert isinstance(doc, dict), f"discovery document is not a JSON object: {doc!r}"
    for key in ("issuer", "token_endpoint", "jwks_uri"):
        assert isinstance(doc.get(key), str) and doc[key], f"discovery: missing or empty {key!r}: {doc!r}"
    grants = doc.get("grant_types_supported")
    assert isinstance(grants, list) and "client_credentials" in grants, (
        f"discovery: grant_types_supported must contain client_credentials, got {grants!r}"
    )
    methods = doc.get("token_endpoint_auth_methods_supported")
    assert isinstance(methods, list), (
        f"discovery: token_endpoint_auth_methods_supported must be a list, got {methods!r}"
    )
    for method in ("client_secret_post", "client_secret_basic"):
        assert method in methods, f"discovery: token_endpoint_auth_methods_supported lacks {method}: {methods!r}"
    ok(f"discovery: issuer={doc['issuer']} token_endpoint={doc['token_endpoint']} jwks_uri={doc['jwks_uri']}")
    return doc


def fetch_token(client_id, client_secret, token_url, method):
    """Fetch a token with requests-oauthlib; `method` is client_secret_post or client_secret_basic.

    Returns (session holding the token, raw JSON body of the token response).
    """
    from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session

    seen = {}

    def capture(response):
        # oauthlib normalises the body (scope becomes a list, expires_in is
        # re-parsed), so keep the raw response for exact checks.
        seen["response"] = response
        return response

    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id), scope=[SCOPE])
    session.register_compliance_hook("access_token_response", capture)
    try:
        if method == "client_secret_post":
            session.fetch_token(
                token_url,
                client_id=client_id,
                client_secret=client_secret,
                include_client_id=True,
                timeout=HTTP_TIMEOUT,
            )
        elif method == "client_secret_basic":
            session.fetch_token(token_url, auth=HTTPBasicAuth(client_id, client_secret), timeout=HTTP_TIMEOUT)
        else:
            raise ValueError(method)
    except OAuth2Error as exc:
        response = seen.get("response")
        detail = f"HTTP {response.status_code}: {response.text[:500]}" if response is not None else "no response"
        raise Failure(f"{method}: token request to {token_url} failed ({exc.error}): {detail}") from exc

    response = seen.get("response")
    assert response is not None, f"{method}: no token response was seen"
    assert response.status_code == 200, f"{method}: token endpoint HTTP {response.status_code}: {response.text[:500]}"

    # Make sure the library really used the authentication method under test.
    sent_auth = response.request.headers.get("Authorization", "")
    sent_body = urllib.parse.parse_qs(response.request.body or "")
    if method == "client_secret_post":
        assert not sent_auth, f"{method}: request unexpectedly carried an Authorization header"
        assert sent_body.get("client_secret") == [client_secret], f"{method}: client_secret not in form body"
    else:
        assert sent_auth.startswith("Basic "), f"{method}: request had no Basic Authorization header"
        assert "client_secret" not in sent_body, f"{method}: client_secret unexpectedly in form body"

    body = response.json()
    assert body.get("token_type") == "Bearer", f"{method}: token_type {body.get('token_type')!r}, want 'Bearer'"
    expires_in = body.get("expires_in")
    assert isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0, (
        f"{method}: expires_in must be a positive JSON integer, got {expires_in!r}"
    )
    assert body.get("scope") == SCOPE, f"{method}: scope {body.get('scope')!r}, want {SCOPE!r}"
    assert isinstance(body.get("permissions"), list), (
        f"{method}: permissions must be a list, got {body.get('permissions')!r}"
    )
    token = body.get("access_token")
    assert isinstance(token, str) and token.count(".") == 2, f"{method}: access_token is not a compact JWS: {token!r}"
    assert session.token.get("access_token") == token, f"{method}: session did not keep the issued token"
    ok(f"token via {method}: token_type=Bearer expires_in={expires_in} scope={SCOPE} permissions={len(body['permissions'])}")
    return session, body


def verify_jwt(jwt, token, jwks_client, issuer, audience, expect, label):
    header = jwt.get_unverified_header(token)
    assert header.get("typ") == "at+jwt", f"{label}: JWT header typ {header.get('typ')!r}, want 'at+jwt'"
    assert header.get("kid"), f"{label}: JWT header has no kid: {header!r}"
    assert header.get("alg") in ALGORITHMS, f"{label}: unexpected JWT alg {header.get('alg')!r}"

    try:
        signing_key = jwks_client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise Failure(f"{label}: PyJWT rejected the access token: {type(exc).__name__}: {exc}") from exc

    assert claims.get("client_id") == expect["client_id"], (
        f"{label}: client_id claim {claims.get('client_id')!r}, want {expect['client_id']!r}"
    )
    assert claims.get("user_company_resourceid") == expect["company"], (
        f"{label}: user_company_resourceid claim {claims.get('user_company_resourceid')!r}, "
        f"want {expect['company']!r}"
    )
    for claim in ("role", "reseller_access", "company_admin_access", "root_access"):
        assert claim in claims, f"{label}: claim {claim!r} missing from {sorted(claims)}"
    now = time.time()
    assert claims["exp"] > now, f"{label}: token already expired (exp={claims['exp']}, now={now:.0f})"
    assert claims["iat"] <= now + 60, f"{label}: iat {claims['iat']} lies in the future"
    lifetime = claims["exp"] - claims["iat"]
    assert abs(lifetime - expect["expires_in"]) <= 5, (
        f"{label}: exp-iat={lifetime} does not match expires_in={expect['expires_in']}"
    )
    ok(f"jwt ({label}) verified with PyJWT: alg={header['alg']} kid={header['kid']} aud={claims['aud']} sub={claims['sub']}")
    return claims


def check_api_call(session, base_url):
    url = f"{base_url}/api/companies/my"
    r = session.get(url, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"GET {url} with bearer token: HTTP {r.status_code}, want 200: {r.text[:500]}"
    body = r.json()
    assert body.get("isSuccess") is True, f"GET {url}: isSuccess is {body.get('isSuccess')!r}, want true: {body!r}"
    assert body.get("status") == "SUCCESS", f"GET {url}: status {body.get('status')!r}, want 'SUCCESS'"
    assert isinstance(body.get("data"), list), f"GET {url}: data must be a list, got {body.get('data')!r}"
    ok(f"GET /api/companies/my with bearer token: 200, {len(body['data'])} compan(y/ies)")


def check_tampered(jwt, requests, token, jwks_client, issuer, audience, base_url):
    bad = tamper_signature(token)
    signing_key = jwks_client.get_signing_key_from_jwt(bad)
    try:
        jwt.decode(bad, signing_key.key, algorithms=ALGORITHMS, audience=audience, issuer=issuer)
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("PyJWT accepted a token whose signature was altered")
    ok("tampered token rejected by PyJWT (InvalidSignatureError)")

    url = f"{base_url}/api/companies/my"
    r = requests.get(url, headers={"Authorization": f"Bearer {bad}"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 401, f"GET {url} with tampered token: HTTP {r.status_code}, want 401: {r.text[:500]}"
    challenge = r.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer"), (
        f"GET {url} with tampered token: WWW-Authenticate {challenge!r}, want it to start with 'Bearer'"
    )
    ok(f"tampered token rejected by the server: 401, WWW-Authenticate: {challenge}")


def run():
    base_url = env("BASE_URL").rstrip("/")
    client_id = env("CLIENT_ID")
    client_secret = env("CLIENT_SECRET")
    company = env("EXPECT_COMPANY_RESOURCE_ID")
    audience = env("EXPECT_AUDIENCE", "api1")

    if base_url.startswith("http://"):
        # The server under test listens on plain-HTTP loopback; oauthlib refuses
        # non-TLS URLs unless told otherwise.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    # Treat a token response without token_type as an error, not a default.
    os.environ["OAUTHLIB_STRICT_TOKEN_TYPE"] = "1"

    import jwt
    import requests

    doc = check_discovery(requests, base_url)
    issuer = doc["issuer"]
    jwks_client = jwt.PyJWKClient(doc["jwks_uri"], cache_keys=False, timeout=HTTP_TIMEOUT)

    last_session, last_token = None, None
    for method in ("client_secret_post", "client_secret_basic"):
        session, body = fetch_token(client_id, client_secret, doc["token_endpoint"], method)
        expect = {"client_id": client_id, "company": company, "expires_in": body["expires_in"]}
        verify_jwt(jwt, body["access_token"], jwks_client, issuer, audience, expect, method)
        last_session, last_token = session, body["access_token"]

    check_api_call(last_session, base_url)
    check_tampered(jwt, requests, last_token, jwks_client, issuer, audience, base_url)
    ok("all OAuth client checks passed")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args()
    try:
        run()
    except (AssertionError, Failure) as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # network errors, bad JSON, library errors: all are failures
        traceback.print_exc()
        print(f"FAIL: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
