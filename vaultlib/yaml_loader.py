"""PyYAML's pure-Python loader with kith's checks, for front matter the fast path declines.

This module owns the limits on front matter (nesting depth, node count), the reasons
to refuse it that are found while composing (aliases, anchors, explicit tags, too many
nodes, too deep), and the loader class that finds them: PyYAML's reader, scanner,
parser and composer, made on first use so that PyYAML is imported only when some
note needs it. `frontmatter` walks the composed nodes into values; this module never
resolves a value, never touches the disk and never uses PyYAML's constructors. It is
apart from `frontmatter` because its classes are made inside a function, which a
compiled `frontmatter` (see hatch_build.py) could not hold.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # PyYAML is imported on the slow path's first use (see loader_class)
    from yaml.nodes import Node

MAX_DEPTH = 32
MAX_NODES = 5000

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_CORE_PREFIX = "tag:yaml.org,2002:"


class Reject(Exception):
    """A reason to refuse the front matter, found while composing or walking it."""

    def __init__(self, message: str, hint: str, index: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.index = index


_ALIAS_MESSAGE = "YAML aliases (*name) are not allowed in front matter"
_ALIAS_HINT = (
    "write the value out in full (Obsidian does not expand aliases either); "
    "quote the value if the '*' is part of the text"
)


@cache
def loader_class() -> Any:
    """_Loader: PyYAML's reader, scanner, parser and composer with our checks. Made on
    first use, so that PyYAML is imported only when some note needs the slow path."""
    from yaml.composer import Composer
    from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
    from yaml.nodes import ScalarNode, SequenceNode
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _FlatResolver:
        """Gives every node its kind's tag; values are resolved later, in `_Walker`."""

        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            if kind is ScalarNode:
                return _STR_TAG
            if kind is SequenceNode:
                return _SEQ_TAG
            return _MAP_TAG

    class _Loader(Reader, Scanner, Parser, Composer, _FlatResolver):
        """PyYAML's pure-Python reader, scanner, parser and composer, with checks.

        `compose_node` refuses aliases, anchors, explicit tags, too many nodes and
        too deep nesting before any node is built, so nothing is ever expanded,
        constructed or recursed into deeply.
        """

        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            self.kith_nodes = 0
            self.kith_depth = 0
            self.kith_anchor: int | None = None

        def compose_node(self, parent: Node | None, index: Any) -> Node:
            event: Any = self.peek_event()
            if isinstance(event, AliasEvent):
                raise Reject(_ALIAS_MESSAGE, _ALIAS_HINT, event.start_mark.index)  # type: ignore[union-attr]
            tag = getattr(event, "tag", None)
            if tag is not None:
                shown = "!!" + tag[len(_CORE_PREFIX) :] if tag.startswith(_CORE_PREFIX) else tag
                raise Reject(
                    f"tag '{shown}' is not allowed in front matter",
                    f'remove the tag; if it is part of the text, quote the value: "{shown} ..."',
                    event.start_mark.index,
                )
            if event.anchor is not None and self.kith_anchor is None:
                self.kith_anchor = event.start_mark.index
            self.kith_nodes += 1
            if self.kith_nodes > MAX_NODES:
                raise Reject(
                    f"front matter has more than {MAX_NODES} nodes (keys, values and list items)",
                    "move the bulk of this data into the note body or into separate notes",
                    event.start_mark.index,
                )
            if isinstance(event, ScalarEvent):
                return self.compose_scalar_node(None)  # type: ignore[arg-type]
            self.kith_depth += 1
            if self.kith_depth > MAX_DEPTH:
                raise Reject(DEPTH_MESSAGE, DEPTH_HINT, event.start_mark.index)
            node: Node
            if isinstance(event, SequenceStartEvent):
                node = self.compose_sequence_node(None)  # type: ignore[arg-type]
            elif isinstance(event, MappingStartEvent):
                node = self.compose_mapping_node(None)  # type: ignore[arg-type]
            else:  # pragma: no cover - the parser only emits the events above here
                raise Reject("invalid YAML front matter", "", event.start_mark.index)
            self.kith_depth -= 1
            return node

    return _Loader


DEPTH_MESSAGE = f"front matter nests deeper than {MAX_DEPTH} levels"
DEPTH_HINT = "flatten the properties: Obsidian properties are single values or lists"
