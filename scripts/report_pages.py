"""Contact sheet of a pack's printed report: chosen pages of report.pdf side by side, as one PNG.

Usage::

    python scripts/report_pages.py reports/klaipeda docs/report-pages.png --pages 1,2,3,5,11,12,16,19 --dpi 45

Pages are rendered by Ghostscript (``gs``, which must be on PATH) and laid out
with Pillow, four to a row. The picture in docs/ shows the first pages and
the pages of the widest tables of the demo pack of Klaipėda.

With ``--docx`` the pages are those of report.docx as LibreOffice (``soffice``)
lays it out, converted to PDF first::

    python scripts/report_pages.py reports/akmene docs/report-docx-pages.png --docx --pages 1,13 --dpi 90
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pack", type=Path, help="pack folder holding report.pdf")
    ap.add_argument("out", type=Path, help="PNG to write")
    ap.add_argument("--pages", default="1,2,3,4", help="comma-separated page numbers (1-based)")
    ap.add_argument("--dpi", type=int, default=40)
    ap.add_argument("--docx", action="store_true", help="pages of report.docx as LibreOffice lays it out")
    args = ap.parse_args(argv)
    gs = shutil.which("gs")
    if gs is None:
        print("error: Ghostscript (gs) is not installed", file=sys.stderr)
        return 1
    pages = [int(p) for p in args.pages.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        pdf = args.pack / "report.pdf"
        if args.docx:
            soffice = shutil.which("soffice") or shutil.which("libreoffice")
            if soffice is None:
                print("error: LibreOffice (soffice) is not installed", file=sys.stderr)
                return 1
            subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to",
                            "pdf", "--outdir", tmp, str(args.pack / "report.docx")], check=True,
                           capture_output=True)
            pdf = Path(tmp) / "report.pdf"
        images = []
        for p in pages:
            png = Path(tmp) / f"p{p}.png"
            subprocess.run([gs, "-q", "-dSAFER", "-sDEVICE=png16m", f"-r{args.dpi}", f"-dFirstPage={p}",
                            f"-dLastPage={p}", "-o", str(png), str(pdf)], check=True)
            images.append(Image.open(png).convert("RGB"))
        w, h = images[0].size
        cols = min(4, len(images))
        rows = -(-len(images) // cols)
        sheet = Image.new("RGB", (cols * (w + 8) + 8, rows * (h + 8) + 8), (200, 200, 200))
        for i, im in enumerate(images):
            sheet.paste(im, (8 + (i % cols) * (w + 8), 8 + (i // cols) * (h + 8)))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(images)} pages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
