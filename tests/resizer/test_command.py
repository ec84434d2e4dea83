from fractions import Fraction

from vidsift_resizer.command import OutputSpec, SpanPlan, build_command, output_frames, rational


def spec(key="512x512", fps=None, audio=False):
    w, h = key.split("x")
    return OutputSpec(key=key, width=int(w), height=int(h), chain=f"scale={w}:{h}", fps=fps, audio=audio,
                      crf=18, preset="veryfast")


PLAN = SpanPlan(select="gte(t,1.5)*lt(t,4.5)", frames=90, rate=Fraction(30000, 1001), seek=1.001, audio_start=1.5)


def test_one_input_one_graph_every_target():
    cmd = build_command("src.mp4", PLAN, [spec("512x512"), spec("256x256")], ["a.mp4", "b.mp4"], has_audio=True)
    assert cmd.count("-i") == 1 and cmd.count("-filter_complex") == 1
    graph = cmd[cmd.index("-filter_complex") + 1]
    assert "split=2[s0][s1]" in graph and "select='gte(t,1.5)*lt(t,4.5)'" in graph
    assert graph.index("select") < graph.index("split") < graph.index("scale")  # scale only selected frames
    assert "[0:a:0]" not in graph and cmd.count("-an") == 2  # audio dropped by default
    assert cmd[cmd.index("-ss") + 1] == "1.001000" and "-noaccurate_seek" in cmd and "-copyts" in cmd
    assert cmd.count("-frames:v") == 2 and cmd[cmd.index("-frames:v") + 1] == "90"
    assert cmd.count("+faststart") == 2 and cmd[-1] == "b.mp4"


def test_no_seek_and_no_split_for_one_output_from_the_start():
    plan = SpanPlan(select="between(n,0,29)", frames=30, rate=Fraction(25))
    cmd = build_command("src.avi", plan, [spec()], ["a.mp4"], has_audio=False)
    assert "-ss" not in cmd and "split" not in cmd[cmd.index("-filter_complex") + 1]


def test_audio_kept_on_request_trimmed_to_the_clip():
    cmd = build_command("s.mp4", PLAN, [spec("512x512", audio=True), spec("256x256")], ["a", "b"], has_audio=True)
    graph = cmd[cmd.index("-filter_complex") + 1]
    assert "[0:a:0]atrim=start=1.500000:duration=3.003000" in graph and "[a0]" in graph
    assert cmd.count("-an") == 1 and "aac" in cmd
    # a source without audio: nothing to keep, and no dangling [0:a:0]
    cmd = build_command("s.mp4", PLAN, [spec(audio=True)], ["a"], has_audio=False)
    assert "atrim" not in cmd[cmd.index("-filter_complex") + 1] and "-an" in cmd


def test_recipe_fps_resamples_per_output():
    s = spec(fps=10)
    assert output_frames(PLAN, s) == 30  # 90 frames at 29.97 -> 3.003 s -> 30 frames at 10 fps
    cmd = build_command("s.mp4", PLAN, [s], ["a"], has_audio=False)
    assert "[s0]fps=10,scale" in cmd[cmd.index("-filter_complex") + 1]
    assert cmd[cmd.index("-r") + 1] == "10"


def test_rational_frame_rates():
    assert rational(29.97002997002997) == Fraction(30000, 1001)
    assert rational(23.976023976023978) == Fraction(24000, 1001)
    assert rational(25.0) == 25
