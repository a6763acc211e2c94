"""A local run listens on loopback only, on every socket of every Ray process it starts, and starts no idle worker."""

import ipaddress
import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

PROBE = textwrap.dedent(
    """
    import json, time, psutil
    from experiments.ray_start import ray_session
    for dashboard in (False, True):
        with ray_session(None, 1, None, dashboard=dashboard):
            time.sleep(3)  # let the agents and the dashboard open their ports
            processes = [psutil.Process(), *psutil.Process().children(recursive=True)]
            listening, commands = set(), []
            for process in processes:
                try:
                    connections = process.net_connections(kind="inet")
                    commands.append(" ".join(process.cmdline()))
                except psutil.Error:
                    continue
                listening |= {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}
            dashboards = sum(command.startswith("ray-dashboard-") for command in commands)  # its web modules
            idle = sum(command.startswith("ray::IDLE") for command in commands)
            print(json.dumps({"dashboard": dashboard, "processes": len(processes), "listening": sorted(listening),
                              "dashboards": dashboards, "idle_workers": idle}))
    """
)


def test_local_ray_binds_only_to_loopback_starts_its_dashboard_only_when_asked_and_no_idle_worker(short_tmp):
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=180,
        env={"RAY_TMPDIR": short_tmp, "PATH": "/usr/bin:/bin", "HOME": short_tmp},
    )
    assert done.returncode == 0, done.stderr
    without, with_dashboard = [json.loads(line) for line in done.stdout.strip().splitlines() if line.startswith("{")]
    assert without["dashboards"] == 0 and with_dashboard["dashboards"] > 0
    for probe in (without, with_dashboard):
        assert probe["processes"] > 3  # gcs, raylet, agents, workers were really inspected
        assert probe["idle_workers"] == 0, "Ray started workers no trial uses"
        assert probe["listening"], "nothing was listening"
        for ip in probe["listening"]:
            address = ipaddress.ip_address(ip)
            address = getattr(address, "ipv4_mapped", None) or address
            assert address.is_loopback, f"listening on {ip}"
