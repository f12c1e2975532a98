"""Line preprocessing decisions and the process allocator settings the worker and CLI run with."""
from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models_ml.htr.data import preprocess, to_grey_array
from models_ml.runtime import keep_freed_memory

ROOT = Path(__file__).resolve().parents[2]


def _float_median_rule(img: Image.Image) -> np.ndarray:
    """The inversion rule as first written: median of the float image below 0.45."""
    arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    return 1.0 - arr if arr.size and np.median(arr) < 0.45 else arr


@pytest.mark.parametrize("grey, inverted", [(114, True), (115, False), (0, True), (255, False)])
def test_ink_inversion_threshold_sits_between_grey_114_and_115(grey, inverted):
    img = Image.fromarray(np.full((20, 30), grey, np.uint8))
    arr = to_grey_array(img)
    assert np.allclose(arr, (1.0 - grey / 255.0) if inverted else grey / 255.0)


def test_byte_median_gives_the_float_median_rule_on_mixed_images():
    rng = np.random.default_rng(3)
    for i in range(120):
        h, w = int(rng.integers(1, 60)), int(rng.integers(1, 400))
        pix = (rng.random((h, w)) * 255).astype(np.uint8)
        if i % 2:  # even pixel counts whose two middle values straddle the threshold
            pix = np.where(rng.random((h, w)) < 0.5, 114, 115).astype(np.uint8)
        img = Image.fromarray(pix).convert(["L", "RGB", "RGBA"][i % 3])
        assert np.array_equal(to_grey_array(img), _float_median_rule(img)), (i, h, w)


def test_preprocess_refuses_an_empty_image():
    with pytest.raises(ValueError, match="empty"):
        preprocess(Image.new("L", (0, 5)), 32)


_FAULTS = textwrap.dedent("""
    import resource, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    if sys.argv[1] == "tuned":
        from models_ml.runtime import keep_freed_memory
        assert keep_freed_memory()
    def cycle():  # a forward pass's shape: several large buffers alive at once, then all freed
        bufs = [np.ones(2_000_000, dtype=np.float32) for _ in range(4)]  # 8 MB each
        return sum(float(b[::4096].sum()) for b in bufs)
    cycle()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(40):
        cycle()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt settings are glibc's")
def test_keep_freed_memory_stops_large_buffers_faulting_in_again():
    assert keep_freed_memory() is True
    script = _FAULTS.format(root=str(ROOT))
    faults = {mode: int(subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True,
                                       check=True).stdout) for mode in ("default", "tuned")}
    # By default part of the freed 32 MB goes back to the OS (unmapped or trimmed) and faults in again (thousands
    # of pages a cycle); kept for reuse, it faults in once.
    assert faults["default"] > 40 * 1500, faults
    assert faults["tuned"] < faults["default"] / 10, faults
