"""`ray up` / `ray submit` / `ray down` end to end, with Ray's `local` provider on 127.0.0.1.

The cluster launcher reaches its "head node" over SSH: the test starts its own sshd on
loopback with a throwaway key, for a login with its own home folder (uid 0, so it can
use this machine's Python). `ray down` runs `ray stop`, which ends every Ray process of
that uid, so this test runs alone: `make test` runs it after the rest of the suite
(`pytest -m launcher`). It needs Debian's openssh-server and rsync (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.launcher

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USER = "cnntune-launcher"
SSHD = Path("/usr/sbin/sshd")


def sh(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, **kwargs)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def ssh_login():
    """An SSH login on 127.0.0.1:22 for a throwaway user, and the key that opens it."""
    assert os.geteuid() == 0, "the launcher test creates a login and starts sshd: run it as root"
    assert SSHD.exists() and shutil.which("rsync"), "install Debian's openssh-server and rsync (see .ci/run)"
    assert port_is_free(22), "something already listens on 127.0.0.1:22"
    work = Path(tempfile.mkdtemp(prefix="ctup", dir="/tmp"))
    home = work / "home"
    sh("userdel", "-f", USER)  # a login left by an interrupted earlier run
    sh("useradd", "-o", "-u", "0", "-g", "0", "-M", "-d", str(home), "-s", "/bin/bash", USER, check=True)
    sh("usermod", "-p", "*", USER, check=True)  # no password, but not locked: sshd refuses locked accounts
    try:
        yield from _serve(work, home)
    finally:
        sh("userdel", "-f", USER)  # -f: its uid (0) is in use by this very process
        shutil.rmtree(work, ignore_errors=True)


def _serve(work: Path, home: Path):
    home.mkdir()
    (home / ".bashrc").write_text(
        f"export PATH={BIN}:$PATH\n"
        "export RAY_AUTH_MODE=token RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0\n"
        f"export RAY_TMPDIR={work}/ray\n"
    )
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "key"), check=True)
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_key"), check=True)
    (work / "authorized_keys").write_text((work / "key.pub").read_text())
    (work / "sshd_config").write_text(
        textwrap.dedent(
            f"""
            ListenAddress 127.0.0.1
            Port 22
            HostKey {work}/host_key
            PidFile {work}/sshd.pid
            AuthorizedKeysFile {work}/authorized_keys
            AllowUsers {USER}
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            """
        )
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    sshd = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(work / "sshd_config")], stderr=subprocess.DEVNULL)
    try:
        yield work, work / "key"
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)


def test_ray_up_submit_down_with_the_local_provider(ssh_login, tmp_path):
    work, key = ssh_login
    storage = work / "runs"
    token = work / "auth_token"  # as in cluster.yaml: the token travels to the head with the project
    token.write_text(uuid.uuid4().hex)
    config = {
        "cluster_name": "cnn-tune-launcher-test",
        "provider": {"type": "local", "head_ip": "127.0.0.1", "worker_ips": []},
        "auth": {"ssh_user": USER, "ssh_private_key": str(key)},
        "file_mounts": {"~/cnn-tune": str(REPO), "~/.ray/auth_token": str(token)},
        "rsync_exclude": [".venv", ".git", ".whl", "results", "benchmarks/runs", "**/__pycache__"],
        "setup_commands": ["python -c 'import experiments, ray' && test -f ~/cnn-tune/cluster.yaml"],
        "head_start_ray_commands": [
            "ray stop",
            "ray start --head --node-ip-address=127.0.0.1 --port=6390 --num-cpus=2 --dashboard-host=127.0.0.1 "
            "--autoscaling-config=~/ray_bootstrap_config.yaml --disable-usage-stats",
        ],
        "worker_start_ray_commands": [],
    }
    config_file = tmp_path / "cluster-local.yaml"
    config_file.write_text(yaml.safe_dump(config))
    env = {**os.environ, "RAY_TMPDIR": str(work / "client")}

    up = sh(str(BIN / "ray"), "up", "-y", str(config_file), env=env, cwd=REPO, timeout=600)
    try:
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        submit = sh(
            str(BIN / "ray"), "submit", str(config_file), "experiments/run.py", "--",
            "quickstart", "--smoke", "--address", "auto", "--storage", str(storage), "--verbose", "0",
            env=env, cwd=REPO, timeout=600,
        )
        assert submit.returncode == 0, submit.stdout[-3000:] + submit.stderr[-3000:]
        assert "Best configuration" in submit.stdout
        table = pd.read_csv(storage / "quickstart-smoke" / "results.csv")
        assert len(table) == 2 and (table.status != "errored").all()
    finally:
        down = sh(str(BIN / "ray"), "down", "-y", str(config_file), env=env, cwd=REPO, timeout=300)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
