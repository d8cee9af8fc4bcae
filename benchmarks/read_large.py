"""Reading a large raw export: time and peak memory of ``io.read_raw`` on an xlsx and a csv of N respondents.

The files repeat the rows of a demo export (``data/raw/vilnius.xlsx``, 115 columns) with new ``_id`` and
``_uuid`` values, written as the demo files are (openpyxl's XML: inline strings); each file is read in a fresh
process so that its peak resident memory is the reader's. A fixed pure-Python loop is timed as well: on a shared
machine it tells how much slower than usual everything ran.

    python benchmarks/read_large.py --rows 100000 --workdir /tmp/read_large
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "raw" / "vilnius.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
_ROW = re.compile(rb'<row r="(\d+)"[^>]*>.*?</row>', re.S)

# The child reports its own high-water mark (Linux VmHWM; ru_maxrss would include the parent's at fork).
CHILD = """
import resource, sys, time
from needs_analysis.io import read_raw
t, c = time.perf_counter(), time.process_time()
raw = read_raw(sys.argv[1])
wall, cpu = time.perf_counter() - t, time.process_time() - c
try:
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(raw.data.shape[0], raw.data.shape[1], wall, cpu, peak)
"""


def build_xlsx(rows: int, out: Path) -> None:
    """The source sheet's data rows repeated to ``rows`` respondents, ids renewed, row numbers rewritten."""
    with zipfile.ZipFile(SOURCE) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    xml = parts[SHEET]
    found = list(_ROW.finditer(xml))
    head, body, tail = xml[:found[0].start()], [m.group() for m in found], xml[found[-1].end():]
    header, data = body[0], body[1:]
    out_rows = [header]
    for k in range(rows):
        row = data[k % len(data)]
        old = int(_ROW.match(row).group(1))
        row = re.sub(rb'r="([A-Z]*)%d"' % old, lambda m: b'r="%s%d"' % (m.group(1), k + 2), row)
        row = re.sub(rb'(<c r="A%d"[^>]*><v>)\d+' % (k + 2), lambda m: m.group(1) + b"%d" % (300_000_000 + k), row)
        row = re.sub(rb'(<c r="B%d"[^>]*><is><t>)[^<]+' % (k + 2),
                     lambda m: m.group(1) + str(uuid.UUID(int=k + 1)).encode(), row)
        out_rows.append(row)
    parts[SHEET] = head + b"".join(out_rows) + tail
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)


def build_csv(xlsx: Path, out: Path) -> None:
    from needs_analysis.io import read_raw

    read_raw(xlsx).data.to_csv(out, index=False, encoding="utf-8")


def calibration() -> float:
    """Seconds for ten million additions in pure Python (about 0.4 s on an idle 3 GHz core)."""
    t, s = time.perf_counter(), 0
    for i in range(10_000_000):
        s += i
    return time.perf_counter() - t


def measure(path: Path) -> tuple[int, int, float, float, float]:
    res = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
    n, k, wall, cpu, peak = res.stdout.split()
    return int(n), int(k), float(wall), float(cpu), float(peak)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/needs_analysis_read_large"))
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    xlsx, csv = args.workdir / f"rows{args.rows}.xlsx", args.workdir / f"rows{args.rows}.csv"
    if not xlsx.exists():
        build_xlsx(args.rows, xlsx)
    if not csv.exists():
        build_csv(xlsx, csv)
    print(f"calibration loop: {calibration():.2f} s (about 0.4 s on an idle machine)")
    print("| file | size | respondents x columns | wall s | CPU s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for path in (xlsx, csv):
        n, k, wall, cpu, peak = measure(path)
        print(f"| {path.suffix[1:]} | {path.stat().st_size / 2**20:.0f} MB | {n:,} x {k} | {wall:.1f} | {cpu:.1f} | "
              f"{peak:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
