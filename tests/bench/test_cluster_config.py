"""The proxy configuration in deploy/ is the one the several-hosts test runs, and is valid."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bench.cluster.cluster import haproxy_config
from bench.cluster.netns import Network
from tests.support.stack import ROOT


def test_deploy_haproxy_cfg_is_the_tested_configuration_for_one_machine():
    expected = haproxy_config(bind="127.0.0.1:8000", public_host="127.0.0.1",
                              servers=["127.0.0.1:8001", "127.0.0.1:8002"])
    assert (ROOT / "deploy" / "haproxy.cfg").read_text() == expected


@pytest.mark.cluster  # needs Debian's HAProxy, as the several-hosts test does
def test_haproxy_accepts_the_configuration():
    haproxy = shutil.which("haproxy")
    assert haproxy, "HAProxy is not installed (apt-get install -y haproxy)"
    result = subprocess.run([haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_host_runs_in_its_namespace_under_its_own_hostname():
    network = Network(prefix="dsc", subnet="10.77.0")
    assert network.command("work1", ["celery", "worker"]) == [
        "ip", "netns", "exec", "dsc-work1", "unshare", "--uts", "--", "sh", "-c",
        'hostname "$0" && exec "$@"', "work1", "celery", "worker"]
    assert network.command("db", ["pg_ctl"], hostname=False) == [
        "ip", "netns", "exec", "dsc-db", "pg_ctl"]
