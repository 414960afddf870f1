"""kith's library: read an Obsidian-style vault of people notes, answer questions
about the network, and write reports back into the vault.

The pipeline runs one way: scan -> parse -> vault snapshot -> query -> render -> write.
Only `write`, `edit` and `watch` touch the disk for writing; `cli.py` only parses
arguments, calls into this package and prints.
"""

__version__ = "0.1.0"
