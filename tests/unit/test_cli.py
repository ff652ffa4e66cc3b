"""The command lines' answers to what a user can get wrong (train, train.evaluate, build.py
serve) and what --help says: one line naming the problem, a non-zero exit, no traceback."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import build
from pycore.network import build_network
from pycore.weights import to_bytes
from train import __main__ as cli
from train import evaluate

ROOT = Path(__file__).resolve().parents[2]


def run_module(*argv, cwd=ROOT):
    """``python -m ...`` in a fresh interpreter: (exit status, stdout, stderr)."""
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return proc.returncode, proc.stdout, proc.stderr


# -- python -m train -----------------------------------------------------------------------

def test_help_gives_every_setting_with_its_default_and_description():
    status, out, _ = run_module("-m", "train", "--help")
    assert status == 0
    for key, setting in cli.SETTINGS.items():
        line = next(line for line in out.splitlines() if line.strip().startswith(f"--{key}="))
        default = setting.default or '""' if isinstance(setting.default, str) else json.dumps(
            setting.default, separators=(",", ":"))
        assert line.split()[0] == f"--{key}={default}"
        assert setting.description in " ".join(out.split()), key


def test_resume_without_a_checkpoint_says_so(tmp_path):
    status, out, err = run_module("-m", "train", f"--out={tmp_path / 'nothing-here'}", "--resume")
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "--resume: no checkpoint" in err and "nothing-here" in err and "Traceback" not in err


def test_epochs_given_as_key_space_value_is_a_setting(capsys):
    _, config = cli.parse(["--epochs", "2"])
    assert config["epochs"] == 2


# -- the settings table ----------------------------------------------------------------------

def test_defaults_come_from_the_table():
    assert cli.DEFAULTS == {key: setting.default for key, setting in cli.SETTINGS.items()}
    assert list(cli.DEFAULTS)[:3] == ["seed", "init_seed", "epochs"]


@pytest.mark.parametrize("key", [key for key, s in cli.SETTINGS.items()
                                 if isinstance(s.default, (int, float)) and not isinstance(s.default, bool)])
def test_each_number_setting_is_held_to_its_limits(key, capsys):
    setting = cli.SETTINGS[key]
    cli.parse([f"--{key}={setting.default}"] + (["--validation=0"] if key == "train_images" else []))
    below = 0 if setting.above_zero else setting.lowest - 1
    with pytest.raises(SystemExit):
        cli.parse([f"--{key}={below}"])
    if setting.at_most is not None:
        with pytest.raises(SystemExit):
            cli.parse([f"--{key}={setting.at_most + 1}"])
        assert f"at most {setting.at_most}" in capsys.readouterr().err


def test_about_rows_say_each_setting_as_the_page_shows_it():
    rows = cli.about_rows({"seed": 0, "batch_size": 1, "train_images": 50000, "rotations": [15, -15],
                           "init_seed": -1, "augment": True, "warmup_epochs": 1.0, "weight_decay": 5e-4,
                           "lr": 1e-7, "init_weights": "", "teachers": "", "teacher_weight": 0.5,
                           "someday": 3})
    assert rows == [
        {"flag": "--seed", "words": "random seed", "value": "0"},
        {"flag": "--init_seed", "words": "initial weights drawn with seed", "value": "the random seed"},
        {"flag": "--batch_size", "words": "batch size", "value": "1 image"},
        {"flag": "--lr", "words": "peak learning rate", "value": "1e-7"},
        {"flag": "--warmup_epochs", "words": "warm-up", "value": "1 epoch"},
        {"flag": "--weight_decay", "words": "weight decay", "value": "0.0005"},
        {"flag": "--train_images", "words": "training images used", "value": "50,000"},
        {"flag": "--rotations", "words": "rotated copies", "value": "15, -15 degrees"},
        {"flag": "--augment", "words": "random distortion per batch", "value": "true"},
        {"flag": "--init_weights", "words": "started from weights", "value": "none"},
        {"flag": "--teachers", "words": "distilled from", "value": "none"},
        {"flag": "--someday", "words": "someday", "value": "3"},            # a setting this code no longer has
    ]


def test_about_rows_show_the_teachers_settings_only_for_a_distilled_run():
    distilled = cli.about_rows({"teachers": "a.npz,b.npz", "teacher_weight": 0.5, "teacher_temperature": 4.0,
                                "init_seed": 3, "rotations": []})
    assert [row["flag"] for row in distilled] == ["--init_seed", "--rotations", "--teachers", "--teacher_weight",
                                                  "--teacher_temperature"]
    assert [row["value"] for row in distilled] == ["3", "none", "a.npz,b.npz", "0.5", "4"]


# -- python -m train.evaluate ------------------------------------------------------------------

@pytest.fixture
def weights_file(tmp_path):
    path = tmp_path / "good.npz"
    path.write_bytes(to_bytes(build_network(seed=0), {}))
    return path


def evaluate_error(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        evaluate.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_evaluate_names_a_missing_weights_file(tmp_path, capsys):
    assert "missing.npz: no such weights file" in evaluate_error([str(tmp_path / "missing.npz")], capsys)


def test_evaluate_names_a_file_that_is_no_npz(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not weights")
    assert "notes.txt: not a usable weights file" in evaluate_error([str(text)], capsys)


def test_evaluate_names_weights_of_another_network(tmp_path, capsys):
    other = tmp_path / "other.npz"
    np.savez(other, W=np.zeros(3, np.float32))
    assert "other.npz: not a usable weights file" in evaluate_error([str(other)], capsys)


@pytest.mark.parametrize("validation", ["abc", "1:2:3", "5:3", "0:70000"])
def test_evaluate_refuses_a_malformed_validation_slice(weights_file, validation, capsys):
    err = evaluate_error([str(weights_file), f"--validation={validation}"], capsys)
    assert f"--validation={validation}" in err


def test_evaluate_errors_come_before_the_data_and_without_a_traceback(tmp_path):
    status, out, err = run_module("-m", "train.evaluate", str(tmp_path / "missing.npz"), "--data", str(tmp_path))
    assert status == 2 and "Traceback" not in err and "missing.npz" in err and len(err.strip().splitlines()) == 1


# -- build.py serve ------------------------------------------------------------------------------

@pytest.fixture
def taken_port():
    """A port on 127.0.0.1 that something already listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


IN_USE = "serve: port {} on 127.0.0.1 is already in use (another server? try --port N)"


def test_serve_on_a_port_in_use_says_so(taken_port, monkeypatch, capsys):
    monkeypatch.setattr(build, "needs_build", lambda *args: False)
    assert build.main(["serve", "--port", str(taken_port)]) == 1
    assert capsys.readouterr().err.strip() == IN_USE.format(taken_port)


def test_serve_on_a_port_in_use_from_the_command_line(taken_port, tmp_path):
    """No traceback: the same check through a fresh interpreter (no built dist/ needed to fail)."""
    code = ("import sys, build; build.needs_build = lambda *a: False; "
            f"sys.exit(build.main(['serve', '--port', '{taken_port}']))")
    status, _, err = run_module("-c", code, cwd=tmp_path)
    assert status == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [IN_USE.format(taken_port)]


def test_built_folders_are_755_and_files_644(tmp_path):
    top = tmp_path / "stage"
    (top / "model").mkdir(parents=True)
    top.chmod(0o700)
    (top / "model").chmod(0o700)
    (top / "index.html").write_text("<!doctype html>")
    (top / "model" / "metrics.json").write_text("{}")
    (top / "index.html").chmod(0o600)
    build.open_to_readers(top)
    assert {p.stat().st_mode & 0o777 for p in (top, top / "model")} == {0o755}
    assert {p.stat().st_mode & 0o777 for p in (top / "index.html", top / "model" / "metrics.json")} == {0o644}


def test_the_policy_is_read_from_the_pages_meta(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('<head>\n<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; '
                    'img-src data:">\n</head>')
    assert build.content_security_policy(page) == "default-src 'none'; img-src data:"
    assert build.content_security_policy(ROOT / "web" / "index.html").startswith("default-src 'none'")
    assert build.content_security_policy(tmp_path / "missing.html") is None
