#!/usr/bin/env python3
"""Prints the SQL that writes one batch of synthetic target users straight into the database.

    people_seed.py COMPANY_ID FIRST LAST BASE_MILLIS

Users FIRST..LAST (inclusive) of company COMPANY_ID, in one INSERT ... SELECT that the database
generates itself (a recursive CTE over the numbers, joined to small name lists), wrapped in one
transaction: no client round trip per row, so the time it takes is the database's insert rate
with every index and trigger of `target_users` (the trigram index, the counts). The same SQL
text runs on SQLite and PostgreSQL.

User n: first name n % 97, last name (n / 97) % 211 of the lists below (20,467 name pairs),
email `First.Lastn@domain` (mixed case; `email_folded` lower-cased), department n % 23,
priority 1 + n % 5, status Inactive for n % 20 == 0, else Deleted for n % 33 == 0, else Active
(about 5% and 3%), created 30 s apart from BASE_MILLIS and never changed since.
Standard library only.
"""
import sys

FIRST = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew
Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca
Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela
Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha
Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet
José Zoë Søren Ethan Olivia""".split()

LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans
Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez
Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks
Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long
Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes
Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin
Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford
Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen
Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw
Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar
Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart
Ray Müller Ström Nowak""".split()

DEPARTMENTS = [
    "Sales", "Marketing", "Finance", "Human Resources", "Engineering", "Research & Development",
    "Customer Support", "Legal", "Operations", "IT", "Security", "Procurement", "Logistics",
    "Facilities", "Product", "Design", "Quality Assurance", "Data", "Training", "Executive",
    "Public Relations", "Internal Audit", "Manufacturing",
]

DOMAINS = ["acme.example", "acme-corp.example", "mail.acme.example", "acme.co.example", "acme.eu.example"]

assert (len(FIRST), len(LAST), len(DEPARTMENTS)) == (97, 211, 23), (len(FIRST), len(LAST))


def values(names):
    return ", ".join(f"({i}, '{n}')" for i, n in enumerate(names))


def main():
    company, first, last, base = (int(a) for a in sys.argv[1:5])
    print(f"""BEGIN;
WITH RECURSIVE s(n) AS (SELECT CAST({first} AS BIGINT) UNION ALL SELECT n + 1 FROM s WHERE n < {last}),
first_names(i, name) AS (VALUES {values(FIRST)}),
last_names(i, name) AS (VALUES {values(LAST)}),
departments(i, name) AS (VALUES {values(DEPARTMENTS)}),
domains(i, name) AS (VALUES {values(DOMAINS)})
INSERT INTO target_users (resource_id, company_id, email, email_folded, first_name, last_name,
    department, priority, status_id, create_time, update_time)
SELECT 'bench-' || n, {company}, email, LOWER(email), first_name, last_name, department,
    1 + n % 5, status_id, t, t
FROM (SELECT s.n, f.name AS first_name, l.name AS last_name, d.name AS department,
        f.name || '.' || l.name || s.n || '@' || m.name AS email,
        CASE WHEN s.n % 20 = 0 THEN 0 WHEN s.n % 33 = 0 THEN 2 ELSE 1 END AS status_id,
        {base} + s.n * 30000 AS t
      FROM s
      JOIN first_names f ON f.i = s.n % 97
      JOIN last_names l ON l.i = (s.n / 97) % 211
      JOIN departments d ON d.i = s.n % 23
      JOIN domains m ON m.i = s.n % 5) x;
COMMIT;""")


main()
