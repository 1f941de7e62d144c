"""Installing a Debian package a test needs, when the tests run as root on Debian."""

import os
import shutil
import subprocess


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(package: str) -> None:
    """apt-get install, refreshing the package lists first if a fresh image has none."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]

    def run(argv):
        return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env)

    done = run(install)
    if done.returncode != 0:
        run(["apt-get", "update", "-q"])
        done = run(install)
    assert done.returncode == 0, f"apt-get install {package} failed: {done.stderr[-2000:]}"
