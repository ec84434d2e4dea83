"""Stand-in for MiniCPM-V 2.6's processor: each "(<image>./</image>)" of a prompt becomes that
image's placeholder (the image processor's slice grid), then the text is tokenized; the real one
finds the image spans with the tokenizer's ``im_start_id``, which only its own tokenizer class has."""

import torch
from transformers import BatchFeature
from transformers.processing_utils import ProcessorMixin

PATTERN = "(<image>./</image>)"


class MiniCPMVProcessor(ProcessorMixin):
    attributes = ["image_processor", "tokenizer"]
    image_processor_class = "AutoImageProcessor"
    tokenizer_class = "AutoTokenizer"

    def __init__(self, image_processor=None, tokenizer=None):
        super().__init__(image_processor, tokenizer)
        self.version = image_processor.version

    def __call__(self, text, images=None, max_length=None, do_pad=True, max_slice_nums=None,
                 use_image_id=None, return_tensors=None, **kwargs):
        sizes = self.image_processor(images, do_pad=do_pad, max_slice_nums=max_slice_nums)["image_sizes"]
        rows = []
        for prompt, image_sizes in zip(text, sizes):
            chunks = prompt.split(PATTERN)
            assert len(chunks) == len(image_sizes) + 1, "one tag per image"
            parts = [chunks[0]]
            for i, (size, chunk) in enumerate(zip(image_sizes, chunks[1:])):
                parts.append(self.image_processor.get_slice_image_placeholder(size, i, max_slice_nums, use_image_id))
                parts.append(chunk)
            ids = self.tokenizer("".join(parts)).input_ids
            starts = [k for k, t in enumerate(ids) if t == self.tokenizer.im_start_id]
            assert len(starts) == len(image_sizes), "one <image> span per image"
            rows.append(ids)
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
        return BatchFeature(data={"input_ids": input_ids, "attention_mask": mask, "image_sizes": sizes})
