"""The reference scheme's YAML blocks load unchanged, and every key they use takes effect."""

import pytest

from vidsift.recipe import RecipeError, load_recipe

# Verbatim from the reference scheme (CUPES-IAIS), comments included.
REFERENCE = """
  - video_aesthetics_filter:
      #hf_scorer_model: shunk031/aesthetics-predictor-v2-sac-logos-ava1-l14-linearMSE # Huggingface model name
      min_score: 0.4                                          # the min aesthetics score of filter range
      max_score: 1.0                                          # the max aesthetics score of filter range
      frame_sampling_method: all_keyframes                        # sampling method
      frame_num: 3                                            # the number of frames
      reduce_mode: avg                                        # reduce mode
      any_or_all: all                                         # keep this sample when any/all images meet the filter condition
      mem_required: '1500MB'                                  # memory hint
  - video_watermark_filter:                                 # filter samples according to the predicted watermark probabilities
      #hf_watermark_model: amrul-hzz/watermark_detector        # Huggingface model name for watermark classification
      prob_threshold: 0.6                              # the predicted watermark probability threshold for samples
      frame_sampling_method: all_keyframes
      frame_num: 10
      reduce_mode: avg
      any_or_all: all
      mem_required: '20GB'
  - video_nsfw_filter:                                      # filter samples according to the nsfw scores of videos in them
      #hf_nsfw_model: Falconsai/nsfw_image_detection           # Huggingface model name for nsfw classification
      score_threshold: 0.4                           # the nsfw score threshold for samples, range from 0 to 1
      frame_sampling_method: all_keyframes
      frame_num: 3
      reduce_mode: avg
      any_or_all: all
"""


def test_reference_blocks_load_and_take_effect():
    r = load_recipe(REFERENCE)
    aes, wm, nsfw = (s.cls(s.params) for s in r.ops_for("score"))
    assert (aes.params.min_score, aes.params.frame_sampling_method, aes.params.mem_required) == (0.4, "all_keyframes", "1500MB")
    assert wm.params.prob_threshold == 0.6 and wm.params.frame_num == 10
    assert nsfw.params.score_threshold == 0.4
    # score_threshold is honoured (data-juicer ignores it and keeps its 0.5 default)
    assert not nsfw.decide({"video_nsfw_score": 0.45}).keep
    assert not wm.decide({"video_watermark_prob": 0.7}).keep and wm.decide({"video_watermark_prob": 0.5}).keep


def test_canonical_recipe_round_trips_with_thresholds():
    from vidsift.recipe import recipe_from_json

    r = load_recipe(REFERENCE)
    again = recipe_from_json(r.to_json())
    assert again.id == r.id
    assert again.find("video_nsfw_filter").params.score_threshold == 0.4


def test_shipped_profiles():
    local = load_recipe("local")
    assert [s.name for s in local.ops_for("score")] == ["video_watermark_filter", "video_nsfw_filter"]
    wm, nsfw = (s.params for s in local.ops_for("score"))
    assert (wm.backend, wm.prob_threshold, nsfw.backend, nsfw.score_threshold) == ("ocr", 0.6, "open_nsfw", 0.4)
    full = load_recipe("default")
    want = {s.name: s.params for s in load_recipe(REFERENCE).ops}
    assert {s.name: s.params for s in full.ops_for("score")} == want  # exactly the reference's


def test_conflicting_keys_are_a_clear_recipe_error():
    with pytest.raises(RecipeError, match="video_nsfw_filter.*not both"):
        load_recipe("- video_nsfw_filter: {score_threshold: 0.4, max_score: 0.5}")
