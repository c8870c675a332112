#!/usr/bin/env python3
"""Writes the per-country defaults of GET /api/lookups/country-timezones into migration 0010.

The company form suggests a date format, time format, language and time zone from the
country picked. Those conventions come from the Unicode CLDR (through Babel) and the ITU
calling codes (through phonenumbers), not from anyone's memory; this script is how the seeded
rows were made, and re-running it with the same versions gives the same files:

    python3 -m venv /tmp/cldr && /tmp/cldr/bin/pip install babel==2.18.0 phonenumbers==9.0.43
    /tmp/cldr/bin/python scripts/gen-country-defaults.py

It reads the countries, languages, date and time formats and time zones from migration 0002,
so every value it writes is one the company form accepts, and fails if a multi-zone country
has no chosen zone below.
"""

import pathlib
import re
import sys

import babel
import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.languages import get_official_languages

ROOT = pathlib.Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "crates/store/migrations"
REFERENCE = (MIGRATIONS / "sqlite/0002_reference_data.sql").read_text(encoding="utf-8")

# Countries spanning several zones: the zone of the capital or of most of the population.
PRIMARY_ZONE = {
    "AR": "America/Argentina/Buenos_Aires", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
    "CA": "America/Toronto", "CD": "Africa/Kinshasa", "CL": "America/Santiago",
    "CN": "Asia/Shanghai", "CY": "Asia/Nicosia", "DE": "Europe/Berlin", "EC": "America/Guayaquil",
    "ES": "Europe/Madrid", "FM": "Pacific/Pohnpei", "GL": "America/Nuuk", "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa", "KZ": "Asia/Almaty", "MH": "Pacific/Majuro", "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti", "PG": "Pacific/Port_Moresby", "PS": "Asia/Hebron", "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow", "UA": "Europe/Kyiv", "UM": "Pacific/Wake", "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}
# Territories without a population of their own: no zone to suggest.
NO_ZONE = {"AQ", "BV", "HM"}


def sql(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def block(type_id):
    """(resource id, name, code) of the lookups of one code type in migration 0002."""
    return re.findall(rf"\('(\w{{12}})', {type_id}, '((?:[^']|'')*)', '([^']*)'", REFERENCE)


countries = block(1)
languages = {code: (rid, name) for rid, name, code in block(21)}
date_formats = {code for _, _, code in block(102)}
time_formats = {code for _, _, code in block(103)}
zones = set(re.findall(r"\('([A-Za-z_/+\-0-9]+)', '\(UTC", REFERENCE))
territory_zones = get_global("territory_zones")


def locale_of(cc):
    """The locale CLDR thinks most likely for the territory, or international English."""
    try:
        return Locale.parse(f"und_{cc}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_001")


def date_format(locale):
    """The short date pattern reduced to one of the platform's formats: field order first."""
    pattern = locale.date_formats["short"].pattern
    order = "".join(ch for ch in pattern if ch in "dMy")
    order = re.sub(r"(.)\1+", r"\1", order)
    separator = next((ch for ch in pattern if ch in "/.-"), "/")
    if order.startswith("y"):
        choice = "yyyy/MM/dd" if separator == "/" else "yyyy-MM-dd"
    elif order.startswith("M"):
        choice = "MM/dd/yyyy"
    else:
        choice = {"/": "dd/MM/yyyy", ".": "dd.MM.yyyy", "-": "dd-MM-yyyy"}[separator]
    assert choice in date_formats, choice
    return choice


def zone_of(cc):
    if cc in NO_ZONE:
        return None
    if cc in PRIMARY_ZONE:
        zone = PRIMARY_ZONE[cc]
    else:
        candidates = [z for z in territory_zones.get(cc, []) if z in zones]
        if len(candidates) != 1:
            sys.exit(f"{cc}: pick its primary zone among {candidates} in PRIMARY_ZONE")
        zone = candidates[0]
    assert zone in zones, zone
    return zone


rows = []
for _, name, cc in countries:
    locale = locale_of(cc)
    twelve_hour = any(ch in "hK" for ch in locale.time_formats["short"].pattern)
    time_format = "hh:mm tt" if twelve_hour else "HH:mm"
    assert time_format in time_formats
    spoken = [l for l in get_official_languages(cc, de_facto=True) if l in languages]
    language = spoken[0] if spoken else "en"
    calling = phonenumbers.country_code_for_region(cc)
    rows.append(
        f"    ({sql(cc)}, {sql(date_format(locale))}, {sql(time_format)}, "
        f"{sql('12h' if twelve_hour else '24h')}, {sql(f'+{calling}' if calling else None)}, "
        f"{sql(languages[language][0])}, {sql(zone_of(cc))})"
    )

HEADER = f"""-- Per-country defaults the company form suggests (GET /api/lookups/country-timezones): date
-- and time format, 12- or 24-hour clock, calling code, language and time zone. Generated by
-- scripts/gen-country-defaults.py from CLDR (Babel {babel.__version__}) and phonenumbers
-- {phonenumbers.__version__}; every value is one the company form accepts (see 0002). Do not edit by
-- hand: change the script and run it again.
"""
# The same on both backends: only text columns, which both spell TEXT.
TABLE = """CREATE TABLE country_defaults (
    country_code         TEXT PRIMARY KEY,
    date_format          TEXT NOT NULL,
    time_format          TEXT NOT NULL,
    clock_format         TEXT NOT NULL,
    phone_code           TEXT,
    language_resource_id TEXT NOT NULL REFERENCES lookups (resource_id),
    time_zone_id         TEXT REFERENCES time_zones (id)
);
"""
INSERT = (
    "\nINSERT INTO country_defaults (country_code, date_format, time_format, clock_format, "
    "phone_code, language_resource_id, time_zone_id) VALUES\n" + ",\n".join(rows) + ";\n"
)
for backend in ("sqlite", "postgres"):
    path = MIGRATIONS / backend / "0010_country_defaults.sql"
    path.write_text(HEADER + "\n" + TABLE + INSERT, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({len(rows)} countries)")
