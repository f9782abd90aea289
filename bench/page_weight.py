"""Bytes on the wire: the grid (50 rooms), a day switch, My reservations and the static
files, as sent plain, gzipped and brotli-compressed, and the time compression adds.

Run: ``python -m bench.page_weight [--requests N]``. It builds the same throwaway demo
school as ``bench.grid`` and asks in process, so the times are the server's own.
"""

import argparse
import statistics

from .grid import demo_school, time_requests

ENCODINGS = ("identity", "gzip", "br")
STATIC = ("css/roomloop.css", "js/roomloop.js", "vendor/htmx-2.0.11/htmx.min.js")


def sizes(client, url, headers=None):
    return {
        encoding: len(
            client.get(url, headers={**(headers or {}), "Accept-Encoding": encoding}).data
        )
        for encoding in ENCODINGS
    }


def line(name, found):
    plain = found["identity"]
    print(
        f"{name:<34} {plain / 1024:7.1f} kB   gzip {found['gzip'] / 1024:6.1f} kB   "
        f"br {found['br'] / 1024:6.1f} kB ({found['br'] / plain:.0%})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with demo_school() as (_app, client, day):
        grid = f"/?date={day.isoformat()}"
        htmx = {"HX-Request": "true"}
        print(f"Page weight on the demo school with 50 rooms, {day}")
        line("grid page", sizes(client, grid))
        line("day switch (htmx fragment)", sizes(client, grid, htmx))
        line("My reservations", sizes(client, "/my"))
        for name in STATIC:
            line(f"/static/{name}", sizes(client, f"/static/{name}"))
        time_requests(client, grid, 3)  # warm-up
        for encoding in ENCODINGS:
            timings = time_requests(client, grid, args.requests, {"Accept-Encoding": encoding})
            print(f"grid page as {encoding:<8} median {statistics.median(timings):6.1f} ms")


if __name__ == "__main__":
    main()
