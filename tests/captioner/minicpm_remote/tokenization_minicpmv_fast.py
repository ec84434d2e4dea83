"""Stand-in for MiniCPM-V 2.6's tokenizer: Qwen2's fast tokenizer plus the ids its code reads."""

from transformers import Qwen2TokenizerFast


class MiniCPMVTokenizerFast(Qwen2TokenizerFast):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.im_start, self.im_end = "<image>", "</image>"
        self.slice_start, self.slice_end = "<slice>", "</slice>"
        self.im_id_start, self.im_id_end = "<image_id>", "</image_id>"

    @property
    def eos_id(self):
        return self.eos_token_id

    @property
    def bos_id(self):
        return self.bos_token_id

    @property
    def unk_id(self):
        return self.unk_token_id

    @property
    def im_start_id(self):
        return self.convert_tokens_to_ids(self.im_start)

    @property
    def im_end_id(self):
        return self.convert_tokens_to_ids(self.im_end)

    @property
    def slice_start_id(self):
        return self.convert_tokens_to_ids(self.slice_start)

    @property
    def slice_end_id(self):
        return self.convert_tokens_to_ids(self.slice_end)
