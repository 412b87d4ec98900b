#!/usr/bin/env python3
"""Plots the CSV of a soak run (`cargo bench --bench load -- --soak ... --csv soak.csv`):
server RSS, open file descriptors, and the client-ack p50/p99 of each interval, over time.

    pip install matplotlib && python3 benches/load/soak_plot.py soak.csv docs/soak.png
"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source: str, target: str) -> None:
    with open(source, newline="") as f:
        rows = list(csv.DictReader(f))
    minutes = [float(r["t_s"]) / 60 for r in rows]

    def column(name: str) -> list[float]:
        return [float(r[name]) for r in rows]

    fig, (mem, fds, lat) = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    mem.plot(minutes, column("rss_mib"), color="tab:blue")
    mem.set_ylabel("server RSS (MiB)")
    mem.set_ylim(bottom=0)
    fds.plot(minutes, column("fds"), label="file descriptors", color="tab:green")
    fds.plot(minutes, column("sockets"), label="sockets", color="tab:olive")
    fds.set_ylabel("open")
    fds.set_ylim(bottom=0)
    fds.legend(loc="lower right")
    lat.plot(minutes, column("ack_p50_ms"), label="ack p50", color="tab:orange")
    lat.plot(minutes, column("ack_p99_ms"), label="ack p99", color="tab:red")
    lat.set_ylabel("ms (per interval)")
    lat.set_ylim(bottom=0)
    lat.set_xlabel("minutes")
    lat.legend(loc="upper right")
    fig.suptitle("soak: clients come and go at a fixed rate")
    fig.tight_layout()
    fig.savefig(target, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
