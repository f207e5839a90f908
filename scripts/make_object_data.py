"""Personal-object data for EdgeFactor's object-verification study and demo (called by
scripts/make-object-data.sh).

Usage: make_object_data.py OPENCV_DOC_DIR OUT_DIR

OPENCV_DOC_DIR is an unpacked Debian `opencv-doc` tree (the folder that holds `opencv4/html` and
`examples/data`, i.e. /usr/share/doc/opencv-doc or a `dpkg -x` copy of it). Writes, under OUT_DIR
(var/objects):

- cup/NNNN.jpg: every frame of OpenCV's cup.mp4 (a person turning a black tumbler, 217 frames);
- box/NNNN.jpg: every frame of OpenCV's box.mp4 (a person turning a yellow cookie box, 454 frames);
- cup.mp4, box.mp4: the videos themselves (gunzipped), for the demo camera;
- others/: impostors: consecutive sampled frames of OpenCV's other sample videos (Megamind, tree,
  vtest), named <video>-NNNN.jpg, and the usable natural photos of OpenCV's examples/data and of
  scikit-image's data folder, named photo-<source>-<name>.jpg (converted to RGB JPEG);
- manifest.json: every file with its source, licence and role.

Frames are decoded by ffmpeg (every frame, `-fps_mode passthrough`) and written as JPEG (ffmpeg
quality scale 4). Deterministic for a given ffmpeg build.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import skimage
from PIL import Image

# The two personal objects: (name, file under opencv4/html, sha256 of the .gz in opencv-doc 4.6.0).
OBJECTS = {
    "cup": ("opencv4/html/cup.mp4.gz", "d63f6bca6b0722c64486672614351d94dcd7d37a8104dc6e55e12f40fa582a9b",
            "a person's hand holding a black plastic tumbler against a white wall and turning it"),
    "box": ("opencv4/html/box.mp4.gz", "2c38968ca5216a9d9d152913b583c501333f30578f9eedebe6e6d88768754737",
            "a person's hand holding a yellow printed cookie box above a table and turning it"),
}
# Other videos: (file under examples/data, keep every n-th frame, description).
VIDEOS = {
    "megamind": ("examples/data/Megamind.avi", 3, "animated film clip (Megamind), faces"),
    "tree": ("examples/data/tree.avi", 1, "camera moving past a tree"),
    "vtest": ("examples/data/vtest.avi", 10, "pedestrians in a shopping street, fixed camera"),
}
# Natural photos of examples/data (synthetic drawings, logos, masks, text images left out).
OPENCV_PHOTOS = [
    "Blender_Suzanne1.jpg", "Blender_Suzanne2.jpg", "aero1.jpg", "aero3.jpg", "aloeL.jpg", "aloeR.jpg",
    "apple.jpg", "baboon.jpg", "basketball1.png", "basketball2.png", "blox.jpg", "board.jpg",
    "box.png", "box_in_scene.png", "building.jpg", "butterfly.jpg", "chicky_512.png",
    "ela_original.jpg", "fruits.jpg", "graf1.png", "graf3.png", "home.jpg", "left.jpg", "right.jpg",
    "left01.jpg", "right01.jpg", "leuvenA.jpg", "leuvenB.jpg", "licenseplate_motion.jpg",
    "messi5.jpg", "orange.jpg", "rubberwhale1.png", "rubberwhale2.png", "smarties.png",
    "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg", "sudoku.png", "text_defocus.jpg",
]
# scikit-image's bundled photos, with the licence its data module states for each.
SKIMAGE_PHOTOS = {
    "coffee.png": "CC0 (photographer Rachel Michetti; courtesy of Pikolo Espresso Bar)",
    "chelsea.png": "CC0 (photographer Stefan van der Walt)",
    "astronaut.png": "public domain (NASA Great Images)",
    "camera.png": "CC0 (photographer Lav Varshney)",
    "coins.png": "no known copyright restrictions (Brooklyn Museum, via scikit-image)",
    "rocket.jpg": "public domain (SpaceX)",
    "hubble_deep_field.jpg": "public domain (NASA)",
    "brick.png": "CC0 (CC0Textures Bricks25)",
    "grass.png": "CC0 (via scikit-image)",
    "gravel.png": "CC0 (CC0Textures Gravel04)",
    # No licence stated in skimage.data; Middlebury 2014 stereo dataset (Scharstein et al.),
    # redistributed in scikit-image's BSD-3-Clause wheel.
    "motorcycle_left.png": "unstated; Middlebury 2014 stereo dataset, redistributed by scikit-image",
    "motorcycle_right.png": "unstated; Middlebury 2014 stereo dataset, redistributed by scikit-image",
}
# Same-kind impostors: photos of another object of the enrolled object's kind.
SAME_KIND = {
    "photo-opencv-box.jpg": "box", "photo-opencv-box_in_scene.jpg": "box",
    "photo-opencv-left.jpg": "box", "photo-opencv-right.jpg": "box",  # book boxes on a desk
    "photo-skimage-coffee.jpg": "cup",
}
OPENCV_LICENCE = ("Apache-2.0 AND BSD-3-Clause (Debian opencv-doc copyright file, `Files: *`); "
                  "sample data shipped by the OpenCV project")
JPEG_Q = "4"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ffmpeg_frames(video: Path, out: Path, prefix: str, every: int) -> list[str]:
    """Decodes every frame (or every n-th) of a video to out/<prefix>NNNN.jpg (1-based index of the
    kept frame in the source, so names show the original frame number)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-fps_mode", "passthrough",
               "-q:v", JPEG_Q, f"{tmp}/%05d.jpg"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        frames = sorted(Path(tmp).glob("*.jpg"))
        if not frames:
            raise SystemExit(f"make_object_data: ffmpeg decoded no frames from {video}: {res.stderr[-500:]}")
        names = []
        for i, f in enumerate(frames):
            if i % every:
                continue
            name = f"{prefix}{i + 1:04d}.jpg"
            shutil.move(str(f), out / name)
            names.append(name)
    return names


def to_jpeg(src: Path, dst: Path) -> tuple[int, int]:
    image = Image.open(src).convert("RGB")
    image.save(dst, quality=90)
    return image.size


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: make_object_data.py OPENCV_DOC_DIR OUT_DIR")
    doc, out = Path(sys.argv[1]), Path(sys.argv[2])
    for sub in ("cup", "box", "others"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    version = "unknown"
    changelog = doc / "changelog.Debian.gz"
    if changelog.exists():
        first = gzip.open(changelog, "rt").readline()
        version = first.split("(")[1].split(")")[0] if "(" in first else version
    manifest = {
        "description": "Personal-object verification data: two objects filmed while turned in the hand "
                       "(genuine), and impostor frames and photos. Made by scripts/make_object_data.py.",
        "sources": {
            "opencv-doc": {"debian_package": "opencv-doc", "version": version, "path": str(doc),
                           "licence": OPENCV_LICENCE},
            "scikit-image": {"pypi_package": "scikit-image", "version": skimage.__version__,
                             "path": "skimage/data", "licence": "per file (skimage.data docstrings)"},
        },
        "objects": {}, "others": [],
    }
    for name, (rel, want, what) in OBJECTS.items():
        gz = doc / rel
        got = sha256(gz)
        if got != want:
            print(f"make_object_data: warning: {rel} sha256 {got} differs from opencv-doc 4.6.0's", file=sys.stderr)
        video = out / f"{name}.mp4"
        with gzip.open(gz, "rb") as src, open(video, "wb") as dst:
            shutil.copyfileobj(src, dst)
        frames = ffmpeg_frames(video, out / name, "", 1)
        w, h = Image.open(out / name / frames[0]).size
        manifest["objects"][name] = {
            "description": what, "source": f"opencv-doc:{rel}", "source_sha256": got,
            "licence": OPENCV_LICENCE, "video": f"{name}.mp4", "frames_dir": f"{name}/",
            "frames": len(frames), "size": [w, h], "frame_names": "NNNN.jpg, 1-based source frame index",
        }
    others = out / "others"
    for name, (rel, every, what) in VIDEOS.items():
        frames = ffmpeg_frames(doc / rel, others, f"{name}-", every)
        for f in frames:
            manifest["others"].append({"file": f"others/{f}", "kind": "video-frame", "video": name,
                                       "every": every, "description": what,
                                       "source": f"opencv-doc:{rel}", "licence": OPENCV_LICENCE})
    for photo in OPENCV_PHOTOS:
        dst = f"photo-opencv-{Path(photo).stem}.jpg"
        w, h = to_jpeg(doc / "examples/data" / photo, others / dst)
        entry = {"file": f"others/{dst}", "kind": "photo", "size": [w, h],
                 "source": f"opencv-doc:examples/data/{photo}", "licence": OPENCV_LICENCE}
        if dst in SAME_KIND:
            entry["same_kind_as"] = SAME_KIND[dst]
        manifest["others"].append(entry)
    skdata = Path(skimage.__file__).resolve().parent / "data"
    for photo, licence in SKIMAGE_PHOTOS.items():
        if not (skdata / photo).exists():
            print(f"make_object_data: warning: skimage/data/{photo} missing, skipped", file=sys.stderr)
            continue
        dst = f"photo-skimage-{Path(photo).stem}.jpg"
        w, h = to_jpeg(skdata / photo, others / dst)
        entry = {"file": f"others/{dst}", "kind": "photo", "size": [w, h],
                 "source": f"scikit-image {skimage.__version__}:skimage/data/{photo}", "licence": licence}
        if dst in SAME_KIND:
            entry["same_kind_as"] = SAME_KIND[dst]
        manifest["others"].append(entry)
    manifest["counts"] = {
        **{k: v["frames"] for k, v in manifest["objects"].items()},
        "others_video_frames": sum(1 for e in manifest["others"] if e["kind"] == "video-frame"),
        "others_photos": sum(1 for e in manifest["others"] if e["kind"] == "photo"),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(manifest["counts"]))


if __name__ == "__main__":
    main()
