"""Stand-in for MiniCPM-V 2.6's modeling_minicpmv.py: the same bases, imports and ``chat`` signature.

Like the real class it never calls ``post_init()`` and reads ``bos_id``/``eos_id`` from the tokenizer
it is given; ``chat`` builds prompts exactly as the real one and runs its processor (the one passed in,
or ``AutoProcessor`` on the model's path). The answer is made from its inputs, not generated, so a
test knows it; the prompt lengths the processor produced are kept in ``last_prompt_lengths``.
"""

from copy import deepcopy

import torch
from PIL import Image
from transformers import AutoProcessor, Qwen2ForCausalLM, Qwen2PreTrainedModel

from .configuration_minicpm import MiniCPMVConfig


class MiniCPMVPreTrainedModel(Qwen2PreTrainedModel):
    config_class = MiniCPMVConfig


class MiniCPMV(MiniCPMVPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.llm = Qwen2ForCausalLM(config)
        self.embed_dim = self.llm.config.hidden_size
        self.resampler = torch.nn.Linear(self.embed_dim, self.embed_dim)  # stands for vpm + resampler
        self.processor = None
        self.terminators = ["<|im_end|>", "<|endoftext|>"]
        self.last_prompt_lengths = None

    def chat(self, image, msgs, tokenizer, processor=None, vision_hidden_states=None, max_new_tokens=2048,
             min_new_tokens=0, sampling=True, max_inp_length=8192, system_prompt="", stream=False,
             max_slice_nums=None, use_image_id=None, **kwargs):
        assert image is None and isinstance(msgs[0], list), "batch: frames go inside msgs"
        assert use_image_id is False and max_slice_nums in (1, 2) and not sampling and kwargs == {"num_beams": 1}
        if processor is None:
            if self.processor is None:
                self.processor = AutoProcessor.from_pretrained(self.config._name_or_path, trust_remote_code=True)
            processor = self.processor
        prompts, images_lists = [], []
        for conversation in msgs:
            copy_msgs, images = deepcopy(conversation), []
            for msg in copy_msgs:
                content = [msg["content"]] if isinstance(msg["content"], str) else msg["content"]
                cur = []
                for c in content:
                    if isinstance(c, Image.Image):
                        images.append(c)
                        cur.append("(<image>./</image>)")
                    elif isinstance(c, str):
                        cur.append(c)
                msg["content"] = "\n".join(cur)
            prompts.append(processor.tokenizer.apply_chat_template(copy_msgs, tokenize=False, add_generation_prompt=True))
            images_lists.append(images)
        inputs = processor(prompts, images_lists, max_slice_nums=max_slice_nums, use_image_id=use_image_id,
                           return_tensors="pt", max_length=max_inp_length).to(self.device)
        with torch.inference_mode():  # the loaded weights run (their dtype and device must agree)
            self.llm(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        self.last_prompt_lengths = inputs["attention_mask"].sum(dim=1).tolist()
        terminators = [tokenizer.convert_tokens_to_ids(t) for t in self.terminators]
        assert None not in terminators
        tokenizer.bos_id, tokenizer.eos_id  # noqa: B018 - _decode_text reads these; a plain tokenizer has none
        answers = []
        for images, conversation in zip(images_lists, msgs):
            prompt = conversation[-1]["content"][-1]
            answers.append(f"{len(images)} frames {images[0].size[0]}x{images[0].size[1]} {prompt}")
        return answers
