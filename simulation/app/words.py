"""How the app names things: a person (from their identity, `person_key`), a month, a share, a count."""

from __future__ import annotations

from simulation.model.population import HIRE_KEY_SHIFT

# --- who a person is ------------------------------------------------------------------------------

def key_parts(key: int) -> tuple[int | None, int]:
    """(institution, hire number from 1) of a hire, or (None, number) of the initial population:
    the model's identity of a person (`person_key`: initial person k is key k, the n-th hire of
    institution i has key (i + 1) << 40 | n - 1), the same in every scenario and every pane."""
    key = int(key)
    inst = (key >> HIRE_KEY_SHIFT) - 1
    return (None, key) if inst < 0 else (inst, (key & ((1 << HIRE_KEY_SHIFT) - 1)) + 1)


def tag(key: int) -> str:
    """A person's short name, from their identity: #57 (initial faculty member 57) or #3-12 (the
    12th hire of institution 3)."""
    inst, n = key_parts(key)
    return f"#{n}" if inst is None else f"#{inst}-{n}"


def who(key: int) -> str:
    """A person's identity in words."""
    inst, n = key_parts(key)
    return f"{tag(key)} (initial faculty)" if inst is None else f"{tag(key)} (hire {n} of institution {inst})"


def shown(month: int) -> int:
    """The month the app shows for a month of the model: the model counts from 0, the app from 1
    (after one step the charts say month 1)."""
    return int(month) + 1

# --- shares and counts -------------------------------------------------------------------------

def pct(x: float | None) -> str:
    """A share in whole percent ("47%"), or "-" for None."""
    return "-" if x is None else f"{100 * x:.0f}%"


IRREGULAR = {"person": "people"}  # plurals that are not the word and an s


def plural(n: int, word: str) -> str:
    """A count and its noun, plural unless one: `plural(1, "hire")` is "1 hire", `plural(3, "person")` is
    "3 people"."""
    return f"{n} {word if n == 1 else IRREGULAR.get(word, word + 's')}"
