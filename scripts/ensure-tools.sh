#!/usr/bin/env bash
# Install the system tools the suite needs when they are missing (idempotent).
set -eu

# Headless Chromium renders the discovery HTML report in tests (Playwright drives it;
# never `playwright install`, which downloads a browser build from outside Debian).
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q chromium
fi
