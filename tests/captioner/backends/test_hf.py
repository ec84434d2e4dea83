"""The hf backend on a tiny random-initialised Idefics3 saved to disk: the real from_pretrained,
chat template, batched generate and decode path, on CPU."""

from __future__ import annotations

import numpy as np
import pytest

from vidsift_captioner.backends import get_backend
from vidsift_captioner.backends.hf import HFBackend
from vidsift_captioner.ops.captioning import CaptioningParams

from ..tiny_vlm import FIRST_TOKEN_TEXT

pytest.importorskip("transformers")


def _frames(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (90, 160, 3), dtype=np.uint8) for _ in range(n)]


def _expected_prompt_tokens(model_dir, n_frames, prompt):
    """Prompt length computed independently with the saved processor."""
    from PIL import Image
    from transformers import AutoProcessor

    proc = AutoProcessor.from_pretrained(model_dir)
    content = [{"type": "image"}] * n_frames + [{"type": "text", "text": prompt}]
    text = proc.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True, tokenize=False)
    ids = proc(text=[text], images=[[Image.fromarray(f) for f in _frames(n_frames)]], return_tensors="pt")["input_ids"]
    return ids.shape[1]


def test_generates_and_decodes_with_token_counts(tiny_vlm):
    params = CaptioningParams(backend="hf", model=str(tiny_vlm), max_tokens=7, prompt="Describe the clip.")
    backend = get_backend(params)
    assert isinstance(backend, HFBackend) and backend.device == "cpu"
    [cap] = backend.caption([_frames(3)])
    assert cap.text == FIRST_TOKEN_TEXT * 7
    assert cap.completion_tokens == 7
    assert cap.prompt_tokens == _expected_prompt_tokens(tiny_vlm, 3, "Describe the clip.")
    assert get_backend(params) is backend  # loaded once per process


def test_batch_of_clips_with_different_frame_counts(tiny_vlm):
    """Prompts of different length share one generate() (left padding); padding is not counted."""
    params = CaptioningParams(backend="hf", model=str(tiny_vlm), max_tokens=3, prompt="Describe.")
    caps = get_backend(params).caption([_frames(1), _frames(4, seed=1)])
    assert [c.text for c in caps] == [FIRST_TOKEN_TEXT * 3] * 2
    assert [c.prompt_tokens for c in caps] == [_expected_prompt_tokens(tiny_vlm, n, "Describe.") for n in (1, 4)]


def test_end_of_sequence_first_gives_empty_text_but_counts_the_token(tiny_vlm_eos):
    params = CaptioningParams(backend="hf", model=str(tiny_vlm_eos), max_tokens=5)
    [cap] = get_backend(params).caption([_frames(2)])
    assert cap.text == "" and cap.completion_tokens == 1


def test_unknown_remote_code_model_says_how_to_opt_in(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "minicpmv", "auto_map": {"AutoConfig": "configuration_minicpm.MiniCPMVConfig"}}')
    with pytest.raises(ValueError, match="trust_remote_code: true"):
        get_backend(CaptioningParams(backend="hf", model=str(tmp_path)))
