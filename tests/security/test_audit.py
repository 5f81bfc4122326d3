"""The dependency audit can say "could not run", and its offline database sees the canary."""

from __future__ import annotations

import importlib.util

from tests.support.stack import ROOT

spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_skipped_canary_means_the_online_audit_could_not_run(monkeypatch):
    monkeypatch.setattr(audit, "pip_audit", lambda text: (
        [{"name": "django", "skip_reason": "Dependency not found on PyPI"}], ""))
    state, findings = audit.online_audit({"django": "5.2.0"})
    assert state.startswith("no vulnerability data reachable") and findings == []


def test_an_online_audit_that_skips_every_package_is_no_pass(monkeypatch):
    answers = iter([
        ([{"name": "django", "version": "3.2.0", "vulns": [{"id": "CVE-1"}]}], ""),
        ([{"name": "django", "skip_reason": "x"}, {"name": "numpy", "skip_reason": "x"}], ""),
    ])
    monkeypatch.setattr(audit, "pip_audit", lambda text: next(answers))
    state, _ = audit.online_audit({"django": "5.2.0", "numpy": "2.0.0"})
    assert state.startswith("every package was skipped")


def test_the_offline_database_flags_the_canary_and_reads_the_lock():
    database, date = audit.offline_database()
    assert date >= "2021-01-01"
    assert audit.offline_findings(database, {"django": "3.2.0"})
    assert audit.offline_findings(database, {"django": "99.0"}) == []
    locked = audit.pins(ROOT / "requirements.lock")
    assert "django" in locked and len(locked) > 50
