"""pycore's stroke range is MNIST's, measured (needs MNIST, like the shipped model's tests)."""
import numpy as np
import pytest

from pycore.preprocess import STROKE_RANGE
from train import data, strokes


def test_stroke_range_is_what_mnist_measures():
    measured = strokes.widths(data.load()["train_images"][strokes.MEASURED])
    assert STROKE_RANGE == pytest.approx(tuple(np.percentile(measured, strokes.RANGE_PERCENTILES)), abs=0.01)


@pytest.mark.parametrize("images", ["45000:55000", "60000:61000", "5:5", "a:b"])
def test_strokes_report_keeps_to_training_images(images, capsys):
    with pytest.raises(SystemExit):
        strokes.main(["--images", images])
    assert "--images" in capsys.readouterr().err


def test_strokes_report_names_a_missing_weights_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        strokes.main([str(tmp_path / "none.npz")])
    assert "no such weights file" in capsys.readouterr().err
