#!/usr/bin/env python3
"""docs/report.md's JSON schema against a real report: the members each table or list names
are exactly the members socctl writes (the top level, systems[], requirements[], evidence[]),
and every member of gaps[], alerts and inputs is documented. Prints one line per difference
and "schema as documented" when there is none; exits 1 on a difference.

usage: report_doc_check.py docs/report.md REPORT.json
"""
import json
import re
import sys

IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def names(text):
    """The member names written in backticks in `text` (values like `"live"` or `[{...}]` are not)."""
    return {t for t in re.findall(r"`([^`]*)`", text) if IDENT.match(t)}


def table(lines, start):
    """The first cells' names of the markdown table that follows line `start`."""
    out, i = set(), start + 1
    while i < len(lines) and not lines[i].startswith("|"):
        i += 1
    for line in lines[i + 2:]:
        if not line.startswith("|"):
            break
        out |= names(line.split("|")[1])
    return out


def paragraph(lines, prefix):
    """The names of the paragraph starting with `prefix`, without the prefix itself."""
    i = next(k for k, l in enumerate(lines) if l.startswith(prefix))
    text = []
    for line in lines[i:]:
        if not line.strip():
            break
        text.append(line)
    return names(" ".join(text)[len(prefix):])


def main():
    doc_path, report_path = sys.argv[1:]
    lines = open(doc_path, encoding="utf-8").read().splitlines()
    r = json.load(open(report_path, encoding="utf-8"))
    at = lambda heading: next(k for k, l in enumerate(lines) if l.startswith(heading))
    system = r["systems"][0]
    requirement = system["requirements"][0]
    evidence = next(e for s in r["systems"] for q in s["requirements"] for e in q["evidence"])
    exact = [
        ("top level", table(lines, at("## JSON")), set(r)),
        ("systems[]", paragraph(lines, "`systems[]`:"), set(system)),
        ("systems[].requirements[]", table(lines, at("`systems[].requirements[]`")), set(requirement)),
        ("evidence[]", table(lines, at("`evidence[]`")), set(evidence)),
    ]
    within = [
        ("gaps[]", paragraph(lines, "`gaps[]`:"), set(r["gaps"][0]) if r["gaps"] else set()),
        ("alerts", paragraph(lines, "`alerts`:"), set(r["alerts"])),
        ("inputs", names(next(l for l in lines if l.startswith("| `inputs`"))), set(r["inputs"])),
    ]
    problems = []
    for what, documented, real in exact:
        problems += [f"{what}: {m} is written but not documented" for m in sorted(real - documented)]
        problems += [f"{what}: {m} is documented but not written" for m in sorted(documented - real)]
    for what, documented, real in within:
        problems += [f"{what}: {m} is written but not documented" for m in sorted(real - documented)]
    for p in problems:
        print(p)
    print("schema as documented" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
