"""Interop with C++ emergent 8.x: .dat tables, .wts weights, ta_Dump projects, headless runs.

Submodules (import them directly; this file stays import-free so each stays optional):
``dat`` (.dat tables), ``wts`` (weight files), ``dump`` (ta_Dump reader/writer; its node tree
and parser live in ``dump_tree`` and ``dump_parse``, re-exported by ``dump``), ``project``
(project -> spec; with ``conversions``, what emergent 8.6.1 converts in older projects on load,
``input_tables``, which table a project trains on and its valid rows, and ``programs``, reading
the project's programs and their variables), ``generate`` (spec -> project; its ``Splicer`` parts live in ``splice_specs``,
``splice_network`` and ``splice_run``), ``runner`` (run emergent headless).
"""
