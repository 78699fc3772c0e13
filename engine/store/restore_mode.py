"""Cold restore, for tests: every command restores its case from the database (no cached workflow or parsed
definition), and every saved state must restore into a workflow that saves the very same state.

Set by ZHUNRU_COLD_RESTORE=1 in the environment, so the CLI commands a test runs behave alike."""
import os

import orjson

COLD = os.environ.get("ZHUNRU_COLD_RESTORE") == "1"
CHECK_ROUND_TRIP = COLD


class RoundTripError(AssertionError):
    """A saved state did not restore into the same state."""


def check_round_trip(state: str, again: str) -> None:
    # Compared as data: key order may differ (Spiff merges multi-instance data in arrival order).
    if orjson.loads(again) != orjson.loads(state):
        raise RoundTripError("保存的状态恢复后再保存不一致")
