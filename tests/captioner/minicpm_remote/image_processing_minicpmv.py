"""Stand-in for MiniCPM-V 2.6's image processor: its slice grid and placeholders, no pixels.

``get_sliced_grid`` and the placeholder methods follow the real image_processing_minicpmv.py: a
frame larger than ``scale_resolution``² is cut into a grid of up to ``max_slice_nums`` slices, each
``image_feature_size`` tokens, after the whole (downscaled) image's own ``image_feature_size``.
"""

import math

from transformers import BatchFeature
from transformers.image_processing_utils import BaseImageProcessor


class MiniCPMVImageProcessor(BaseImageProcessor):
    model_input_names = ["pixel_values"]

    def __init__(self, max_slice_nums=9, scale_resolution=448, patch_size=14, **kwargs):
        super().__init__(**kwargs)
        self.max_slice_nums = max_slice_nums
        self.scale_resolution = scale_resolution
        self.patch_size = patch_size
        self.use_image_id = kwargs.pop("use_image_id", False)
        self.image_feature_size = kwargs.pop("image_feature_size", 64)
        self.im_start_token = kwargs.pop("im_start", "<image>")
        self.im_end_token = kwargs.pop("im_end", "</image>")
        self.slice_start_token = kwargs.pop("slice_start", "<slice>")
        self.slice_end_token = kwargs.pop("slice_end", "</slice>")
        self.unk_token = kwargs.pop("unk", "<unk>")
        self.im_id_start = kwargs.pop("im_id_start", "<image_id>")
        self.im_id_end = kwargs.pop("im_id_end", "</image_id>")
        self.slice_mode = kwargs.pop("slice_mode", True)
        self.version = kwargs.pop("version", 2.6)

    def get_sliced_grid(self, image_size, max_slice_nums, nerver_split=False):
        original_width, original_height = image_size
        log_ratio = math.log(original_width / original_height)
        ratio = original_width * original_height / (self.scale_resolution * self.scale_resolution)
        multiple = min(math.ceil(ratio), max_slice_nums)
        if multiple <= 1 or nerver_split:
            return None
        candidates = [i for i in (multiple - 1, multiple, multiple + 1) if i != 1 and i <= max_slice_nums]
        grids = [[m, n // m] for n in candidates for m in range(1, n + 1) if n % m == 0]
        best, best_error = [1, 1], float("inf")
        for grid in grids:
            error = abs(log_ratio - math.log(grid[0] / grid[1]))
            if error < best_error:
                best, best_error = grid, error
        return best

    def get_grid_placeholder(self, grid):
        if grid is None:
            return ""
        one = self.slice_start_token + self.unk_token * self.image_feature_size + self.slice_end_token
        cols, rows = grid
        return "\n".join(one * cols for _ in range(rows))

    def get_image_id_placeholder(self, idx=0):
        return f"{self.im_id_start}{idx}{self.im_id_end}"

    def get_slice_image_placeholder(self, image_size, image_idx=0, max_slice_nums=None, use_image_id=None):
        max_slice_nums = self.max_slice_nums if max_slice_nums is None else int(max_slice_nums)
        grid = self.get_sliced_grid(image_size=image_size, max_slice_nums=max_slice_nums)
        placeholder = self.im_start_token + self.unk_token * self.image_feature_size + self.im_end_token
        use_image_id = self.use_image_id if use_image_id is None else bool(use_image_id)
        if use_image_id:
            placeholder = self.get_image_id_placeholder(image_idx) + placeholder
        if self.slice_mode:
            placeholder = placeholder + self.get_grid_placeholder(grid=grid)
        return placeholder

    def preprocess(self, images, do_pad=True, max_slice_nums=None, return_tensors=None, **kwargs):
        sizes = [[image.size for image in clip] for clip in images]
        return BatchFeature(data={"image_sizes": sizes}, tensor_type=None)
