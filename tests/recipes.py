"""Recipes shared by tests: the reference scheme's split and CPU filters, with a fast motion score."""

CPU_SPLIT = """
process:
  - video_split_by_scene_mapper: {threshold: 27.0, min_scene_len: 10}
  - video_split_by_duration_mapper: {split_duration: 3, min_last_split_duration: 1}
  - video_validity_filter: {}
  - video_duration_filter: {min_duration: 1, max_duration: 3}
  - video_resolution_filter: {min_width: 256, max_width: 1800, min_height: 256, max_height: 1800}
  - video_motion_score_filter: {min_score: 0.25, max_size: 256}
"""
