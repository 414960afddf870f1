"""Deterministic synthetic vaults for kith's benchmarks and tests.

This module owns `python -m benchmarks.genvault`: from (contacts, notes, seed)
it writes an Obsidian-style vault (people with every field kith reads, daily
notes, meeting notes, unrelated notes, Obsidian settings, kith.toml) in which
every byte follows from those arguments: each section draws from its own
`random.Random` seeded with a string, dates are fixed (the vault "ends" on
2026-11-20), and nothing iterates a set. It never reads the clock for content,
never touches an existing vault (it refuses a non-empty target folder) and
never imports kith.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from random import Random

GENERATOR_VERSION = 1

PRESETS: dict[str, tuple[int, int]] = {
    "ci": (200, 1_000),
    "small": (1_000, 10_000),
    "large": (10_000, 100_000),
}

TODAY = date(2026, 11, 20)
TODAY_ORD = TODAY.toordinal()
DAILY_MAX_DAYS = 2922  # eight years of daily notes, ending TODAY
HISTORY_START = date(2015, 1, 1).toordinal()
RINGS = ("cold", "lukewarm", "strategic", "buddy")
BOM = b"\xef\xbb\xbf"
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)

BROKEN_KINDS = ("invalid-yaml", "unclosed-front-matter", "bad-birthday", "unknown-stage")

# fmt: off
FIRST_NAMES = (
    "Maya", "Ada", "Sam", "Alex", "Jordan", "Priya", "Wei", "Lena", "Omar", "Fatima", "Lucas", "Sofia",
    "Noah", "Emma", "Liam", "Olivia", "Mateo", "Isabella", "Hiroshi", "Yuki", "Aarav", "Ananya", "Chen",
    "Mei", "Kwame", "Amara", "Lars", "Ingrid", "Pierre", "Camille", "Giulia", "Marco", "Anna", "Jonas",
    "Elena", "Dmitri", "Olga", "Tomás", "Lucía", "José", "María", "Zoë", "Björn", "Søren", "Ayşe", "Mehmet",
    "Nikolai", "Katya", "Rahul", "Deepa", "Tariq", "Layla", "Kofi", "Nia", "Ethan", "Chloe", "Daniel",
    "Grace", "Samuel", "Hannah", "David", "Sarah", "Michael", "Laura", "James", "Rachel", "Ben", "Julia",
    "Felix", "Clara", "Oscar", "Ida", "Hugo", "Alice", "Leo", "Nora", "Max", "Mia", "Finn", "Lea", "Paul",
    "Marie", "Tim", "Eva", "Jan", "Sara", "Erik", "Astrid", "Ravi", "Sunita", "Arjun", "Kavya", "Diego",
    "Valentina", "Andrés", "Camila", "Joon", "Min-jun", "Seo-yeon", "Thanh", "Linh", "Tunde", "Chidi",
    "Ngozi", "Zanele", "Thabo", "Aisha", "Yusuf", "Noor", "Karim", "Rania", "Ibrahim", "Leila", "Gabriel",
    "Beatriz", "Rafael", "Inês", "Miguel", "Carmen", "Pablo", "Nadia", "Viktor", "Irina", "Pavel", "Zofia",
    "Kasia", "Tomasz", "Agnieszka", "Mikko", "Aino", "Eero", "Freya", "Magnus", "Sigrid", "Connor",
    "Siobhan", "Declan", "Aoife", "Rhys", "Carys", "Morgan", "Taylor", "Casey", "Riley", "Quinn", "Avery",
    "Jamie", "Robin", "Kai", "Ari", "Noa", "Yael", "Eitan", "Tamar", "Hana", "Kenji", "Sakura", "Haruto",
    "Aiko", "Ming", "Jun", "Xin", "Li", "Tao", "Lan", "Bao", "Anh", "Duc", "Mai", "Sipho", "Lerato", "Mandla",
    "Precious", "Ama", "Kojo", "Efua", "Yaw", "Esi", "Abena", "Ola", "Femi", "Bisi", "Ade", "Zara", "Imran",
    "Sana", "Farah", "Bilal", "Hamza", "Owen", "Isla", "Ruby", "Archie", "Freddie", "Poppy", "Elsie",
)
LAST_NAMES = (
    "Chen", "Lovelace", "Lee", "Kim", "Patel", "Singh", "Nguyen", "Garcia", "Müller", "Schmidt", "Rossi",
    "Bianchi", "Dubois", "Martin", "Smith", "Johnson", "Brown", "Williams", "Jones", "Taylor", "Wilson",
    "Anderson", "Thomas", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
    "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Roberts",
    "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy",
    "O'Brien", "O'Connor", "Kelly", "Byrne", "Walsh", "Ryan", "Doyle", "McCarthy", "Fischer", "Weber",
    "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Larsen", "Hansen", "Jensen", "Nielsen", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson",
    "Virtanen", "Korhonen", "Mäkinen", "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Novák", "Horváth",
    "Popescu", "Ivanov", "Petrov", "Smirnova", "Kuznetsov", "Sokolova", "Yilmaz", "Kaya", "Demir", "Şahin",
    "Haddad", "Khalil", "Hassan", "Mansour", "Farouk", "Okafor", "Adeyemi", "Okonkwo", "Mensah", "Owusu",
    "Boateng", "Asante", "Dlamini", "Nkosi", "Mokoena", "Naidoo", "Kariuki", "Otieno", "Mwangi", "Tanaka",
    "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Sato", "Park", "Choi",
    "Jung", "Kang", "Cho", "Yoon", "Wang", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
    "Ma", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Sharma", "Gupta", "Kumar", "Reddy", "Iyer",
    "Menon", "Nair", "Rao", "Das", "Bose", "Mukherjee", "Khan", "Ahmed", "Ali", "Hussain", "Malik", "Qureshi",
    "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres",
    "Flores", "Rivera", "Gómez", "Díaz", "Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Alves",
    "Ferreira", "Moreau", "Laurent", "Lefebvre", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
    "Van Dijk", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Jong", "van der Berg",
    "Cohen", "Levi", "Friedman", "Katz", "Goldberg", "Shapiro", "Rosen", "Ng", "Tan", "Lim", "Goh", "Ong",
)
COMPANY_PREFIXES = (
    "Northwind", "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Aperture", "Black Mesa", "Oscorp", "Wonka", "Gringotts", "Monarch", "Massive",
    "Blue Harbor", "Red Canyon", "Silver Birch", "Golden Gate", "Iron Peak", "Bright Path", "Clearwater",
    "Evergreen", "Fable", "Granite", "Helix", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orbit",
    "Pinecone", "Quasar", "Riverbend", "Sable", "Tandem", "Upland", "Vertex", "Willow", "Xenon", "Yardstick",
    "Zephyr", "Atlas", "Beacon", "Cobalt", "Driftwood", "Ember", "Foundry", "Glacier", "Harbor", "Indigo",
    "Keystone", "Lighthouse", "Mosaic", "Nova",
)
COMPANY_SUFFIXES = (
    "Analytics", "Labs", "Systems", "Health", "Capital", "Robotics", "Software", "Ventures", "Bank",
    "Logistics", "Energy", "Media", "Foods", "Bio", "Cloud", "Security", "Studio", "Partners", "Group",
    "Networks", "Data", "AI", "Games", "Motors", "Insurance",
)
ROLES = (
    "Staff Engineer", "Engineering Manager", "Product Manager", "Designer", "Data Scientist", "Recruiter",
    "CTO", "CEO", "Founder", "VP Engineering", "Head of Data", "Principal Engineer", "Researcher",
    "Consultant", "Investor", "Partner", "Sales Director", "Marketing Lead", "Developer Advocate",
    "Software Engineer", "Senior Software Engineer", "Tech Lead", "Analyst", "Professor", "PhD student",
    "Head of People", "COO", "Operations Manager", "Solutions Architect", "SRE",
)
TAGS = (
    "mentor", "investor", "recruiter", "ex-colleague", "alumni", "berlin", "london", "nyc", "remote",
    "conference", "python", "rust", "ml", "design", "hiring", "founder", "friend", "community", "podcast",
    "writing", "climbing", "board", "advisor", "customer", "vendor",
)
INTERESTS = (
    "climbing", "rust", "python", "jazz", "cycling", "chess", "sailing", "photography", "running",
    "cooking", "board games", "sci-fi", "gardening", "pottery", "typography", "open source", "hiking",
    "coffee", "wine", "urbanism", "kayaking", "piano", "film", "poetry", "birding", "yoga",
)
TOPICS = (
    "her move to Berlin", "the Series B", "hiring for the data team", "the reorg", "his new role",
    "the conference talk", "a side project", "the open-source release", "pricing", "the roadmap",
    "remote work", "a book recommendation", "the job market", "career plans", "the offsite",
    "their new startup", "a possible collaboration", "the podcast episode", "the migration to Postgres",
    "interview loops", "the meetup next month", "the due diligence", "fundraising", "a mentoring plan",
    "the paper draft", "parental leave", "the acquisition", "a reference check", "the speaker lineup",
    "moving to consulting", "the hackathon", "the board meeting", "a visa question", "the team retro",
)
EVENTS = (
    "the PyData meetup", "the offsite", "the product conference", "a dinner party", "the alumni reunion",
    "the hackathon", "the book club", "the RustConf afterparty", "a climbing session", "the launch party",
    "the investor day", "the design week", "the community call", "the panel", "the workshop",
)
THINGS = (
    "deck", "article", "job post", "intro email", "paper", "podcast link", "notes", "slides", "book list",
    "contract draft", "recording", "spreadsheet", "resume", "proposal", "reading list",
)
DOMAINS = ("example.com", "example.org", "mail.example.net", "example.io", "corp.example.com")
CITIES = ("Berlin", "London", "Lisbon", "Toronto", "Nairobi", "Singapore", "Austin", "Oslo", "Seoul", "Lagos")
GROUPS = ("Meetups", "Open Source", "Climbing", "Book Club", "Conference Speakers", "Advisors")
TEAMS = ("Engineering", "Product", "Sales", "Research", "Design")
NOTE_TOPICS = ("Reading", "Projects", "Ideas", "Talks", "Writing", "Learning", "Travel", "Recipes", "Research")
MEETING_KINDS = ("Lunch", "Coffee", "Call", "Dinner", "Meeting", "Interview", "Workshop", "Sync", "Catch-up")
LOG_KINDS = ("call", "coffee", "lunch", "dinner", "meeting", "email", "message", "event", "intro", "note")
VOCAB = (
    "team", "project", "plan", "idea", "market", "product", "customer", "growth", "hiring", "design",
    "data", "model", "system", "release", "feedback", "strategy", "budget", "quarter", "goal", "metric",
    "launch", "roadmap", "research", "paper", "talk", "conference", "network", "intro", "mentor", "career",
    "role", "offer", "interview", "salary", "equity", "startup", "funding", "investor", "board", "pitch",
    "story", "writing", "draft", "review", "process", "meeting", "agenda", "notes", "decision", "risk",
    "question", "answer", "problem", "solution", "approach", "trade-off", "priority", "deadline", "week",
    "month", "year", "morning", "evening", "coffee", "lunch", "dinner", "walk", "call", "email", "message",
    "book", "article", "podcast", "video", "course", "skill", "habit", "routine", "focus", "energy", "time",
    "city", "office", "remote", "travel", "flight", "hotel", "weekend", "holiday", "family", "friend",
    "colleague", "manager", "report", "peer", "partner", "client", "vendor", "contract", "deal", "price",
    "is", "was", "will", "might", "should", "could", "needs", "wants", "likes", "shared", "mentioned",
    "suggested", "asked", "offered", "promised", "sent", "read", "wrote", "built", "shipped", "tested",
    "changed", "moved", "started", "finished", "paused", "reconsidered", "discussed", "agreed", "doubted",
    "the", "a", "an", "our", "their", "her", "his", "my", "this", "that", "next", "last", "new", "old",
    "big", "small", "quick", "slow", "clear", "vague", "good", "hard", "easy", "early", "late", "open",
    "and", "but", "so", "because", "while", "after", "before", "with", "without", "about", "for", "from",
    "into", "over", "under", "around", "through", "again", "still", "already", "maybe", "probably",
    "really", "mostly", "rarely", "often", "soon", "later", "together", "alone", "first", "then",
)
# fmt: on
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class TargetNotEmpty(Exception):
    """The output folder exists and is not empty; genvault never writes into a vault."""


@dataclass
class Summary:
    """What one generation wrote; paths are vault-relative with `/`."""

    root: Path
    contacts: int
    notes: int
    files: int = 0
    bytes: int = 0
    crlf: list[str] = field(default_factory=list)
    bom: list[str] = field(default_factory=list)
    no_final_newline: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # path -> one of BROKEN_KINDS
    duplicate_basenames: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"genvault: {self.files:,} files, {self.bytes:,} bytes ({self.bytes / 1e6:.1f} MB; "
            f"{self.contacts:,} contacts, {self.notes:,} notes) -> {self.root}"
        )


_ISO: dict[int, str] = {}


def iso(ordinal: int) -> str:
    s = _ISO.get(ordinal)
    if s is None:
        s = _ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return s


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _weighted(rng: Random, weights: tuple[int, ...]) -> int:
    """An index drawn with the given integer weights (cheap and version-stable)."""
    r = rng.randrange(sum(weights))
    for i, w in enumerate(weights):
        if r < w:
            return i
        r -= w
    return len(weights) - 1


class _Writer:
    """Writes files as bytes, creating folders once; counts files and bytes."""

    def __init__(self, root: Path, summary: Summary):
        self.root = str(root)
        self.dirs: set[str] = set()  # membership only, never iterated
        self.summary = summary

    def write(
        self,
        rel: str,
        text: str,
        *,
        crlf: bool = False,
        bom: bool = False,
        final_newline: bool = True,
    ) -> None:
        s = self.summary
        if not final_newline:
            text = text.rstrip("\n")
            s.no_final_newline.append(rel)
        if crlf:
            text = text.replace("\n", "\r\n")
            s.crlf.append(rel)
        data = text.encode("utf-8")
        if bom:
            data = BOM + data
            s.bom.append(rel)
        folder = rel.rpartition("/")[0]
        if folder and folder not in self.dirs:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self.dirs.add(folder)
        # os.open/os.write: a third of the system calls of open(); the file system is the cost.
        fd = os.open(os.path.join(self.root, rel), _WRITE_FLAGS, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        s.files += 1
        s.bytes += len(data)

    def write_odd(self, rel: str, text: str, rng: Random) -> None:
        """A non-person note: ~2% CRLF, ~1% BOM, ~0.5% without a final newline."""
        r = rng.random()
        self.write(
            rel, text, crlf=r < 0.02, bom=0.02 <= r < 0.03, final_newline=not 0.03 <= r < 0.035
        )


class _Text:
    """A fixed pool of sentences; paragraphs are drawn from it (fast and deterministic)."""

    def __init__(self, rng: Random, size: int = 3000):
        self.sentences = [self._sentence(rng) for _ in range(size)]

    @staticmethod
    def _sentence(rng: Random) -> str:
        words = [rng.choice(VOCAB) for _ in range(rng.randint(6, 16))]
        if len(words) > 8 and rng.random() < 0.3:
            words[rng.randint(3, len(words) - 3)] += ","
        words[0] = words[0].capitalize()
        return " ".join(words) + rng.choice((".", ".", ".", ".", "?", "!"))

    def para(self, rng: Random, lo: int, hi: int) -> str:
        s = self.sentences
        return " ".join(s[rng.randrange(len(s))] for _ in range(rng.randint(lo, hi)))

    def phrase(self, rng: Random) -> str:
        return self.sentences[rng.randrange(len(self.sentences))].rstrip(".?!").lower()


@dataclass(slots=True)
class Person:
    first: str
    last: str
    base: str  # file name without .md; unique (casefolded) except deliberate duplicates
    folder: str
    ring: int = 0

    @property
    def rel(self) -> str:
        return f"{self.folder}/{self.base}.md"


class _Registry:
    """Casefolded basenames in use, so links resolve the way Obsidian resolves them."""

    def __init__(self) -> None:
        self.used: dict[str, str] = {}

    def take(self, base: str) -> bool:
        key = base.casefold()
        if key in self.used:
            return False
        self.used[key] = base
        return True

    def unique(self, base: str) -> str:
        if self.take(base):
            return base
        n = 2
        while not self.take(f"{base} {n}"):
            n += 1
        return f"{base} {n}"


def _plan(notes: int) -> dict[str, int]:
    """How the M non-person notes split: templates, daily, meetings, unrelated."""
    templates = min(3, notes)
    rest = notes - templates
    dated = round(rest * 0.70)
    daily = min(dated, DAILY_MAX_DAYS)
    meetings = round(rest * 0.12) + (dated - daily)
    unrelated = rest - daily - meetings
    return {"templates": templates, "daily": daily, "meetings": meetings, "unrelated": unrelated}


def _people_folder(rng: Random, p: Person, companies: list[str]) -> str:
    r = rng.random()
    if r < 0.55:
        letter = ascii_fold(p.last)[:1].upper() or "_"
        return f"People/{letter}"
    if r < 0.70:
        return "People"
    if r < 0.82:
        return f"People/Alumni/{rng.randint(2012, 2024)}"
    if r < 0.92:
        return f"People/Work/{rng.choice(companies[:12])}/{rng.choice(TEAMS)}"
    return f"People/Community/{rng.choice(GROUPS)}/{rng.choice(CITIES)}"


def _make_people(
    rng: Random, n: int, reg: _Registry, companies: list[str]
) -> tuple[list[Person], int]:
    dups = max(1, round(n * 0.001)) if n >= 20 else 0
    people: list[Person] = []
    for _ in range(n - dups):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first} {last}"
        if not reg.take(base):
            letters = list("ABCDEFGHIJKLMNOPRSTVW")
            rng.shuffle(letters)
            for letter in letters:
                base = f"{first} {letter}. {last}"
                if reg.take(base):
                    break
            else:
                base = reg.unique(f"{first} {last}")
        p = Person(first, last, base, "")
        p.folder = _people_folder(rng, p, companies)
        people.append(p)
    for _ in range(dups):  # same basename, different folder: an ambiguous link target
        orig = people[rng.randrange(len(people))]
        year = rng.randint(2012, 2024)
        folder = (
            f"People/Alumni/{year}" if orig.folder != f"People/Alumni/{year}" else "People/Archive"
        )
        people.append(Person(orig.first, orig.last, orig.base, folder))
    for p in people:
        p.ring = _weighted(rng, (45, 30, 17, 8))
    return people, dups


class _Vault:
    """Shared state while generating: people, companies, note titles, the text pool."""

    def __init__(self, seed: str, contacts: int, notes: int, out: Path):
        self.seed = seed
        self.summary = Summary(root=out, contacts=contacts, notes=notes)
        self.w = _Writer(out, self.summary)
        self.reg = _Registry()
        self.text = _Text(self.rng("text"))
        self.plan = _plan(notes)
        crng = self.rng("companies")
        combos = [f"{a} {b}" for a in COMPANY_PREFIXES for b in COMPANY_SUFFIXES]
        crng.shuffle(combos)
        self.companies = [c for c in combos[: max(12, contacts // 8)] if self.reg.take(c)]
        self.people, dups = _make_people(self.rng("people"), contacts, self.reg, self.companies)
        self.summary.duplicate_basenames = [p.base for p in self.people[len(self.people) - dups :]]
        prng = self.rng("popularity")
        self.popular = list(range(len(self.people)))
        prng.shuffle(self.popular)
        unrelated = self.plan["unrelated"]
        self.company_notes = min(len(self.companies), unrelated // 3)
        trng = self.rng("titles")
        self.note_titles: list[tuple[str, str]] = []  # (folder, title)
        for _ in range(unrelated - self.company_notes):
            words = [trng.choice(VOCAB) for _ in range(trng.randint(2, 5))]
            title = self.reg.unique(" ".join(words).capitalize())
            topic = trng.choice(NOTE_TOPICS)
            folder = f"Notes/{topic}"
            if trng.random() < 0.25:
                folder += f"/{trng.choice(COMPANY_PREFIXES)}"
            self.note_titles.append((folder, title))

    def rng(self, section: str) -> Random:
        return Random(f"kith-genvault/{self.seed}/{section}")

    # ---- link helpers -------------------------------------------------------------------

    def pick(self, rng: Random) -> Person:
        """A person, skewed so some people are linked far more often than others."""
        n = len(self.people)
        return self.people[self.popular[min(n - 1, int(n * rng.random() ** 2.2))]]

    def wikilink(self, rng: Random, p: Person) -> str:
        r = rng.random()
        if r < 0.75:
            return f"[[{p.base}]]"
        if r < 0.93:
            return f"[[{p.base}|{p.first}]]"
        if r < 0.98:
            return f"[[{p.rel[:-3]}]]"
        return f"[[{p.base}#Log]]"

    def mdlink(self, p: Person, from_folder: str) -> str:
        rel = os.path.relpath(p.rel, from_folder).replace(os.sep, "/")
        return f"[{p.first}]({rel.replace(' ', '%20')})"

    def company_value(self, rng: Random) -> str:
        return self.companies[
            min(len(self.companies) - 1, int(len(self.companies) * rng.random() ** 1.5))
        ]

    # ---- generation ---------------------------------------------------------------------

    def run(self) -> Summary:
        self.write_settings()
        self.write_people()
        self.write_templates()
        self.write_companies()
        self.write_unrelated()
        self.write_daily()
        self.write_meetings()
        return self.summary

    def write_settings(self) -> None:
        w = self.w
        w.write("kith.toml", KITH_TOML)
        w.write(
            ".obsidian/daily-notes.json",
            json.dumps({"folder": "Daily", "format": "YYYY-MM-DD"}, indent=2) + "\n",
        )
        w.write(".obsidian/templates.json", json.dumps({"folder": "Templates"}, indent=2) + "\n")
        app = {"useMarkdownLinks": False, "newLinkFormat": "shortest", "alwaysUpdateLinks": True}
        w.write(".obsidian/app.json", json.dumps(app, indent=2) + "\n")
        types = {
            "types": {
                "aliases": "aliases", "tags": "tags", "stage": "text", "cadence": "text",
                "birthday": "text", "follow_up": "date", "created": "date", "last_contact": "date",
                "date": "date", "people": "multitext", "knows": "multitext", "interests": "multitext",
                "archived": "checkbox",
            }
        }  # fmt: skip
        w.write(".obsidian/types.json", json.dumps(types, indent=2) + "\n")

    def write_people(self) -> None:
        rng = self.rng("people-text")
        pick = self.rng("people-odd")
        n = len(self.people)
        crlf = set(pick.sample(range(n), min(n, max(1, round(n * 0.02)))))
        bom = set(pick.sample(range(n), min(n, max(1, round(n * 0.01)))))
        nofinal = set(pick.sample(range(n), min(n, max(1, round(n * 0.005)))))
        nbroken = min(n, max(len(BROKEN_KINDS), round(n * 0.002))) if n >= 20 else 0
        broken_idx = pick.sample(range(n), nbroken)
        broken = {idx: BROKEN_KINDS[i % len(BROKEN_KINDS)] for i, idx in enumerate(broken_idx)}
        for i, p in enumerate(self.people):
            kind = broken.get(i)
            text = self.person_text(rng, p, kind)
            if kind:
                self.summary.broken[p.rel] = kind
            self.w.write(p.rel, text, crlf=i in crlf, bom=i in bom, final_newline=i not in nofinal)

    def person_text(self, rng: Random, p: Person, broken: str | None) -> str:
        L = ["---"]
        if rng.random() < 0.3:
            L.append(f"name: {p.base}")
        if rng.random() < 0.2:
            L.append("type: person")
        if rng.random() < 0.2:
            nick = p.first[:3] if len(p.first) > 4 else p.first
            if rng.random() < 0.5:
                L.append(f'aliases: ["{nick}"]')
            else:
                L += ["aliases:", f"  - {nick}", f"  - {p.first} {p.last[:1]}."]
        stage = RINGS[p.ring]
        if broken == "unknown-stage":
            L.append("stage: acquaintance")
        elif rng.random() < 0.97:
            L.append(f"stage: {stage.capitalize() if rng.random() < 0.04 else stage}")
        if rng.random() < 0.15:
            cad = rng.choice(
                ("30d", "6w", "3m", "1y", "weekly", "monthly", "quarterly", "yearly", "45", "2w")
            )
            L.append(f"cadence: {cad}")
        if rng.random() < 0.7:
            key = "org" if rng.random() < 0.04 else "company"
            comp = self.company_value(rng)
            L.append(f'{key}: "[[{comp}]]"' if rng.random() < 0.6 else f"{key}: {comp}")
        if rng.random() < 0.6:
            L.append(f"role: {rng.choice(ROLES)}")
        handle = ascii_fold(f"{p.first}.{p.last}").lower().replace("'", "").replace(" ", "")
        if rng.random() < 0.6:
            L.append(f"email: {handle}@{rng.choice(DOMAINS)}")
        if rng.random() < 0.35:
            L.append(
                f'phone: "+{rng.randint(1, 49)} {rng.randint(200, 999)} 555 {rng.randint(0, 9999):04d}"'
            )
        if rng.random() < 0.4:
            L.append(
                f"linkedin: https://www.linkedin.com/in/{handle.replace('.', '-')}-{rng.randint(1, 9999)}"
            )
        if rng.random() < 0.5:
            tags = rng.sample(TAGS, rng.randint(1, 4))
            if rng.random() < 0.5:
                L.append(f"tags: [{', '.join(tags)}]")
            else:
                L.append("tags:")
                L += [f"  - {t}" for t in tags]
        if broken == "bad-birthday":
            L.append("birthday: next tues")
        elif rng.random() < 0.45:
            b = date.fromordinal(
                rng.randint(date(1955, 1, 1).toordinal(), date(2002, 12, 31).toordinal())
            )
            r = rng.random()
            if r < 0.7:
                L.append(f"birthday: {b.isoformat()}")
            elif r < 0.85:
                L.append(f"birthday: --{b.month:02d}-{b.day:02d}")
            else:
                L.append(f'birthday: "{b.month:02d}-{b.day:02d}"')
        created = rng.randint(HISTORY_START, TODAY_ORD - 20)
        if rng.random() < 0.10:
            L.append(f"follow_up: {iso(TODAY_ORD + rng.randint(-60, 60))}")
            if rng.random() < 0.5:
                L.append(
                    f"follow_up_note: send the {rng.choice(THINGS)} about {rng.choice(TOPICS)}"
                )
        if rng.random() < 0.05:
            L.append(f"last_contact: {iso(rng.randint(created, TODAY_ORD))}")
        if rng.random() < 0.15:
            other = self.pick(rng)
            if other is not p:
                L.append(f'introduced_by: "[[{other.base}]]"')
        if rng.random() < 0.2:
            knows = [self.pick(rng).base for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.6:
                L.append("knows:")
                L += [f'  - "[[{k}]]"' for k in knows]
            else:
                L.append("knows: [" + ", ".join(f'"[[{k}]]"' for k in knows) + "]")
        if rng.random() < 0.3:
            L.append(f"interests: [{', '.join(rng.sample(INTERESTS, rng.randint(1, 3)))}]")
        if rng.random() < 0.01:
            L.append("archived: true")
        if rng.random() < 0.85:
            L.append(f"created: {iso(created)}")
        if broken == "invalid-yaml":
            L.insert(
                2, rng.choice(("role: Head of: Data", "tags: [mentor, berlin", "\tstage: cold"))
            )
        if broken != "unclosed-front-matter":
            L.append("---")
        L.append("")
        if rng.random() < 0.4:
            L += [f"# {p.base}", ""]
        L += [self.text.para(rng, 2, 6), ""]
        if rng.random() < 0.3:
            L += [self.text.para(rng, 1, 4), ""]
        L += self.person_log(rng, p, created)
        if rng.random() < 0.35:
            L += ["## Notes", ""]
            L += [f"- {self.text.para(rng, 1, 2)}" for _ in range(rng.randint(1, 4))]
            L.append("")
        return "\n".join(L) + "\n"

    def person_log(self, rng: Random, p: Person, created: int) -> list[str]:
        n = _weighted(rng, (14, 10, 10, 10, 9, 9, 8, 7, 6, 5, 5, 4, 3))
        moves: list[tuple[int, str]] = []
        if p.ring > 0 and rng.random() < 0.45:
            r0 = rng.randrange(p.ring)
            days = sorted(rng.randint(created, TODAY_ORD) for _ in range(p.ring - r0))
            for k, d in enumerate(days):
                arrow = "→" if rng.random() < 0.7 else "->"
                moves.append((d, f"stage: {RINGS[r0 + k]} {arrow} {RINGS[r0 + k + 1]}"))
        elif p.ring < 3 and rng.random() < 0.03:
            moves.append(
                (rng.randint(created, TODAY_ORD), f"stage: {RINGS[p.ring + 1]} → {RINGS[p.ring]}")
            )
        items = moves[: max(0, 12 - n)] if n < 12 else []
        for _ in range(n):
            d = rng.randint(created, TODAY_ORD + (30 if rng.random() < 0.01 else 0))
            r = rng.random()
            tag = " #give" if rng.random() < 0.10 else (" #ask" if rng.random() < 0.08 else "")
            if r < 0.72:
                kind = rng.choice(LOG_KINDS)
                if rng.random() < 0.03:
                    kind = kind.capitalize()
                summary = rng.choice(
                    (f"talked about {rng.choice(TOPICS)}", f"caught up at {rng.choice(EVENTS)}",
                     f"sent the {rng.choice(THINGS)}", self.text.phrase(rng))
                )  # fmt: skip
                items.append((d, f"{kind}: {summary}{tag}"))
            elif r < 0.95:
                items.append((d, f"{self.text.phrase(rng).capitalize()}{tag}"))
            else:
                other = self.pick(rng)
                items.append((d, f"intro: introduced to [[{other.base}]]{tag}"))
        if not items:
            return ["## Log", ""] if rng.random() < 0.6 else []
        items.sort(reverse=rng.random() < 0.7)
        heading = ("## Log", "## Interactions", "### Log")[_weighted(rng, (80, 15, 5))]
        bullet = "*" if rng.random() < 0.03 else "-"
        return [heading, ""] + [f"{bullet} {iso(d)} {t}" for d, t in items] + [""]

    def write_templates(self) -> None:
        texts = (
            ("Templates/Person.md",
             "---\nstage: cold\ncompany: \"[[{{company}}]]\"\ncreated: {{date}}\n---\n\n# {{title}}\n\n## Log\n\n"
             "- {{date}} note: added [[Template Person]]\n"),
            ("Templates/Daily.md", "# {{date:dddd, MMMM D, YYYY}}\n\n- Call with [[Someone]]\n- [ ] \n"),
            ("Templates/Meeting.md",
             "---\ndate: {{date}}\npeople: [\"[[Someone]]\"]\ntags: [meeting]\n---\n\n# {{title}}\n\n## Notes\n\n## Actions\n\n- [ ] \n"),
        )  # fmt: skip
        for rel, text in texts[: self.plan["templates"]]:
            self.w.write(rel, text)

    def write_companies(self) -> None:
        rng = self.rng("company-notes")
        for name in self.companies[: self.company_notes]:
            L = ["---", "type: company", f"industry: {rng.choice(COMPANY_SUFFIXES).lower()}"]
            if rng.random() < 0.6:
                L.append(
                    f"website: https://www.{ascii_fold(name).lower().replace(' ', '')}.example"
                )
            L += ["---", "", f"# {name}", "", self.text.para(rng, 2, 6), ""]
            if rng.random() < 0.5:
                L += ["## People", ""]
                L += [f"- [[{self.pick(rng).base}]]" for _ in range(rng.randint(1, 4))]
                L.append("")
            self.w.write_odd(f"Notes/Companies/{name}.md", "\n".join(L) + "\n", rng)

    def write_unrelated(self) -> None:
        rng = self.rng("unrelated")
        titles = self.note_titles
        for folder, title in titles:
            L: list[str] = []
            if rng.random() < 0.5:
                L += [
                    "---",
                    f"tags: [{', '.join(rng.sample(('idea', 'draft', 'reading', 'project', 'reference', 'todo'), 2))}]",
                ]
                if rng.random() < 0.4:
                    L.append(f"status: {rng.choice(('draft', 'done', 'someday'))}")
                if rng.random() < 0.3:
                    L.append(f"source: https://example.com/{rng.randint(1000, 99999)}")
                L += ["---", ""]
            L += [f"# {title}", ""]
            for _ in range(_weighted(rng, (5, 20, 25, 20, 15, 10, 5))):
                r = rng.random()
                if r < 0.55:
                    L += [self.text.para(rng, 2, 6), ""]
                elif r < 0.8:
                    L += [f"## {self.text.phrase(rng).capitalize()}", ""]
                    L += [f"- {self.text.para(rng, 1, 1)}" for _ in range(rng.randint(2, 5))]
                    L.append("")
                elif r < 0.9:
                    L += [
                        "```python",
                        f"notes = load('{title}')  # see [[Not A Link]]",
                        "print(len(notes))",
                        "```",
                        "",
                    ]
                else:
                    L += [f"> {self.text.para(rng, 1, 2)}", ""]
            links = []
            for _ in range(_weighted(rng, (30, 30, 20, 12, 8))):
                r = rng.random()
                if r < 0.45 and self.companies:
                    links.append(f"[[{self.company_value(rng)}]]")
                elif r < 0.9:
                    t2 = titles[rng.randrange(len(titles))][1]
                    links.append(f"[[{t2}]]")
                else:
                    links.append(f"[[{self.pick(rng).base}]]")
            if links:
                L += ["Related: " + ", ".join(links), ""]
            self.w.write_odd(f"{folder}/{title}.md", "\n".join(L) + "\n", rng)

    def daily_link_line(self, rng: Random, d: int) -> str:
        p = self.pick(rng)
        link = self.wikilink(rng, p)
        r = rng.random()
        if r < 0.40:
            kind = rng.choice(
                (
                    "Call with",
                    "Coffee with",
                    "Lunch with",
                    "Met",
                    "Dinner with",
                    "Emailed",
                    "Messaged",
                )
            )
            return f"- {kind} {link} about {rng.choice(TOPICS)}"
        if r < 0.52:
            return f"- [ ] Follow up with {link} about the {rng.choice(THINGS)}"
        if r < 0.60:
            return f"- [x] Sent {link} the {rng.choice(THINGS)}"
        if r < 0.65:
            return f"![[{p.base}]]"
        if r < 0.72:
            return f"- Saw {link} at {rng.choice(EVENTS)}"
        if r < 0.77:
            return f"- Talked to {self.mdlink(p, 'Daily')} about {rng.choice(TOPICS)}"
        if r < 0.85 and self.note_titles:
            return f"- Reading [[{self.note_titles[rng.randrange(len(self.note_titles))][1]}]]"
        if r < 0.88:
            return f"- Ran into `[[{p.base}]]` in the docs"
        if r < 0.90:
            return f"%% ask [[{p.base}]] later %%"
        if r < 0.93:
            return f"- Intro {link} to [[{self.pick(rng).base}]] #give"
        if r < 0.96:
            return f"- Asked {link} for advice on {rng.choice(TOPICS)} #ask"
        return f"{self.text.para(rng, 1, 1)} Spoke with {link} afterwards."

    def write_daily(self) -> None:
        rng = self.rng("daily")
        n = self.plan["daily"]
        for d in range(TODAY_ORD - n + 1, TODAY_ORD + 1):
            day = date.fromordinal(d)
            L: list[str] = []
            if rng.random() < 0.2:
                L += [
                    "---",
                    "tags: [daily]" if rng.random() < 0.5 else "tags:\n  - daily",
                    "---",
                    "",
                ]
            if rng.random() < 0.5:
                L += [
                    f"# {WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}, {day.year}",
                    "",
                ]
            links = [
                self.daily_link_line(rng, d) for _ in range(_weighted(rng, (15, 25, 25, 17, 10, 8)))
            ]
            if rng.random() < 0.06:
                links.append(f"- Gave a talk at {rng.choice(EVENTS)} #exposure")
            if links:
                L += links + [""]
            for _ in range(rng.randint(0, 4)):
                L += [self.text.para(rng, 1, 6), ""]
            if rng.random() < 0.3:
                L += (
                    ["## Tasks", ""]
                    + [f"- [ ] {self.text.phrase(rng)}" for _ in range(rng.randint(1, 4))]
                    + [""]
                )
            self.w.write_odd(f"Daily/{iso(d)}.md", "\n".join(L) + "\n", rng)

    def write_meetings(self) -> None:
        rng = self.rng("meetings")
        daily = self.plan["daily"]
        lo = TODAY_ORD - max(daily, 365 * 3) + 1
        used: dict[str, None] = {}
        for _ in range(self.plan["meetings"]):
            d = (
                TODAY_ORD + rng.randint(1, 70)
                if rng.random() < 0.03
                else rng.randint(lo, TODAY_ORD)
            )
            who = [self.pick(rng) for _ in range(_weighted(rng, (45, 30, 15, 10)) + 1)]
            r = rng.random()
            kind = rng.choice(MEETING_KINDS)
            if r < 0.6:
                title = f"{kind} with {who[0].first}"
            elif r < 0.8 and len(who) > 1:
                title = f"{kind} with {who[0].first} and {who[1].first}"
            else:
                title = f"{self.text.phrase(rng).split()[0].capitalize()} {rng.choice(('sync', 'review', 'planning', 'retro', 'kickoff'))}"
            ds = iso(d)
            rel = f"Meetings/{ds[:4]}/{ds} {title}.md"
            k = 2
            while rel.casefold() in used:
                rel = f"Meetings/{ds[:4]}/{ds} {title} ({k}).md"
                k += 1
            used[rel.casefold()] = None
            links = [f'"[[{p.base}]]"' for p in who]
            L = ["---", f"date: {ds}"]
            if rng.random() < 0.5:
                L.append(f"people: [{', '.join(links)}]")
            else:
                L += ["people:"] + [f"  - {x}" for x in links]
            tags = ["meeting"]
            if rng.random() < 0.05:
                tags.append("exposure")
            if rng.random() < 0.06:
                tags.append(rng.choice(("give", "ask")))
            L += [f"tags: [{', '.join(tags)}]", "---", "", f"# {title}", ""]
            if rng.random() < 0.4:
                L += [self.text.para(rng, 1, 3), ""]
            L += (
                ["## Notes", ""]
                + [f"- {self.text.para(rng, 1, 3)}" for _ in range(rng.randint(2, 6))]
                + [""]
            )
            if rng.random() < 0.5:
                L += ["## Actions", ""]
                L += [
                    f"- [ ] {self.text.phrase(rng)} ({self.wikilink(rng, rng.choice(who))})"
                    for _ in range(rng.randint(1, 3))
                ]
                L.append("")
            self.w.write_odd(rel, "\n".join(L) + "\n", rng)


KITH_TOML = """\
# kith.toml for a generated benchmark vault: the documented defaults, spelled out.
rings = ["cold", "lukewarm", "strategic", "buddy"]
log_headings = ["Log", "Interactions"]
reports_folder = "Reports"
ignore = []
record_moves = true
link_style = "auto"

[people]
folders = ["People"]
types = ["person"]
tags = ["person"]
categories = []

[cadence]
buddy = 60
strategic = 90
lukewarm = 180
cold = 0

[reports]
upcoming_days = 14
dormant_days = 365
stalled_days = 120
exposure_tag = "exposure"
"""


def generate(
    out: str | os.PathLike[str], contacts: int, notes: int, seed: int | str = 1
) -> Summary:
    """Write a vault of `contacts` person notes and `notes` other notes into `out`.

    Same arguments, same bytes. Raises TargetNotEmpty if `out` holds anything.
    """
    if contacts < 1 or notes < 0:
        raise ValueError("need at least one contact and a non-negative number of notes")
    root = Path(out)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise TargetNotEmpty(f"{root} exists and is not empty; genvault only writes new vaults")
    root.mkdir(parents=True, exist_ok=True)
    return _Vault(str(seed), contacts, notes, root).run()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.genvault",
        description="Write a deterministic synthetic kith vault (same arguments, same bytes).",
    )
    ap.add_argument(
        "--size",
        choices=sorted(PRESETS),
        help="preset: ci 200/1,000, small 1,000/10,000, large 10,000/100,000",
    )
    ap.add_argument("--contacts", type=int, help="number of person notes (overrides --size)")
    ap.add_argument("--notes", type=int, help="number of other notes (overrides --size)")
    ap.add_argument("--seed", default="1", help="seed (default 1)")
    ap.add_argument("out", help="target folder (must not exist or be empty)")
    args = ap.parse_args(argv)
    contacts, notes = PRESETS[args.size or "small"]
    if args.size is None and (args.contacts is None or args.notes is None):
        ap.error("give --size or both --contacts and --notes")
    contacts = args.contacts if args.contacts is not None else contacts
    notes = args.notes if args.notes is not None else notes
    start = time.perf_counter()
    try:
        summary = generate(args.out, contacts, notes, args.seed)
    except (TargetNotEmpty, ValueError) as e:
        print(f"genvault: {e}", file=sys.stderr)
        return 2
    print(f"{summary.line()} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
