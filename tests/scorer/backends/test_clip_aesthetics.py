import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vidsift_scorer.backends import ModelLoadError  # noqa: E402 - after importorskip (torch is optional)
from vidsift_scorer.backends.clip_aesthetics import ClipAesthetics, predictor_class  # noqa: E402 - after importorskip (torch is optional)


def _frames(seed=0, n=3):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(n)]


def test_head_has_the_laion_checkpoint_layout(tiny_models):
    model = predictor_class().from_pretrained(tiny_models["aesthetics"])
    head = sorted(k for k in model.state_dict() if k.startswith("layers."))
    # sac+logos+ava1-l14-linearMSE.pth keys: Linear layers at 0, 2, 4, 6, 7 (dropouts between)
    assert head == [f"layers.{i}.{p}" for i in (0, 2, 4, 6, 7) for p in ("bias", "weight")]


def test_score_is_head_of_normalised_embedding_over_ten(tiny_models):
    backend = ClipAesthetics(model=str(tiny_models["aesthetics"]), revision=None, device="cpu")
    backend.load()
    frames = _frames()
    got = backend.score(frames)
    # by hand: CLIP image embedding, L2 normalised, MLP head, / 10
    from transformers import CLIPVisionModelWithProjection

    clip = CLIPVisionModelWithProjection.from_pretrained(tiny_models["aesthetics"]).eval()
    with torch.no_grad():
        emb = clip(pixel_values=backend.transform(frames)).image_embeds
        emb = emb / emb.norm(dim=-1, keepdim=True)
        want = (backend.model.layers(emb).squeeze(-1) / 10).numpy()
    assert got.shape == (3,)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert len(set(np.round(got, 9))) > 1  # different frames, different scores


def test_missing_model_names_it_and_how_to_provide_it(tmp_path):
    backend = ClipAesthetics(model=str(tmp_path / "no-such-model"), revision=None, device="cpu")
    with pytest.raises(ModelLoadError) as err:
        backend.load()
    msg = str(err.value)
    assert "no-such-model" in msg and "Expected a model directory" in msg


def test_divisor_option_scales_the_head(tiny_models):
    frames = _frames()
    ten = ClipAesthetics(model=str(tiny_models["aesthetics"]), revision=None, device="cpu")
    one = ClipAesthetics(model=str(tiny_models["aesthetics"]), revision=None, device="cpu", divisor=1.0)
    ten.load(), one.load()
    np.testing.assert_allclose(one.score(frames), ten.score(frames) * 10, rtol=1e-5)
