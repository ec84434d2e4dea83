"""The MiniCPM-V path: a local model directory with remote code, loaded with trust_remote_code.

The remote code (``tests/captioner/minicpm_remote/``) stands in for MiniCPM-V 2.6's own files and
fails where they would: the same bases and transformers imports (Qwen2, ``modeling_attn_mask_utils``),
no ``post_init()``, a tokenizer class reached only through ``auto_map`` whose ``im_start_id`` the
processor reads, a processor that slices frames by the real grid rule. ``chat`` builds and tokenizes
the real prompts and runs the tiny Qwen2 on them, then answers from its inputs, so the text is known.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from vidsift_captioner.backends import get_backend
from vidsift_captioner.backends.minicpm import MiniCPMBackend
from vidsift_captioner.ops.captioning import CaptioningParams

pytest.importorskip("transformers")

REMOTE = Path(__file__).resolve().parents[1] / "minicpm_remote"
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "</image>", "<slice>", "</slice>",
           "<unk>", "<image_id>", "</image_id>"]
CHAT_TEMPLATE = (  # MiniCPM-V 2.6's (Qwen2's) template
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
QUERY_NUM = 64
PER_IMAGE = QUERY_NUM + 2  # <image> or <slice>, query_num <unk>, </image> or </slice>


def _edit_json(path: Path, **updates) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **updates}, indent=1))


@pytest.fixture(scope="module")
def fake_minicpm(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import AutoConfig, AutoModel, PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("minicpm")
    for code in REMOTE.glob("*.py"):
        shutil.copy(code, out)
    words = ["[UNK]", "system", "user", "assistant", "You", "are", "a", "helpful", ".", "frames", "describe", "it"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(SPECIAL)
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                            unk_token="<unk>", chat_template=CHAT_TEMPLATE).save_pretrained(out)
    # as the real repo: the class is named only through auto_map (fast class in the first slot)
    _edit_json(out / "tokenizer_config.json", tokenizer_class="MiniCPMVTokenizerFast",
               auto_map={"AutoTokenizer": ["tokenization_minicpmv_fast.MiniCPMVTokenizerFast", None]})
    (out / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "MiniCPMVImageProcessor", "processor_class": "MiniCPMVProcessor",
        "auto_map": {"AutoProcessor": "processing_minicpmv.MiniCPMVProcessor",
                     "AutoImageProcessor": "image_processing_minicpmv.MiniCPMVImageProcessor"},
        "max_slice_nums": 9, "scale_resolution": 448, "patch_size": 14, "use_image_id": True,
        "image_feature_size": QUERY_NUM, "slice_mode": True, "version": 2.6,
    }))
    (out / "config.json").write_text(json.dumps({
        "model_type": "minicpmv", "architectures": ["MiniCPMV"], "query_num": QUERY_NUM,
        "vocab_size": len(words) + len(SPECIAL), "hidden_size": 16, "intermediate_size": 32,
        "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
        "max_position_embeddings": 8192, "tie_word_embeddings": False,
        "auto_map": {"AutoConfig": "configuration_minicpm.MiniCPMVConfig", "AutoModel": "modeling_minicpmv.MiniCPMV",
                     "AutoModelForCausalLM": "modeling_minicpmv.MiniCPMV"},
    }))
    model = AutoModel.from_config(AutoConfig.from_pretrained(out, trust_remote_code=True), trust_remote_code=True)
    model.save_pretrained(out)
    return out


def _backend(path) -> MiniCPMBackend:
    params = CaptioningParams(backend="hf", model=str(path), trust_remote_code=True, prompt="describe it",
                              max_tokens=9)
    backend = get_backend(params)
    assert isinstance(backend, MiniCPMBackend)
    return backend


def _frames(n, w=640, h=360):
    return [np.zeros((h, w, 3), np.uint8)] * n


def test_minicpm_chat_path_and_token_counts(fake_minicpm):
    backend = _backend(fake_minicpm)
    assert type(backend.tokenizer).__name__ == "MiniCPMVTokenizerFast"  # the auto_map class, not a plain one
    caps = backend.caption([_frames(2), _frames(3)])
    assert [c.text for c in caps] == ["2 frames 640x360 describe it", "3 frames 640x360 describe it"]
    assert [c.completion_tokens for c in caps] == [5, 5]
    # the prompt lengths the processor really fed the model
    assert [c.prompt_tokens for c in caps] == backend.model.last_prompt_lengths


def test_minicpm_prompt_tokens_follow_the_slice_grid(fake_minicpm):
    backend = _backend(fake_minicpm)
    def per_frame(frames):
        return (backend.caption([frames + frames[:1]])[0].prompt_tokens
                                    - backend.caption([frames])[0].prompt_tokens)
    assert per_frame(_frames(2)) == 3 * PER_IMAGE  # a 640x360 frame: the image and 2 slices (2x1 grid)
    assert per_frame(_frames(2, 640, 640)) == 3 * PER_IMAGE  # square: 1x2 grid
    assert per_frame(_frames(2, 320, 180)) == PER_IMAGE  # smaller than 448x448: not sliced
    assert per_frame(_frames(17)) == PER_IMAGE  # more than 16 frames: 1 slice, the model card's video setting
    assert backend.caption([_frames(17)])[0].prompt_tokens == backend.model.last_prompt_lengths[0]


def test_minicpm_needs_trust_remote_code(fake_minicpm):
    with pytest.raises(ValueError, match="trust_remote_code: true"):
        get_backend(CaptioningParams(backend="hf", model=str(fake_minicpm)))
