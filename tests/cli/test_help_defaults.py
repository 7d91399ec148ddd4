"""Every --help states each option's default; -o names a file or says it is a folder;
submit --payload lists {resume} (issue 16, item 14)."""
import argparse
import subprocess
import sys

import pytest

from emergent_py.cli import build_parser, command_modules


def subparsers():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


@pytest.mark.parametrize("command", [m.NAME for m in command_modules()])
def test_every_option_states_its_default(command):
    p = subparsers()[command]
    for action in p._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        text = action.help % {"default": action.default} if "%(" in action.help else action.help
        assert "default" in text.lower() or "(required)" in text, (command, action.option_strings, text)


def test_help_renders_the_defaults_as_users_see_them():
    out = subprocess.run([sys.executable, "-m", "emergent_py", "run", "--help"], capture_output=True, text=True).stdout
    flat = " ".join(out.split())
    assert "--overwrite replace an existing -o file (default: off)" in flat
    assert "--np N train on N MPI ranks" in flat and "(default: 1)" in flat
    out = subprocess.run([sys.executable, "-m", "emergent_py", "submit", "--help"], capture_output=True, text=True).stdout
    flat = " ".join(out.split())
    assert "{python} {model} {output} {run_dir} {resume} placeholders" in flat
    assert "-o FOLDER, --folder FOLDER, --out-dir FOLDER job folder to write (a folder, not a file;" in flat
    assert "--cluster NAME cluster profile name" in flat and "required unless --nsg" in flat


def test_every_o_is_a_file_except_submits_folder():
    for name, p in subparsers().items():
        for action in p._actions:
            if "-o" in action.option_strings:
                is_folder = name == "submit"
                assert (action.metavar == "FOLDER") == is_folder, (name, action.metavar)
