"""DET curve (FRR against FAR, log axes) from one or more CSV files `threshold,far,frr`.

Usage:
  plot_det.py OUT.png CSV [CSV ...] [--label NAME ...] [--point THRESHOLD] [--title TEXT]
              [--impostors N] [--genuine N]

Each CSV has a header line and one row per threshold: threshold, far, frr (fractions 0...1). The
first CSV is the main curve; --point marks its operating point (the row nearest that threshold).
The FIDO bar (FRR <= 3 % at FAR <= 1e-4; FIDO Biometric Requirements) is drawn as the shaded box a
curve must pass through. Rates of 0 cannot be drawn on log axes: they are drawn on the axis floor,
1/(2N) when --impostors/--genuine give the comparison counts (else 1e-6), and said so in the legend.
Uses matplotlib (scripts/requirements-test.txt); without it, a plainer PNG is drawn with Pillow.
"""
from __future__ import annotations

import argparse
import csv
import math
import sys

FIDO_FAR, FIDO_FRR = 1e-4, 0.03


def read(path: str) -> list[tuple[float, float, float]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = [h.strip().lower() for h in rows[0]]
    try:
        it, ia, ir = head.index("threshold"), head.index("far"), head.index("frr")
    except ValueError:
        raise SystemExit(f"plot_det: {path}: header must name threshold,far,frr (got {rows[0]})")
    out = [(float(r[it]), float(r[ia]), float(r[ir])) for r in rows[1:] if r]
    if not out:
        raise SystemExit(f"plot_det: {path}: no rows")
    return sorted(out)


def nearest(rows, threshold):
    return min(rows, key=lambda r: abs(r[0] - threshold))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--point", type=float, help="operating threshold to mark on the first curve")
    ap.add_argument("--title", default="Personal-object verification: DET")
    ap.add_argument("--impostors", type=int, help="impostor comparisons (sets the FAR axis floor)")
    ap.add_argument("--genuine", type=int, help="genuine comparisons (sets the FRR axis floor)")
    args = ap.parse_args()
    curves = [read(p) for p in args.csv]
    labels = args.label + [p.rsplit("/", 1)[-1].removesuffix(".csv") for p in args.csv[len(args.label):]]
    far_floor = 1 / (2 * args.impostors) if args.impostors else 1e-6
    frr_floor = 1 / (2 * args.genuine) if args.genuine else 1e-4
    point = nearest(curves[0], args.point) if args.point is not None else None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_det: matplotlib not installed; drawing a plain PNG with Pillow", file=sys.stderr)
        return plain(args.out, curves, labels, point, far_floor, frr_floor, args.title)

    fig, ax = plt.subplots(figsize=(7, 5.5), dpi=120)
    ax.set_xscale("log"), ax.set_yscale("log")
    ax.add_patch(plt.Rectangle((far_floor / 2, frr_floor / 2), FIDO_FAR - far_floor / 2, FIDO_FRR - frr_floor / 2,
                               color="tab:green", alpha=0.12, lw=0))
    ax.axvline(FIDO_FAR, color="tab:green", ls="--", lw=1)
    ax.axhline(FIDO_FRR, color="tab:green", ls="--", lw=1, label="FIDO bar: FRR ≤ 3 % at FAR ≤ 1e-4")
    for rows, label in zip(curves, labels):
        far = [max(r[1], far_floor) for r in rows]
        frr = [max(r[2], frr_floor) for r in rows]
        ax.plot(far, frr, marker=".", ms=3, lw=1.5, label=label, drawstyle="steps-post")
    if point:
        t, a, r = point
        ax.plot([max(a, far_floor)], [max(r, frr_floor)], "o", ms=9, mfc="none", mec="tab:red", mew=2,
                label=f"operating point t={t:.3f}: FAR {a:.2g}, FRR {r:.2%}")
    ax.set_xlim(far_floor / 2, 1), ax.set_ylim(frr_floor / 2, 1)
    ax.set_xlabel(f"FAR (false accepts; 0 drawn at {far_floor:.1g})")
    ax.set_ylabel(f"FRR (false rejects; 0 drawn at {frr_floor:.1g})")
    ax.set_title(args.title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"plot_det: wrote {args.out}")


def plain(out, curves, labels, point, far_floor, frr_floor, title) -> None:
    from PIL import Image, ImageDraw
    W, H, m = 800, 640, 70
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    lx0, ly0 = math.log10(far_floor / 2), math.log10(frr_floor / 2)

    def xy(far, frr):
        fx = (math.log10(max(far, far_floor)) - lx0) / -lx0
        fy = (math.log10(max(frr, frr_floor)) - ly0) / -ly0
        return m + fx * (W - 2 * m), H - m - fy * (H - 2 * m)

    x1, y1 = xy(FIDO_FAR, FIDO_FRR)
    d.rectangle([m, y1, x1, H - m], fill=(220, 245, 220))
    d.rectangle([m, m, W - m, H - m], outline="black")
    for e in range(int(math.floor(lx0)) + 1, 1):
        x, _ = xy(10.0 ** e, 1)
        d.line([x, H - m, x, H - m + 5], fill="black"), d.text((x - 12, H - m + 8), f"1e{e}", fill="black")
    for e in range(int(math.floor(ly0)) + 1, 1):
        _, y = xy(1, 10.0 ** e)
        d.line([m - 5, y, m, y], fill="black"), d.text((5, y - 6), f"1e{e}", fill="black")
    colours = ["blue", "orange", "purple", "brown", "grey"]
    for k, (rows, label) in enumerate(zip(curves, labels)):
        c = colours[k % len(colours)]
        d.line([xy(r[1], r[2]) for r in rows], fill=c, width=2)
        d.text((m + 10, m + 10 + 14 * k), label, fill=c)
    if point:
        x, y = xy(point[1], point[2])
        d.ellipse([x - 7, y - 7, x + 7, y + 7], outline="red", width=2)
    d.text((m, 20), title + "   (x: FAR, y: FRR, log; green: FIDO bar)", fill="black")
    img.save(out)
    print(f"plot_det: wrote {out} (plain)")


if __name__ == "__main__":
    main()
