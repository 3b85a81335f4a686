"""Helpers shared by the benchmark scripts: a process's memory and CPU time (mailpenprocess.py starts Mailpen)."""
import os
import time


def memory_mb(pid, field="VmRSS"):
    """A memory figure of a process from /proc in MB: `VmRSS` (now) or `VmHWM` (peak)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    """User plus system CPU time a process has used, in seconds, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid, share=0.05, timeout=180):
    """Waits until a process uses less than `share` of a core over a second; returns the seconds waited."""
    started = time.time()
    while time.time() - started < timeout:
        before = cpu_seconds(pid)
        time.sleep(1)
        if cpu_seconds(pid) - before < share:
            return time.time() - started
    print(f"warning: the process was still busy after {timeout} s; measuring anyway")
    return time.time() - started
