#!/usr/bin/env python3
"""Seeds a running Latchkey server through its public API for the search benchmark.

Creates COMPANIES companies under the bootstrap reseller (multipart POST /api/companies, the
contract's form) and CLIENTS REST API clients in the first of them (POST /api/companies/clients
with X-KEEPNET-Company-Id), half active and half inactive. Prints a JSON line with the token and
the clients' company id for the load generator. Standard library only.
"""
import http.client
import json
import os
import secrets
import string
import sys
import threading
import time
import urllib.parse

BASE = sys.argv[1]
CREDS = json.load(open(sys.argv[2]))
COMPANIES = int(os.environ.get("COMPANIES", "10000"))
CLIENTS = int(os.environ.get("CLIENTS", "1000"))
THREADS = int(os.environ.get("SEED_THREADS", "4"))
url = urllib.parse.urlsplit(BASE)


def connection():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise SystemExit(f"{method} {path} -> {response.status}: {data[:300]!r}")
    return json.loads(data) if data else None


conn = connection()
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CREDS["clientId"],
                               "client_secret": CREDS["clientSecret"], "scope": "api1"})
token = request(conn, "POST", "/connect/token", form, {"Content-Type": "application/x-www-form-urlencoded"})["access_token"]
auth = {"Authorization": f"Bearer {token}"}


def lookups(type_id):
    return request(conn, "GET", f"/api/lookups/{type_id}", headers=auth)["data"]


industries, countries, licenses, periods = lookups(2), lookups(1), lookups(3), lookups(4)
zones = request(conn, "GET", "/api/timezone/timezones", headers=auth)["data"]


def text(v):
    return v if isinstance(v, str) else (v.get("name") or v.get("id") or v.get("value"))


def multipart(fields):
    boundary = "latchkeybench" + secrets.token_hex(8)
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def company_fields(i):
    return [
        ("Name", f"Company {i:05d}"),
        ("IndustryResourceId", industries[i % len(industries)]["resourceId"]),
        ("CountryResourceId", countries[i % len(countries)]["resourceId"]),
        ("LicenseTypeResourceId", licenses[i % len(licenses)]["resourceId"]),
        ("LicensePeriodTypeResourceId", periods[i % len(periods)]["resourceId"]),
        ("NumberOfUsers", str(50 + (i * 37) % 5000)),
        ("IsNumberOfUsersLimited", "true" if i % 3 else "false"),
        ("LicenseEndDate", f"20{27 + i % 3}-{1 + i % 12:02d}-15"),
        ("TimeZoneId", zones["timeZoneList"][i % len(zones["timeZoneList"])]["id"]),
        ("DateFormat", text(zones["dateFormatList"][0])),
        ("TimeFormat", text(zones["timeFormatList"][0])),
        ("Tags", ["gold", "silver", "bronze"][i % 3]),
    ]


def run_parallel(total, work):
    errors = []

    def worker(start):
        c = connection()
        try:
            for i in range(start, total, THREADS):
                work(c, i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"seeding failed: {errors[0]}")


first_company = {}


def create_company(c, i):
    body, content_type = multipart(company_fields(i))
    data = request(c, "POST", "/api/companies", body, {**auth, "Content-Type": content_type})["data"]
    if i == 0:
        first_company["id"] = data["resourceId"]


started = time.time()
create_company(conn, 0)
run_parallel(COMPANIES - 1, lambda c, i: create_company(c, i + 1))
companies_s = time.time() - started

alphabet = string.ascii_letters + string.digits


def create_client(c, i):
    body = json.dumps({
        "name": f"Client {i:04d}", "clientId": f"benchclient{i:05d}",
        "clientSecret": "".join(secrets.choice(alphabet) for _ in range(43)),
        "statusId": 1 if i % 2 == 0 else 0, "hasIpAddressRestriction": False,
        "roleResourceIdList": ["RoleCompAdmn"],
    })
    request(c, "POST", "/api/companies/clients", body,
            {**auth, "Content-Type": "application/json", "X-KEEPNET-Company-Id": first_company["id"]})


started = time.time()
run_parallel(CLIENTS, create_client)
clients_s = time.time() - started
print(json.dumps({"token": token, "clientsCompany": first_company["id"],
                  "companiesSeconds": round(companies_s, 1), "clientsSeconds": round(clients_s, 1)}))
