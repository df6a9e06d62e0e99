"""The quick modes of examples/rbm_digits.py and examples/dbn_mnist.py run and print their
figures (no data files: dbn_mnist makes synthetic images; rbm_digits needs scikit-learn)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where the tested pyengine was imported from (source tree or site-packages): the children import it
import pyengine  # noqa: E402
PKG = os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__)))


def run(script, *args):
    env = dict(os.environ, PYTHONPATH=PKG + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), *args],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_dbn_mnist_quick(tmp_path):
    out = run("dbn_mnist.py", "--quick", "--out", str(tmp_path))
    assert "pretraining:" in out and "fine-tuning:" in out
    assert "labelled images: test error pretrained" in out and "random init" in out
    assert "Keras model from the same DBN" in out
    pictures = "matplotlib is not installed" in out or (tmp_path / "dbn_mnist_samples.png").exists()
    assert pictures


def test_rbm_digits_quick(tmp_path):
    out = run("rbm_digits.py", "--quick", "--out", str(tmp_path))
    try:
        import sklearn  # noqa: F401
    except ImportError:
        assert "scikit-learn is not installed" in out
        return
    assert "pyengine RBM: fit" in out and "scikit-learn RBM: fit" in out
    assert "raw pixels" in out
