"""The recurrent examples run end to end in their quick mode and print their results."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where the tested pyengine was imported from (source tree or site-packages): the children import it
import pyengine  # noqa: E402
PKG = os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__)))


def run(script, *args):
    env = dict(os.environ, PYTHONPATH=PKG + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), *args],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("script, expect", [
    ("char_lstm.py", ["bits/char", "trained in", "sample:"]),
    ("lstm_timeseries.py", ["test RMSE", "trained in"]),
])
def test_example_quick_mode(script, expect):
    text = run(script, "--quick")
    for e in expect:
        assert e in text, text


def test_char_lstm_reads_a_text_file(tmp_path):
    p = tmp_path / "text.txt"
    p.write_text("hello world. " * 200)
    assert "vocabulary 9" in run("char_lstm.py", "--quick", "--data", str(p))
