"""Scorer test fixtures: clips built from real video frames, and tiny random models saved to disk.

Clips are made without the splitter: frames are decoded from a real test video with OpenCV, stored as
JPEGs in a FileStorage job root exactly where the splitter stores them, and listed in a ClipRef.
Models have the real architectures at toy sizes and are saved with ``save_pretrained``, so the
backends load them through the same ``from_pretrained`` path as production weights.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vidsift.config import Settings
from vidsift.frames import encode_jpeg, shrink
from vidsift.jobs import JobStore
from vidsift.pipeline import StageContext
from vidsift.recipe import load_recipe
from vidsift.refs import ClipRef, FrameRef, SourceInfo
from vidsift.storage import FileStorage
from tests.infra import read_frames

TINY_SIZE = 32  # toy image size: the models and processors below agree on it


@pytest.fixture
def job(tmp_path) -> JobStore:
    return JobStore(FileStorage(str(tmp_path / "job")), "scorer-test")


@pytest.fixture
def make_clip(job, video):
    """make_clip('video.mp4', start, end, keyframes=[...], stored=None) -> ClipRef with stored frames.

    ``keyframes`` are source frame indices flagged as key frames; ``stored`` (default: the key
    frames) are the frames written to storage.
    """
    def make(name: str, start: int, end: int, keyframes=(), stored=None, fps=None) -> ClipRef:
        import cv2

        path = video(name)
        cap = cv2.VideoCapture(str(path))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = fps or cap.get(cv2.CAP_PROP_FPS)
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        source_id = hashlib.sha256(name.encode()).hexdigest()[:16]
        stored = sorted(set(stored if stored is not None else keyframes))
        frames = []
        for i, bgr in read_frames(path, stored).items():
            uri = job.store.put_bytes(f"frames/{source_id}/{i:07d}.jpg", encode_jpeg(shrink(bgr)), "image/jpeg")
            frames.append(FrameRef(index=i, t=(i - start) / fps, key=i in keyframes, uri=uri))
        info = SourceInfo(uri=path.as_uri(), source_id=source_id, size=path.stat().st_size, width=w,
                          height=h, fps=fps, frames=total, duration=total / fps)
        return ClipRef(job=job.job, recipe_id="test", id=f"{source_id}-{start}-{end}", source=info, scene=0,
                       start_frame=start, end_frame=end, start=start / fps, end=end / fps,
                       frames=tuple(sorted(frames, key=lambda f: f.index)))
    return make


@pytest.fixture
def context(job):
    """context(recipe_yaml_or_profile) -> StageContext over the test job."""
    def make(recipe) -> StageContext:
        return StageContext(settings=Settings(), jobs=job, recipe=load_recipe(recipe))
    return make


def records(job: JobStore) -> list[dict]:
    return list(job.records())


# -- tiny models --------------------------------------------------------------------------------

def save_tiny_aesthetics(path: Path, seed: int = 0) -> Path:
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig

    from vidsift_scorer.backends.clip_aesthetics import predictor_class

    torch.manual_seed(seed)
    config = CLIPVisionConfig(hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=2,
                              num_attention_heads=2, image_size=TINY_SIZE, patch_size=8)
    model = predictor_class()(config).eval()
    with torch.no_grad():  # ratings near 5 of 10, as real heads give: scores ~0.5, inside [0, 1]
        model.layers[-1].bias.fill_(5.0)
    model.save_pretrained(path)
    CLIPImageProcessor(size={"shortest_edge": TINY_SIZE},
                       crop_size={"height": TINY_SIZE, "width": TINY_SIZE}).save_pretrained(path)
    return path


def save_tiny_classifier(path: Path, labels: list[str], seed: int = 0, swap_from=None) -> Path:
    """A tiny ViT classifier with ``labels`` as id2label. ``swap_from``: copy that model's weights with
    the two classifier rows (and labels) swapped: the same classifier, labels in the other order."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    torch.manual_seed(seed)
    if swap_from is not None:
        model = ViTForImageClassification.from_pretrained(swap_from)
        with torch.no_grad():
            model.classifier.weight.copy_(model.classifier.weight.flip(0))
            model.classifier.bias.copy_(model.classifier.bias.flip(0))
        labels = [model.config.id2label[i] for i in (1, 0)]
        model.config.id2label = dict(enumerate(labels))
        model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    else:
        config = ViTConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=TINY_SIZE, patch_size=8, id2label=dict(enumerate(labels)),
                           label2id={n: i for i, n in enumerate(labels)})
        model = ViTForImageClassification(config).eval()
    model.save_pretrained(path)
    ViTImageProcessor(size={"height": TINY_SIZE, "width": TINY_SIZE}).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Paths of tiny saved models: aesthetics, nsfw, nsfw_swapped, watermark, no_label, generic."""
    pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("tiny-models")
    nsfw = save_tiny_classifier(root / "nsfw", ["normal", "nsfw"], seed=1)
    return {
        "aesthetics": save_tiny_aesthetics(root / "aesthetics"),
        "nsfw": nsfw,
        "nsfw_swapped": save_tiny_classifier(root / "nsfw-swapped", [], swap_from=nsfw),
        "watermark": save_tiny_classifier(root / "watermark", ["no_watermark", "watermark"], seed=2),
        "no_label": save_tiny_classifier(root / "no-label", ["cat", "dog"], seed=3),
        "generic": save_tiny_classifier(root / "generic", ["LABEL_0", "LABEL_1"], seed=4),
    }
