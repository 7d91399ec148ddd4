"""The options that say where an emergent ``.proj`` SPEC's input patterns come from (run, show,
submit, import-proj): ``--table NAME`` picks one of its DataTables, ``--patterns FILE.dat``
gives them from a file, for projects whose programs make their inputs at run time."""
from __future__ import annotations


def add_input_arguments(p, table_help: str) -> None:
    """``--table`` (with ``table_help``) and ``--patterns`` on parser ``p``."""
    p.add_argument("--table", metavar="NAME", default=None, help=table_help)
    p.add_argument("--patterns", metavar="FILE.dat", default=None,
                   help="SPEC an emergent .proj: train on the patterns of this .dat file (columns "
                        "named after the input and target layers, as emergent writes them) instead "
                        "of a table of the project; for projects that make their inputs at run time "
                        "(default: the project's table)")
