"""The ``emergent-py`` command line: one console script, one module per subcommand.

Subcommands live in ``emergent_py/commands/<name>.py``; each defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``, and is found automatically, so adding a
command touches no other file. User errors (:class:`EmergentPyError`, unreadable files) print one
line and exit 2; there is never a traceback for them. An unexpected exception (a bug of ours)
prints one line and exits 70. ``emergent-py --debug COMMAND ...`` prints the traceback as well.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
import warnings

from . import __version__, commands
from .errors import BROKEN_PIPE_EXIT, DEBUG_HINT, INTERNAL_EXIT, EmergentPyError, UserCodeError

EPILOG = """SPEC is a Python file defining build(), a folder holding model.py (e.g. projects/RandomAssoc),
or a canonical model .json. Run `emergent-py COMMAND --help` for a command's options."""


def command_modules() -> list:
    mods = [importlib.import_module(f"{commands.__name__}.{m.name}")
            for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    return sorted((m for m in mods if hasattr(m, "NAME")), key=lambda m: (getattr(m, "ORDER", 50), m.NAME))


class _Parser(argparse.ArgumentParser):
    """argparse, except that under an MPI launcher only rank 0 prints a usage error (every rank
    meets it, and N copies of the same message help nobody); every rank exits 2."""

    def error(self, message: str):
        if _launcher_rank() > 0:
            sys.exit(2)
        super().error(message)


def _launcher_rank() -> int:
    """This process's MPI rank as the launcher's environment gives it (0 outside MPI)."""
    from .leabra.parallel import WORLD_RANK_VARS
    for var in WORLD_RANK_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emergent-py", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Leabra models as Python specs: run them natively, generate emergent projects, "
                    "submit them to SLURM clusters, compare the numbers.")
    parser.add_argument("--version", action="version", version=f"emergent-py {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, print its Python traceback too (default: one line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        state_defaults(p)
        p.set_defaults(func=mod.run)
    return parser


def state_defaults(parser: argparse.ArgumentParser) -> None:
    """Make every option's help state its default: an option whose help does not say it gets
    "(default: VALUE)", "(default: off)" for a flag, "(default: not set)" for no value,
    "(required)" for a required one. Options whose default is worked out (a template found on
    PATH, the plan's value) say so in their own help."""
    for action in parser._actions:
        if not action.option_strings or action.help in (None, argparse.SUPPRESS) \
                or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if "default" in action.help.lower():
            continue
        if action.required:
            action.help += " (required)"
            continue
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            value = "off"
        elif action.default is None or action.default == [] or action.default is argparse.SUPPRESS:
            value = "not set"
        else:
            value = str(action.default).replace("%", "%%")
        action.help += f" (default: {value})"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    # the package's warnings (e.g. the C kernel falling back to numpy) as one line, not a source line
    warnings.formatwarning = lambda message, category, *rest, **kw: \
        f"emergent-py {args.command}: warning: {message}\n"
    try:
        return int(_run(args) or 0)
    except EmergentPyError as e:
        hint = ""
        if isinstance(e, UserCodeError) and not args.debug:       # the model file's own code failed
            hint = DEBUG_HINT
        print(f"emergent-py {args.command}: error: {e}{hint}", file=sys.stderr)
        return 2
    except OSError as e:          # unreadable / unwritable paths the user named
        if isinstance(e, BrokenPipeError):
            return _output_closed(args.command)
        print(f"emergent-py {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"emergent-py {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:        # a bug of ours: one line, the traceback with --debug
        print(f"emergent-py {args.command}: internal error: {type(e).__name__}: {e} (a bug in "
              "emergent-py; please report it with the output of emergent-py --debug ...)", file=sys.stderr)
        return INTERNAL_EXIT


def _run(args):
    """Run the command; with ``--debug`` an error's traceback is printed before its message."""
    try:
        return args.func(args)
    except Exception:
        if args.debug:
            traceback.print_exc()
        raise


def _output_closed(command: str) -> int:
    """The reader of stdout (or stderr) went away before the command's output was all written:
    not a success, since what the user asked for was not delivered (progress lines never get
    here: emergent_py.progress drops them and the work goes on). Says so on stderr if it is still
    open, and silences both streams so that Python's flush at exit cannot raise again."""
    from .progress import silence
    silence(sys.stdout)
    try:
        print(f"emergent-py {command}: output closed by its reader (broken pipe); exit status "
              f"{BROKEN_PIPE_EXIT}", file=sys.stderr, flush=True)
    except OSError:
        silence(sys.stderr)
    return BROKEN_PIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
