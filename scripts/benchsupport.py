"""Helpers shared by the benchmark scripts: free ports, waiting for a listener, process memory."""
import os
import socket
import time


def free_port():
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30):
    """Block until something accepts connections on `port`, or raise after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port}")


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
