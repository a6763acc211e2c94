#!/usr/bin/env bash
# The Debian packages some tests drive for real: Chromium and its driver (the report in a
# browser), sshd and rsync (`ray up` over SSH in the launcher test). Installs them when this
# user can (root with apt-get); otherwise stops at once with one line naming the command.
set -euo pipefail
packages=(chromium chromium-driver openssh-server rsync)
have() { [ -x /usr/sbin/sshd ] && command -v rsync && command -v chromium && command -v chromedriver; } >/dev/null 2>&1
have && exit 0
command_line="apt-get install -y ${packages[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "make test: the browser and launcher tests need ${packages[*]}; run: sudo $command_line (or make check for the fast tier)" >&2
  exit 1
fi
echo "make test: installing ${packages[*]} (Debian packages the browser and launcher tests drive)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${packages[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${packages[@]}" >/dev/null 2>&1; } \
  || { echo "make test: could not install ${packages[*]}; run: $command_line (or make check for the fast tier)" >&2; exit 1; }
have || { echo "make test: ${packages[*]} installed but not all found on PATH; check: $command_line" >&2; exit 1; }
