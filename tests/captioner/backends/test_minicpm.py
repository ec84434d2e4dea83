"""The MiniCPM-V path: a local model directory with remote code, loaded with trust_remote_code.

The remote code is a tiny stand-in with MiniCPM-V 2.6's ``chat`` signature (copied from its
modeling_minicpmv.py): it checks what the backend passes (batched conversations of PIL frames then
the prompt, no separate image, the model card's video settings) and answers from it, so the real
transformers remote-code loading and the backend's token accounting run end to end.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from vidsift_captioner.backends import get_backend
from vidsift_captioner.backends.minicpm import MiniCPMBackend
from vidsift_captioner.ops.captioning import CaptioningParams

pytest.importorskip("transformers")

CONFIG_CODE = '''
from transformers import PretrainedConfig


class MiniCPMVConfig(PretrainedConfig):
    model_type = "minicpmv"

    def __init__(self, query_num=64, hidden_size=8, **kwargs):
        self.query_num = query_num
        self.hidden_size = hidden_size
        super().__init__(**kwargs)
'''

MODEL_CODE = '''
import torch
from PIL import Image
from transformers import PreTrainedModel

from .configuration_minicpm import MiniCPMVConfig


class MiniCPMV(PreTrainedModel):
    config_class = MiniCPMVConfig
    _supports_sdpa = True  # as the real one (a Qwen2PreTrainedModel); the backend asks for sdpa

    def __init__(self, config):
        super().__init__(config)
        self.proj = torch.nn.Linear(config.hidden_size, config.hidden_size)
        self.post_init()

    def chat(self, image, msgs, tokenizer, processor=None, vision_hidden_states=None, max_new_tokens=2048,
             min_new_tokens=0, sampling=True, max_inp_length=8192, system_prompt="", stream=False,
             max_slice_nums=None, use_image_id=None, **kwargs):
        assert image is None and isinstance(msgs[0], list), "batch: frames go inside msgs"
        assert use_image_id is False and max_slice_nums in (1, 2) and not sampling and kwargs == {"num_beams": 1}
        answers = []
        for conversation in msgs:
            [msg] = conversation
            *frames, prompt = msg["content"]
            assert msg["role"] == "user" and all(isinstance(f, Image.Image) for f in frames)
            answers.append(f"{len(frames)} frames {frames[0].size[0]}x{frames[0].size[1]} {prompt}")
        return answers
'''


@pytest.fixture(scope="module")
def fake_minicpm(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("minicpm")
    (out / "configuration_minicpm.py").write_text(textwrap.dedent(CONFIG_CODE))
    (out / "modeling_minicpm.py").write_text(textwrap.dedent(MODEL_CODE))
    (out / "config.json").write_text(json.dumps({
        "model_type": "minicpmv", "query_num": 64, "hidden_size": 8, "architectures": ["MiniCPMV"],
        "auto_map": {"AutoConfig": "configuration_minicpm.MiniCPMVConfig", "AutoModel": "modeling_minicpm.MiniCPMV"},
    }))
    words = ["frames", "describe", "it", "2", "3", "160x90", "[UNK]"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(out)

    from transformers import AutoConfig, AutoModel

    model = AutoModel.from_config(AutoConfig.from_pretrained(out, trust_remote_code=True), trust_remote_code=True)
    model.save_pretrained(out)
    return out


def test_minicpm_chat_path_and_token_estimate(fake_minicpm):
    params = CaptioningParams(backend="hf", model=str(fake_minicpm), trust_remote_code=True,
                              prompt="describe it", max_tokens=9)
    backend = get_backend(params)
    assert isinstance(backend, MiniCPMBackend)
    frames = lambda n: [np.zeros((90, 160, 3), np.uint8)] * n  # noqa: E731
    caps = backend.caption([frames(2), frames(3)])
    assert [c.text for c in caps] == ["2 frames 160x90 describe it", "3 frames 160x90 describe it"]
    assert [c.completion_tokens for c in caps] == [5, 5]
    # prompt words + (query_num + 2) image tokens per frame
    assert [c.prompt_tokens for c in caps] == [2 + 2 * 66, 2 + 3 * 66]


def test_minicpm_needs_trust_remote_code(fake_minicpm):
    with pytest.raises(ValueError, match="trust_remote_code: true"):
        get_backend(CaptioningParams(backend="hf", model=str(fake_minicpm)))
