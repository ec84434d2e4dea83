import numpy as np
import pytest

pytest.importorskip("torch")

from vidsift_scorer.backends import ModelLoadError
from vidsift_scorer.backends.hf_classifier import HFClassifier, label_index, resolve_label


def _frames(n=4):
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (40, 70, 3), dtype=np.uint8) for _ in range(n)]


def _load(path, label):
    b = HFClassifier(model=str(path), label=label, revision=None, device="cpu")
    b.load()
    return b


def test_positive_class_found_by_name_not_index(tiny_models):
    frames = _frames()
    normal_first = _load(tiny_models["nsfw"], "nsfw")
    nsfw_first = _load(tiny_models["nsfw_swapped"], "nsfw")
    assert (normal_first.index, nsfw_first.index) == (1, 0)
    a, b = normal_first.score(frames), nsfw_first.score(frames)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    # and it is the nsfw column, not its complement
    normal = _load(tiny_models["nsfw"], "normal").score(frames)
    np.testing.assert_allclose(a, 1 - normal, rtol=1e-5)
    assert not np.allclose(a, 0.5, atol=1e-4)


def test_label_match_is_exact_and_case_insensitive():
    labels = {0: "no_watermark", 1: "Watermark"}
    assert label_index(labels, "watermark", "m") == 1
    assert label_index({"0": "NSFW", "1": "normal"}, "nsfw", "m") == 0


def test_model_without_the_label_names_its_labels(tiny_models):
    with pytest.raises(ModelLoadError) as err:
        _load(tiny_models["no_label"], "nsfw")
    assert "'nsfw'" in str(err.value) and "['cat', 'dog']" in str(err.value)


def test_generic_labels_score_class_one_as_data_juicer_with_one_warning(tiny_models, caplog):
    import torch

    path = tiny_models["generic"]  # id2label {0: LABEL_0, 1: LABEL_1}, as many hub checkpoints
    HFClassifier(model=str(path), label="watermark", revision=None).check()  # preflight passes
    with caplog.at_level("WARNING", logger="vidsift_scorer.backends.hf_classifier"):
        backend = _load(path, "watermark")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "LABEL_1" in warnings[0] and "'watermark'" in warnings[0]
    assert backend.index == 1
    frames = _frames()
    with torch.no_grad():
        want = backend.model(pixel_values=backend.transform(frames)).logits.softmax(-1)[:, 1].numpy()
    np.testing.assert_allclose(backend.score(frames), want, rtol=1e-5)


def test_labels_that_cannot_be_resolved_fail_at_preflight():
    # a named positive label wins over the generic fallback; three generic classes have no "class 1" rule
    assert resolve_label({0: "LABEL_0", 1: "watermark"}, "watermark", "m") == (1, None)
    for labels in ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, {0: "LABEL_1", 1: "LABEL_0"}, {0: "a", 1: "b"}):
        with pytest.raises(ModelLoadError, match="its labels are"):
            resolve_label(labels, "watermark", "m")


def test_unreachable_hub_model_fails_with_instructions(monkeypatch, tmp_path):
    # as on an offline cluster (and no network wait here): the hub is off, the cache is empty
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelLoadError, match="(?s)Falconsai/nsfw_image_detection.*hf download"):
        _load("Falconsai/nsfw_image_detection", "nsfw")
