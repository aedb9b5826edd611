#!/usr/bin/env bash
# Runs every test of Ferrodyn: Rust unit, property, crash and integration tests, then the
# black-box conformance suite (pytest + boto3 + AWS CLI) against a real `ferrodyn` process.
#
# Usage: scripts/test.sh            quick defaults (what CI runs)
#        FERRODYN_LONG=1 scripts/test.sh   longer randomized and crash loops
set -euo pipefail
cd "$(dirname "$0")/.."

# `ferrodyn bench`'s end-to-end tests run this binary as the server and as the client.
echo "==> cargo build --bin ferrodyn"
cargo build --locked -p ferrodyn-server --bin ferrodyn

echo "==> cargo test --workspace"
cargo test --workspace --locked

if [ -f tests/conformance/requirements.txt ]; then
    echo "==> conformance suite (pytest + boto3 against target/debug/ferrodyn)"
    cargo build --locked -p ferrodyn-server --bin ferrodyn
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    # Reinstall only when the pinned requirements changed since the last install.
    if ! cmp -s tests/conformance/requirements.txt .venv/conformance-requirements.txt; then
        .venv/bin/pip install --quiet --disable-pip-version-check -r tests/conformance/requirements.txt
        cp tests/conformance/requirements.txt .venv/conformance-requirements.txt
    fi
    # The binary cargo just built (under $CARGO_TARGET_DIR when that is set).
    bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/ferrodyn"
    # The fixture starts `ferrodyn serve --in-memory` on a free port (and on-disk servers for the
    # durability tests); FERRODYN_ENDPOINT, if set, points the suite at a running server instead.
    FERRODYN_BIN="$bin" .venv/bin/python -m pytest -q -p no:cacheprovider tests/conformance
    echo "==> conformance suite against a 3-node cluster (each call to the next node)"
    FERRODYN_CLUSTER=3 FERRODYN_BIN="$bin" .venv/bin/python -m pytest -q -p no:cacheprovider tests/conformance
    echo "==> conformance suite against a 3-node cluster whose tables have 4 partitions each"
    FERRODYN_CLUSTER=3 FERRODYN_TABLE_PARTITIONS=4 FERRODYN_BIN="$bin" \
        .venv/bin/python -m pytest -q -p no:cacheprovider tests/conformance
fi
echo "==> all tests passed"
