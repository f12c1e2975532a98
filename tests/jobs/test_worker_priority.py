"""Worker processes yield the CPU to the web server: they lower their own priority (settings.WORKER_NICE)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.jobs.conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
PROBE = (
    "import os, sys; from jobs.worker import lower_cpu_priority; "
    "print(os.getpriority(os.PRIO_PROCESS, 0), lower_cpu_priority(int(sys.argv[1])))"
)


def _nice_after(start: int, target: int) -> tuple[int, int]:
    out = subprocess.run(["nice", "-n", str(start), sys.executable, "-c", PROBE, str(target)], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


def test_lowers_priority_to_the_target():
    before, after = _nice_after(0, 7)
    assert after == max(before, 7)


def test_never_raises_priority():
    before, after = _nice_after(12, 3)
    assert before >= 12
    assert after == before


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


def _nice_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.django_db(transaction=True)
def test_real_worker_pool_process_runs_at_worker_nice(start_worker):
    worker = start_worker("nice", extra_env={"WORKER_NICE": "11"})
    pool = wait_for(lambda: _children(worker.proc.pid), timeout=60, what="the worker's pool process")
    own = os.getpriority(os.PRIO_PROCESS, 0)
    wait_for(lambda: _nice_of(pool[0]) == max(own, 11), timeout=60, what="the pool process to lower its priority")
    assert _nice_of(worker.proc.pid) == own  # the main process (broker, sweeps) keeps its priority
