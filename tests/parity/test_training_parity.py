"""Training in Pyodide takes the steps CPython takes: the page's training worker (FFT and einsum
products, no BLAS) and pycore under CPython (BLAS), from the same seed on the same data files,
end with the same weights, alone and as the page's two data-parallel parts.

The test starts a training team of its own in the page (web/team.js's TrainingTeam, as the
page's Train it yourself section does), lets it train one slice, pauses,
and asks for the weights and the number of images trained on; CPython then takes as many
steps with pycore.training.Session and compares every parameter.
"""
import numpy as np
import pytest

from pycore import datasets, weights
from pycore.training import Session

SEED = 1234
SETTINGS = {"batch_size": 32, "lr": 0.02, "momentum": 0.9}

# In the page: the page's own TrainingTeam (web/team.js) of `parts` training workers, trained
# for a slice, paused; resolves with the leader's weights (bytes as a plain array) and the
# images trained on.
TRAIN_IN_PAGE = """async ({ parts, seed, settings }) => {
  const { TrainingTeam } = await import("./team.js");
  let trained = null;
  const firstSlice = new Promise((resolve) => { trained = resolve; });
  const team = await TrainingTeam.start(parts, (notice) => { if (notice.type === "trained") trained(notice); });
  try {
    await team.request("train-start", { seed, settings });
    await firstSlice;
    const { images } = await team.request("train-pause");
    const { bytes } = await team.request("train-weights");
    return { images, bytes: Array.from(bytes) };
  } finally {
    team.terminate();
  }
}"""


@pytest.fixture(scope="module")
def data(site):
    read = lambda name: datasets.from_bytes((site.dist / "data" / name).read_bytes())  # noqa: E731
    return read("mnist-train.npz"), read("mnist-check.npz")


@pytest.mark.parametrize("parts", [1, 2])
def test_training_steps_are_the_same_in_pyodide(app_session, data, parts):
    result = app_session.evaluate(TRAIN_IN_PAGE, {"parts": parts, "seed": SEED, "settings": SETTINGS})
    page_net, meta = weights.from_bytes(bytes(result["bytes"]))
    steps, rest = divmod(result["images"], SETTINGS["batch_size"])
    assert steps >= 1 and rest == 0 and meta["images"] == result["images"]

    train, check = data
    sessions = [Session(train.images, train.labels, check.images, check.labels, seed=SEED, settings=SETTINGS,
                        part=part, parts=parts) for part in range(parts)]
    for _ in range(steps):
        shares = [session.share() for session in sessions]
        for session in sessions:
            session.combine(shares)
    expected = sessions[0].net.params
    for name, value in page_net.params.items():
        scale = max(1e-3, float(np.abs(expected[name]).max()))
        assert np.abs(value - expected[name]).max() <= 1e-4 * scale, (name, steps)
    # and not merely close to where it began: the steps moved the weights
    fresh = Session(train.images[:1], train.labels[:1], check.images[:1], check.labels[:1], seed=SEED).net.params
    assert max(float(np.abs(page_net.params[n] - fresh[n]).max()) for n in fresh) > 1e-3
