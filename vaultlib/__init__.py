"""kith's library: read an Obsidian-style vault of people notes, answer questions
about the network, and write reports back into the vault.

The pipeline runs one way: scan -> parse -> vault snapshot -> query -> render -> write.
Only `write`, `edit` and `watch` touch the disk for writing; `cli.py` only parses
arguments, calls into this package and prints.
"""

__version__ = "0.1.0"


def build_kind() -> str:
    """'compiled' when the parser was imported as the extension a wheel's build made from
    it (hatch_build.py), else 'pure Python'; found without importing it."""
    from importlib.util import find_spec

    spec = find_spec("vaultlib.parse")
    origin = spec.origin if spec is not None else None
    return "pure Python" if origin is None or origin.endswith(".py") else "compiled"
