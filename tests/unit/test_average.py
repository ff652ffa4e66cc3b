"""Averaging epochs' weights, and starting a run from trained weights."""
import numpy as np

from pycore import weights
from pycore.network import build_network
from train.average import average


def test_average_is_the_elementwise_mean(tmp_path):
    paths = []
    for epoch, seed in ((1, 1), (2, 2)):
        path = tmp_path / f"epoch-{epoch:02d}.npz"
        path.write_bytes(weights.to_bytes(build_network(seed=seed), {"epoch": epoch}))
        paths.append(path)
    net, meta = average(paths)
    a, b = build_network(seed=1).params, build_network(seed=2).params
    for name, value in net.params.items():
        np.testing.assert_allclose(value, (a[name] + b[name]) / 2, rtol=1e-6, atol=1e-7)
        assert value.dtype == np.float32
    assert meta["averaged_epochs"] == [1, 2] and meta["epoch"] == 2
    assert meta["averaged_files"] == [f"{tmp_path.name}/epoch-01.npz", f"{tmp_path.name}/epoch-02.npz"]
    weights.from_bytes(weights.to_bytes(net, meta))     # a valid weights file
