"""A tiny random-initialised Idefics3 (SmolVLM's architecture), built offline and saved to disk.

Real architecture, processor and chat template at toy sizes, so the ``hf`` backend loads it through
the same ``from_pretrained`` path as production weights. Idefics3 because its processor needs no
video processor (those need torchvision, which the CPU image does not carry).

``steer="first"`` zeroes the text model's final norm: every logit is then 0 and greedy decoding
picks id 0 (the byte token "!") every step, so the expected caption is known exactly.
``steer="eos"`` additionally makes id 0 the end-of-sequence id: the caption is empty.
Also used by bench/caption.py.
"""

from __future__ import annotations

from pathlib import Path

IMAGE_SIZE = 56  # vision tower input; 4x4 patches of 14 px
IMAGE_SEQ_LEN = 4  # (56/14)^2 / scale_factor^2: tokens per image
SPECIAL = ["<|endoftext|>", "<end_of_utterance>", "<fake_token_around_image>", "<image>", "<global-img>"] + [
    f"<row_{i + 1}_col_{j + 1}>" for i in range(6) for j in range(6)
]
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | capitalize }}:{% if m['content'] is string %} {{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %} {{ c['text'] }}"
    "{% endif %}{% endfor %}{% endif %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)
FIRST_TOKEN_TEXT = "!"  # id 0 of the byte-level alphabet


def build_tiny_vlm(out: Path, steer: str | None = "first", hidden: int = 32, layers: int = 2) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
    from transformers import (Idefics3Config, Idefics3ForConditionalGeneration, Idefics3ImageProcessor,
                              Idefics3Processor, PreTrainedTokenizerFast)

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["User: Assistant: a dog runs along the beach while the camera pans left"] * 4, trainer)
    tok.add_special_tokens(SPECIAL)  # after training: id 0 stays an ordinary byte token
    assert tok.id_to_token(0) == FIRST_TOKEN_TEXT
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<end_of_utterance>",
                                        pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE)
    images = Idefics3ImageProcessor(do_image_splitting=False, size={"longest_edge": IMAGE_SIZE},
                                       max_image_size={"longest_edge": IMAGE_SIZE})
    processor = Idefics3Processor(image_processor=images, tokenizer=tokenizer, image_seq_len=IMAGE_SEQ_LEN,
                                  chat_template=CHAT_TEMPLATE)
    eos = 0 if steer == "eos" else tokenizer.eos_token_id
    config = Idefics3Config(
        text_config=dict(model_type="llama", vocab_size=len(tokenizer), hidden_size=hidden,
                         intermediate_size=2 * hidden, num_hidden_layers=layers, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=2048, eos_token_id=eos,
                         pad_token_id=tokenizer.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=IMAGE_SIZE, patch_size=14),
        scale_factor=2, image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = Idefics3ForConditionalGeneration(config)
    if steer:
        with torch.no_grad():
            model.model.text_model.norm.weight.zero_()
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
