"""Validation and normalisation of Hungarian company-registry records.

Pure functions, no I/O: main.py applies them to a batch, the tests call them directly.

A registry number (cégjegyzékszám) is CC-FF-NNNNNN: the registry court (01-20), the company form (09 is a Kft.,
06 a Bt., 10 a Zrt. or Nyrt. ...) and a six-digit serial. Records arrive with the number spaced, dotted or run
together and with names in any case and spacing; a record that cannot be made canonical is set aside with a
kind that says why.
"""

import re
import unicodedata

COURTS = {
    "01": "Fővárosi Törvényszék Cégbírósága",
    "02": "Pécsi Törvényszék Cégbírósága",
    "03": "Kecskeméti Törvényszék Cégbírósága",
    "04": "Gyulai Törvényszék Cégbírósága",
    "05": "Miskolci Törvényszék Cégbírósága",
    "06": "Szegedi Törvényszék Cégbírósága",
    "07": "Székesfehérvári Törvényszék Cégbírósága",
    "08": "Győri Törvényszék Cégbírósága",
    "09": "Debreceni Törvényszék Cégbírósága",
    "10": "Egri Törvényszék Cégbírósága",
    "11": "Tatabányai Törvényszék Cégbírósága",
    "12": "Balassagyarmati Törvényszék Cégbírósága",
    "13": "Budapest Környéki Törvényszék Cégbírósága",
    "14": "Kaposvári Törvényszék Cégbírósága",
    "15": "Nyíregyházi Törvényszék Cégbírósága",
    "16": "Szolnoki Törvényszék Cégbírósága",
    "17": "Szekszárdi Törvényszék Cégbírósága",
    "18": "Szombathelyi Törvényszék Cégbírósága",
    "19": "Veszprémi Törvényszék Cégbírósága",
    "20": "Zalaegerszegi Törvényszék Cégbírósága",
}

# Form code of the registry number -> the abbreviations a name of that form may end with.
FORMS = {
    "02": ("Kkt.",),
    "03": ("Kkt.",),
    "06": ("Bt.",),
    "09": ("Kft.",),
    "10": ("Zrt.", "Nyrt."),
    "11": ("Szövetkezet",),
    "13": ("Egyesülés",),
}

# How a form is spelled at the end of a name, lower-cased without dots -> its canonical abbreviation.
SUFFIXES = {
    "kft": "Kft.",
    "korlátolt felelősségű társaság": "Kft.",
    "bt": "Bt.",
    "betéti társaság": "Bt.",
    "zrt": "Zrt.",
    "zártkörűen működő részvénytársaság": "Zrt.",
    "nyrt": "Nyrt.",
    "nyilvánosan működő részvénytársaság": "Nyrt.",
    "kkt": "Kkt.",
    "közkereseti társaság": "Kkt.",
    "szövetkezet": "Szövetkezet",
    "egyesülés": "Egyesülés",
}

REGISTRY_NUMBER = re.compile(r"^(\d{2})[\s./-]*(\d{2})[\s./-]*(\d{6})$")
NAME_MAX = 200


class Rejected(Exception):
    """A record set aside for review: `kind` says why, `details` what was found."""

    def __init__(self, kind, **details):
        super().__init__(kind)
        self.kind = kind
        self.details = details


def normalize_registry_number(raw):
    """The canonical CC-FF-NNNNNN of a registry number, with its court and form codes checked."""
    if not isinstance(raw, str) or not raw.strip():
        raise Rejected("missing-registry-number")
    text = unicodedata.normalize("NFKC", raw).strip()
    match = REGISTRY_NUMBER.match(text)
    if not match:
        raise Rejected("malformed-registry-number", value=raw)
    court, form, serial = match.groups()
    if court not in COURTS:
        raise Rejected("unknown-court", value=raw, court=court)
    if form not in FORMS:
        raise Rejected("unknown-company-form", value=raw, form=form)
    if serial == "000000":
        raise Rejected("malformed-registry-number", value=raw, reason="serial 000000")
    return f"{court}-{form}-{serial}"


def normalize_name(raw, form_code, check_form=True):
    """The name with its spacing tidied and its form suffix spelled canonically; the suffix must match the form."""
    if not isinstance(raw, str) or not raw.strip():
        raise Rejected("missing-name")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if len(name) > NAME_MAX:
        raise Rejected("name-too-long", length=len(name))
    base, suffix = split_suffix(name)
    if suffix is None:
        if check_form:
            raise Rejected("name-without-form", name=name, expected=list(FORMS[form_code]))
        return name
    if check_form and suffix not in FORMS[form_code]:
        raise Rejected("form-mismatch", name=name, nameForm=suffix, registryForm=list(FORMS[form_code]))
    if not base:
        raise Rejected("missing-name", name=name)
    return f"{base} {suffix}"


def split_suffix(name):
    """The name without its form suffix, and the suffix's canonical spelling (None when it has none)."""
    stripped = name.rstrip(". ")
    lowered = stripped.lower()
    for spelled, canonical in BY_LENGTH:
        if lowered == spelled:
            return "", canonical
        if lowered.endswith(" " + spelled) or lowered.endswith("," + spelled):
            return stripped[: len(stripped) - len(spelled)].rstrip(" ,"), canonical
    return name, None


# Longest first, so that "betéti társaság" is found before anything shorter at the end of a name.
BY_LENGTH = sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0]))


def normalize_record(record, config):
    """One record's output, or Rejected."""
    if not isinstance(record, dict):
        raise Rejected("not-a-record", type=type(record).__name__)
    number = normalize_registry_number(record.get("registryNumber"))
    court, form, _ = number.split("-")
    name = normalize_name(record.get("name"), form, check_form=config.get("checkForm", True))
    out = {
        "registryNumber": number,
        "court": COURTS[court],
        "form": FORMS[form][0],
        "name": name,
    }
    if config.get("keepAddress", True) and isinstance(record.get("address"), str):
        out["address"] = " ".join(record["address"].split())
    if isinstance(record.get("founded"), str):
        out["founded"] = record["founded"]
    return out
