"""Average the weights of several epochs (Polyak/SWA-style) or of runs that share a start.

    python -m train.average OUT.npz runs/main/epoch-26.npz ... runs/main/epoch-30.npz
    python -m train.average OUT.npz runs/a/epoch-55.npz runs/b/epoch-55.npz

The late epochs of an SGD run sit around a minimum; their mean often generalises
a little better than any one of them. Runs from the same initial weights (--init_seed)
with other seeds can be averaged if they end in one basin; the shipped recipe's runs
did not (the README's Accuracy section), and from different starts the mean is noise.
Whether a mean helps is decided on a validation run (python -m train.evaluate
--validation), like every other choice.
"""
import sys
from pathlib import Path

import numpy as np

from pycore import weights


def average(paths):
    loaded = [weights.from_bytes(Path(p).read_bytes()) for p in paths]
    net, meta = loaded[0]
    net.set_params({name: np.mean([n.params[name] for n, _ in loaded], axis=0, dtype=np.float64).astype(np.float32)
                    for name in net.params})
    epochs = [m.get("epoch") for _, m in loaded]
    files = [f"{Path(p).parent.name}/{Path(p).name}" for p in paths]     # run/epoch, no machine path
    return net, {"config": meta.get("config"), "averaged_epochs": epochs, "averaged_files": files,
                 "epoch": max(e for e in epochs if e)}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        raise SystemExit("usage: python -m train.average OUT.npz IN.npz IN.npz [...]")
    net, meta = average(argv[1:])
    Path(argv[0]).write_bytes(weights.to_bytes(net, meta))
    print(f"wrote {argv[0]}: mean of {', '.join(meta['averaged_files'])}")


if __name__ == "__main__":
    main()
