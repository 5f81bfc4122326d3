"""Audit the locks for known vulnerabilities, and never print a pass that checked nothing.

Two checks, each proven able to see before it is believed:

1. **pip-audit** (PyPI's vulnerability data, or OSV) over every pin of the lock. A *canary*
   is audited first: `django==3.2.0`, which has dozens of published advisories. If the canary
   is not flagged — the service is unreachable, or answers without data, or skips the package
   (what these machines' PyPI mirror does) — the online audit *could not run*, and says so
   instead of pip-audit's "No known vulnerabilities found".
2. **An offline database** shipped by a registry package: the newest one we can install is
   `safety-db` (its date is printed; it is years old, so it only catches old advisories). It
   must flag the same canary, then it checks every pin.

Exit status: 1 when either check finds a vulnerability in the lock; 1 when the online audit
could not run, unless `AUDIT_OFFLINE_OK=1` (CI on machines without vulnerability data sets
it, and the warning is printed all the same); 0 otherwise.

It reads `requirements-dev.lock`, which holds every pin of `requirements.lock` (the runtime)
and the test tools besides (tests/security/test_dependency_locks.py keeps the two in step).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-dev.lock"  # a superset: the runtime pins and the test tools
CANARY = "django==3.2.0"
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


def pins(lock: Path) -> dict[str, str]:
    """Return {name: version} for every `name==version` line of a pip-compile lock."""
    found = {}
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        exact = [s.version for s in requirement.specifier if s.operator == "=="]
        if exact:
            found[requirement.name.lower()] = exact[0]
    return found


def pip_audit(requirements: str) -> tuple[list[dict], str]:
    """Run pip-audit on `requirements` text; return its dependencies and any error text."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        file.write(requirements)
    try:
        done = subprocess.run(
            [str(PIP_AUDIT), "-r", file.name, "--no-deps", "--disable-pip",
             "--progress-spinner", "off", "--format", "json", "--timeout", "20"],
            capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [], f"pip-audit did not run: {exc}"
    finally:
        os.unlink(file.name)
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        lines = (done.stderr or done.stdout or "").strip().splitlines()
        return [], lines[-1] if lines else "no output"
    return report.get("dependencies", []), ""


def online_audit(locked: dict[str, str]) -> tuple[str, list[str]]:
    """Return (state, findings): state is "ran" or why it could not run."""
    canary, error = pip_audit(CANARY + "\n")
    if error or not canary or not canary[0].get("vulns"):
        why = error or (canary[0].get("skip_reason") if canary else "") or "no advisories"
        return f"no vulnerability data reachable (canary {CANARY} not flagged: {why})", []
    dependencies, error = pip_audit("".join(f"{n}=={v}\n" for n, v in sorted(locked.items())))
    if error:
        return f"pip-audit failed on the lock: {error}", []
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    if len(skipped) == len(dependencies):
        return f"every package was skipped ({len(skipped)})", []
    findings = [f"{d['name']} {d['version']}: {v['id']} (fixed in "
                f"{', '.join(v.get('fix_versions') or ['nothing yet'])})"
                for d in dependencies for v in d.get("vulns", [])]
    findings += [f"{name}: not audited (skipped)" for name in skipped]
    return "ran", findings


def offline_database() -> tuple[dict, str]:
    """Return safety-db's full database and its date."""
    # Found, not imported: the package's __init__ opens its data by a relative path and fails.
    spec = importlib.util.find_spec("safety_db")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("offline audit could not run: the safety-db package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "insecure_full.json"
    database = json.loads(path.read_text())
    stamp = database.get("$meta", {}).get("timestamp", 0)
    return database, dt.datetime.fromtimestamp(stamp, dt.UTC).date().isoformat()


def offline_findings(database: dict, locked: dict[str, str]) -> list[str]:
    """Return the advisories of `database` that match a pinned version."""
    findings = []
    for name, version in sorted(locked.items()):
        try:
            pinned = Version(version)
        except InvalidVersion:
            continue
        for advisory in database.get(name, []):
            for spec in advisory.get("specs", []):
                try:
                    hit = pinned in SpecifierSet(spec)
                except InvalidSpecifier:
                    continue
                if hit:
                    findings.append(f"{name} {version}: {advisory.get('cve') or advisory['id']}"
                                    f" ({spec})")
                    break
    return findings


def main() -> int:
    """Run both audits; print what each checked; return the exit status."""
    locked = pins(LOCK)
    failed = False
    state, findings = online_audit(locked)
    if state == "ran":
        print(f"audit (pip-audit): {len(locked)} pins checked, {len(findings)} findings")
    else:
        print(f"audit could not run: {state}. This is NOT a pass: nothing was checked online.")
    for finding in findings:
        print(f"  VULNERABLE {finding}")
    failed |= bool(findings)

    database, date = offline_database()
    age = (dt.date.today() - dt.date.fromisoformat(date)).days // 365
    canary_name, canary_version = CANARY.split("==")
    if not offline_findings(database, {canary_name: canary_version}):
        print(f"offline audit could not run: safety-db ({date}) does not flag {CANARY}")
        failed = True
    else:
        offline = offline_findings(database, locked)
        print(f"offline audit (safety-db of {date}, about {age} years old: old advisories "
              f"only): {len(locked)} pins checked, {len(offline)} findings")
        for finding in offline:
            print(f"  VULNERABLE {finding}")
        failed |= bool(offline)

    if failed:
        return 1
    if state != "ran":
        if os.environ.get("AUDIT_OFFLINE_OK") == "1":
            print("audit: AUDIT_OFFLINE_OK=1 — going on without the online audit (warning)")
            return 0
        print("audit: set AUDIT_OFFLINE_OK=1 to accept the offline audit alone")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
