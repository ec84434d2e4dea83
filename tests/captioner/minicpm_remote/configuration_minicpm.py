"""Stand-in for MiniCPM-V 2.6's configuration_minicpm.py: the same base class and imports."""

from transformers import Qwen2Config
# The real module imports its SigLIP code, which imports this (gone in transformers 5.x).
from transformers.modeling_attn_mask_utils import _prepare_4d_attention_mask  # noqa: F401 - imported only because the real module imports it


class MiniCPMVConfig(Qwen2Config):
    model_type = "minicpmv"
    keys_to_ignore_at_inference = ["past_key_values"]

    def __init__(self, use_cache=True, query_num=64, image_size=448, drop_vision_last_layer=True,
                 batch_vision_input=True, slice_config=None, vision_config=None, use_image_id=True,
                 vision_batch_size=16, **kwargs):
        self.use_cache = use_cache
        self.query_num = query_num
        self.image_size = image_size
        self.drop_vision_last_layer = drop_vision_last_layer
        self.batch_vision_input = batch_vision_input
        self.slice_config = slice_config or {"max_slice_nums": 9, "patch_size": 14, "scale_resolution": 448}
        self.use_image_id = use_image_id
        self.vision_batch_size = vision_batch_size
        super().__init__(**kwargs)
