"""Where the vault is and how it is laid out: `kith.toml` plus Obsidian's own settings.

This module owns vault discovery (`--vault`, `$KITH_VAULT`, or the nearest folder
upward holding `kith.toml` or `.obsidian/`), the documented defaults, validation
of every config key (a bad value is a ConfigError naming the key and what is
allowed), and reading `.obsidian/daily-notes.json`, `templates.json` and
`app.json`. It never writes anything; `kith init` text lives here as a constant
but is written by the writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, VaultNotFound
from .model import DEFAULT_RINGS, WARNING, Problem

CONFIG_NAME = "kith.toml"
STATE_DIR = ".kith"

# kith fields a `[fields]` alias may point at.
KNOWN_FIELDS = (
    "name", "aliases", "stage", "cadence", "last_contact", "follow_up", "follow_up_note",
    "birthday", "company", "role", "email", "phone", "linkedin", "tags", "introduced_by",
    "knows", "interests", "archived", "created",
)  # fmt: skip

# Property names other tools commonly use for kith's fields (read without any config).
BUILTIN_ALIASES = {
    "org": "company",
    "organization": "company",
    "organisation": "company",
    "e-mail": "email",
    "mail": "email",
    "phone number": "phone",
    "mobile": "phone",
    "title": "role",
    "position": "role",
    "job title": "role",
    "ring": "stage",
    "introduced by": "introduced_by",
    "last contact": "last_contact",
    "last contacted": "last_contact",
    "follow up": "follow_up",
    "follow-up": "follow_up",
    "added": "created",
}

DEFAULT_CADENCE = {"buddy": 60, "strategic": 90, "lukewarm": 180, "cold": None}


@dataclass(frozen=True)
class Config:
    root: Path
    rings: tuple[str, ...] = DEFAULT_RINGS
    cadence: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULT_CADENCE))
    log_headings: tuple[str, ...] = ("Log", "Interactions")
    reports_folder: str = "Reports"
    ignore: tuple[str, ...] = ()
    record_moves: bool = True
    link_style: str = "wikilink"  # resolved: "wikilink" | "markdown"
    people_folders: tuple[str, ...] = ("People",)
    people_types: tuple[str, ...] = ("person",)
    people_tags: tuple[str, ...] = ("person",)
    people_categories: tuple[str, ...] = ()
    people_template: str | None = None  # vault-relative person template for `kith new`
    field_aliases: dict[str, str] = field(default_factory=dict)  # casefolded key -> field
    upcoming_days: int = 14
    dormant_days: int = 365
    stalled_days: int = 120
    exposure_tag: str = "exposure"
    daily_folder: str = ""
    daily_format: str = "YYYY-MM-DD"
    templates_folder: str | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def field_for(self, key: str) -> str | None:
        """The kith field a front-matter key stands for, or None."""
        k = key.casefold()
        if k in self.field_aliases:
            return self.field_aliases[k]
        if k in KNOWN_FIELDS:
            return k
        return BUILTIN_ALIASES.get(k)

    def fingerprint(self) -> str:
        """A hash of everything that changes how a note is parsed (the cache key)."""
        parts = [
            self.rings, self.log_headings, self.people_folders, self.people_types,
            self.people_tags, self.people_categories, sorted(self.field_aliases.items()),
            self.daily_folder, self.daily_format, self.templates_folder, self.reports_folder,
            self.ignore,
        ]  # fmt: skip
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def find_vault(explicit: str | os.PathLike[str] | None, cwd: Path | None = None) -> Path:
    """The vault root: --vault, else $KITH_VAULT, else the nearest marked folder upward."""
    if explicit is None:
        explicit = os.environ.get("KITH_VAULT") or None
    if explicit is not None:
        p = Path(explicit).expanduser()
        if not p.is_dir():
            raise VaultNotFound(f"vault folder not found: {p}")
        return p.resolve()
    here = (cwd or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / CONFIG_NAME).is_file() or (d / ".obsidian").is_dir():
            return d
    err = VaultNotFound("no vault found here or in any parent folder")
    err.hint = (
        "run inside a vault, pass --vault PATH, set KITH_VAULT, or create one with `kith init`"
    )
    raise err


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _expect(
    section: dict[str, Any], key: str, kind: type | tuple[type, ...], label: str, allowed: str
) -> Any:
    value = section[key]
    if isinstance(value, bool) and kind is int:
        raise ConfigError(f"{CONFIG_NAME}: {label} must be {allowed}, got {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"{CONFIG_NAME}: {label} must be {allowed}, got {value!r}")
    return value


def _str_list(section: dict[str, Any], key: str, label: str) -> tuple[str, ...]:
    value = section[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{CONFIG_NAME}: {label} must be a list of strings, got {value!r}")
    return tuple(v.strip().strip("/") for v in value if v.strip())


def load_config(root: Path) -> Config:
    """Read kith.toml (if any) and Obsidian's settings for the vault at `root`."""
    raw: dict[str, Any] = {}
    path = root / CONFIG_NAME
    if path.is_file():
        try:
            with open(path, "rb") as f:
                data = f.read()
            # utf-8-sig: Windows editors may save kith.toml with a byte-order mark.
            raw = tomllib.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as e:
            raise ConfigError(
                f"{CONFIG_NAME}: not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})",
                hint="save kith.toml as UTF-8",
            ) from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{CONFIG_NAME}: not valid TOML ({e})") from None
        except OSError as e:
            raise ConfigError(f"{CONFIG_NAME}: cannot be read ({e.strerror})") from None
    return config_from_dict(root, raw)


_TOP_KEYS = {"rings", "log_headings", "reports_folder", "ignore", "record_moves", "link_style",
             "people", "cadence", "fields", "reports"}  # fmt: skip
_REPORT_KEYS = {"upcoming_days", "dormant_days", "stalled_days", "exposure_tag"}


def config_from_dict(root: Path, raw: dict[str, Any]) -> Config:
    problems: list[Problem] = []
    kw: dict[str, Any] = {}
    for key in sorted(raw):
        if key not in _TOP_KEYS:
            problems.append(
                Problem(
                    CONFIG_NAME,
                    None,
                    f"unknown key '{key}' (ignored)",
                    f"known keys: {', '.join(sorted(_TOP_KEYS))}",
                    WARNING,
                )
            )
    if "rings" in raw:
        rings = _str_list(raw, "rings", "rings")
        if len(rings) < 2 or len({r.casefold() for r in rings}) != len(rings):
            raise ConfigError(
                f"{CONFIG_NAME}: rings must list at least two distinct names, outer to inner"
            )
        kw["rings"] = tuple(r.casefold() for r in rings)
    rings_ = kw.get("rings", DEFAULT_RINGS)
    if "log_headings" in raw:
        kw["log_headings"] = _str_list(raw, "log_headings", "log_headings")
    if "reports_folder" in raw:
        folder = _expect(
            raw, "reports_folder", str, "reports_folder", "a vault-relative folder name"
        ).strip("/")
        if (
            not folder
            or folder.startswith(".")
            or ".." in folder.split("/")
            or os.path.isabs(folder)
        ):
            raise ConfigError(
                f"{CONFIG_NAME}: reports_folder must be a folder inside the vault, got {folder!r}"
            )
        kw["reports_folder"] = folder
    if "ignore" in raw:
        kw["ignore"] = _str_list(raw, "ignore", "ignore")
    if "record_moves" in raw:
        kw["record_moves"] = _expect(raw, "record_moves", bool, "record_moves", "true or false")
    obsidian_app = _read_json(root / ".obsidian" / "app.json")
    style = "auto"
    if "link_style" in raw:
        style = _expect(raw, "link_style", str, "link_style", "one of auto, wikilink, markdown")
        if style not in ("auto", "wikilink", "markdown"):
            raise ConfigError(
                f"{CONFIG_NAME}: link_style must be one of auto, wikilink, markdown, got {style!r}"
            )
    if style == "auto":
        style = "markdown" if obsidian_app.get("useMarkdownLinks") is True else "wikilink"
    kw["link_style"] = style
    people = raw.get("people", {})
    if not isinstance(people, dict):
        raise ConfigError(f"{CONFIG_NAME}: [people] must be a table")
    for key, attr in (("folders", "people_folders"), ("types", "people_types"),
                      ("tags", "people_tags"), ("categories", "people_categories")):  # fmt: skip
        if key in people:
            kw[attr] = _str_list(people, key, f"people.{key}")
    for key in people:
        if key not in ("folders", "types", "tags", "categories", "template"):
            raise ConfigError(
                f"{CONFIG_NAME}: unknown key people.{key}; "
                "allowed: folders, types, tags, categories, template"
            )
    if "template" in people:
        tpl = _expect(people, "template", str, "people.template", "a vault-relative note path")
        tpl = tpl.strip().replace("\\", "/").strip("/")
        if not tpl or os.path.isabs(tpl) or ".." in tpl.split("/") or ":" in tpl:
            raise ConfigError(
                f"{CONFIG_NAME}: people.template must be a note inside the vault, "
                f'such as "Templates/Person.md", got {people["template"]!r}'
            )
        kw["people_template"] = tpl
    cadence: dict[str, int | None] = {r: DEFAULT_CADENCE.get(r) for r in rings_}
    cad_raw = raw.get("cadence", {})
    if not isinstance(cad_raw, dict):
        raise ConfigError(f"{CONFIG_NAME}: [cadence] must be a table of ring = days")
    for ring, days in cad_raw.items():
        if ring.casefold() not in rings_:
            raise ConfigError(
                f"{CONFIG_NAME}: cadence.{ring}: unknown ring; allowed: {', '.join(rings_)}"
            )
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(
                f"{CONFIG_NAME}: cadence.{ring} must be a whole number of days (0 = none), got {days!r}"
            )
        cadence[ring.casefold()] = days or None
    kw["cadence"] = cadence
    fields_raw = raw.get("fields", {})
    if not isinstance(fields_raw, dict):
        raise ConfigError(f'{CONFIG_NAME}: [fields] must be a table of "Your Key" = "kith_field"')
    aliases: dict[str, str] = {}
    for user_key, target in fields_raw.items():
        if not isinstance(target, str) or target not in KNOWN_FIELDS:
            raise ConfigError(
                f"{CONFIG_NAME}: fields.{user_key} must name a kith field; allowed: {', '.join(KNOWN_FIELDS)}"
            )
        aliases[user_key.casefold()] = target
    kw["field_aliases"] = aliases
    rep = raw.get("reports", {})
    if not isinstance(rep, dict):
        raise ConfigError(f"{CONFIG_NAME}: [reports] must be a table")
    for key in rep:
        if key not in _REPORT_KEYS:
            raise ConfigError(
                f"{CONFIG_NAME}: unknown key reports.{key}; allowed: {', '.join(sorted(_REPORT_KEYS))}"
            )
    for key in ("upcoming_days", "dormant_days", "stalled_days"):
        if key in rep:
            v = _expect(rep, key, int, f"reports.{key}", "a positive whole number of days")
            if v <= 0:
                raise ConfigError(
                    f"{CONFIG_NAME}: reports.{key} must be a positive whole number of days, got {v}"
                )
            kw[key] = v
    if "exposure_tag" in rep:
        kw["exposure_tag"] = (
            _expect(rep, "exposure_tag", str, "reports.exposure_tag", "a tag name")
            .lstrip("#")
            .casefold()
        )
    daily = _read_json(root / ".obsidian" / "daily-notes.json")
    if isinstance(daily.get("folder"), str):
        kw["daily_folder"] = daily["folder"].strip().strip("/")
    if isinstance(daily.get("format"), str) and daily["format"].strip():
        kw["daily_format"] = daily["format"].strip()
    tmpl = _read_json(root / ".obsidian" / "templates.json")
    if isinstance(tmpl.get("folder"), str) and tmpl["folder"].strip("/ "):
        kw["templates_folder"] = tmpl["folder"].strip().strip("/")
    return Config(root=root, problems=tuple(problems), **kw)


INIT_TOML = """\
# kith.toml: how kith reads this vault. Every key is optional; the values shown
# are the defaults. The full reference is docs/vault-format.md in kith.

# Rings of your network, outer -> inner.
# rings = ["cold", "lukewarm", "strategic", "buddy"]

# Headings whose dated list items are a person's interaction log.
# log_headings = ["Log", "Interactions"]

# Where kith writes its reports (it never writes anywhere else unless asked).
# reports_folder = "Reports"

# Glob patterns of notes kith should not read.
# ignore = ["Archive/**"]

# `kith watch` adds a "- YYYY-MM-DD stage: old -> new" line when you edit stage: by hand.
# record_moves = true

# Links in reports: auto (follows Obsidian's "Use [[Wikilinks]]"), wikilink or markdown.
# link_style = "auto"

[people]
# Notes in these folders (and their subfolders) are people.
# folders = ["People"]
# Notes anywhere are people when `type:` is one of these, or they carry one of these tags.
# types = ["person"]
# tags = ["person"]
# kepano-style vaults: categories: ["[[People]]"]
# categories = ["People"]
# The note `kith new` starts from ({{title}}, {{date}}, {{time}} are filled in).
# template = "Templates/Person.md"

[cadence]
# Days between check-ins by ring (0 = no cadence). A person's `cadence:` overrides it.
# buddy = 60
# strategic = 90
# lukewarm = 180
# cold = 0

[fields]
# Your property names for kith's fields, e.g.:
# Company = "company"
# "E-mail" = "email"
# "Phone Number" = "phone"

[reports]
# upcoming_days = 14
# dormant_days = 365
# stalled_days = 120
# exposure_tag = "exposure"
"""
