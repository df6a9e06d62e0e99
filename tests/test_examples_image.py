"""The image-model examples run end to end in their quick modes and write their pictures
(the full runs and their figures are in docs/image.md)."""
import importlib.util
import os
import subprocess
import sys

import pytest

import pyengine

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
# The directory the tested pyengine was imported from, so the example imports the same build.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__)))
HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def run_example(name, tmp_path, *args):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="2")
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--quick",
                        "--out", str(tmp_path), *args], env=env, cwd=EXAMPLES,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return r.stdout


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
@pytest.mark.parametrize("loss, cond, info", [("ra", "1", "0"), ("bce", "0", "0"),
                                             ("ls", "0", "1")])
def test_dcgan_quick(tmp_path, loss, cond, info):
    out = run_example("dcgan_mnist.py", tmp_path, "--loss", loss, "--cond", cond, "--info", info)
    assert "confident samples" in out and "every digit >= 5%" in out
    assert "(trained G: confident" in out  # the averaged generator is scored, the trained one too
    # a conditional generator is also scored on making the digit it was asked for
    assert ("confidently the digit asked for" in out) == (cond == "1")
    if HAS_MPL:
        assert (tmp_path / "dcgan_epoch_1.png").exists()
    else:
        assert "matplotlib is not installed" in out


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
def test_dcgan_rejects_label_and_code_together(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, "dcgan_mnist.py"), "--quick",
                        "--cond", "1", "--info", "1", "--out", str(tmp_path)],
                       env=dict(os.environ, PYTHONPATH=ROOT), cwd=EXAMPLES,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--cond 1 gives G the digit's label" in r.stderr


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
@pytest.mark.parametrize("loss, info", [("bce", "1"), ("ls", "0")])
def test_gan_keras_quick(tmp_path, loss, info):
    out = run_example("gan_mnist_keras.py", tmp_path, "--loss", loss, "--info", info)
    assert "confident samples" in out
    assert not HAS_MPL or (tmp_path / "gan_keras_epoch_1.png").exists()


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
def test_autoencoders_quick(tmp_path):
    out = run_example("autoencoder_mnist.py", tmp_path)
    assert "PCA-30" in out and "denoising autoencoder" in out
    assert not HAS_MPL or ((tmp_path / "autoencoder_dense.png").exists()
                           and (tmp_path / "autoencoder_denoise.png").exists())


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
def test_vae_quick(tmp_path):
    out = run_example("vae_mnist.py", tmp_path)
    assert "test reconstruction loss" in out
    assert not HAS_MPL or (tmp_path / "vae_latent_map.png").exists()


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
def test_augmentation_quick(tmp_path):
    out = run_example("augmentation_mnist.py", tmp_path)
    assert "with augmentation" in out and "without augmentation" in out
    assert not HAS_MPL or (tmp_path / "augmentation_samples.png").exists()


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="examples/ not in this checkout")
def test_transfer_learning_quick_both_patterns(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="2")
    base = tmp_path / "base.keras"
    r = subprocess.run([sys.executable, "mnist_base_model.py", "--quick", "--save", str(base)],
                       env=env, cwd=EXAMPLES, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    for extra in ([], ["--base", str(base)]):
        r = subprocess.run([sys.executable, "transfer_learning_mnist.py", "--quick", *extra],
                           env=env, cwd=EXAMPLES, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        assert "bitwise unchanged: True" in r.stdout
