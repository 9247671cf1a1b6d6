"""Text from students and teachers is data: filling templates, cleaning input,
and making text safe for the formats it is written into (XML, Markdown, HTTP headers).

Nothing here passes a student's or teacher's words through ``str.format``: a
student who says "{x}" must get "{x}" read back, not a crash.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(template: str, **values: str) -> str:
    """``template`` with each ``{key}`` of ``values`` replaced, in one pass.

    Only the placeholders named in ``values`` are replaced, and the values are
    never read as templates themselves: an accommodation named "notes in {braces}"
    or an answer "{name}" is said as it was written."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)] if m.group(1) in values else m.group(0), template)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


# ---------------------------------------------------------------- comparing what was said

# Apostrophes as speech recognizers, keyboards and word processors write them.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})
_NOT_WORD = re.compile(r"[^\w']+")
_DIGITS = re.compile(r"\d+")

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
# What a reference transcript writes out; only for English (a "Dr" in another language is not a doctor).
_ABBREVIATIONS = {"en": {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ms": "miss"}}


def and_list(items: list[str], language: str = "en") -> str:
    """Items as a sentence says them: "a", "a and b", "a, b and c" ("" for none);
    in Spanish "a, b y c", and "e" before a word that starts with the sound i
    ("lectura e inglés")."""
    if len(items) <= 1:
        return "".join(items)
    last = items[-1]
    if language == "es":
        head = unicodedata.normalize("NFD", last.casefold())
        sound_i = head.startswith("i") or (head.startswith("hi") and not head.startswith(("hia", "hie", "hio", "hiu")))
        conj = " e " if sound_i else " y "
    else:
        conj = " and "
    return ", ".join(items[:-1]) + conj + last


def number_words(n: int) -> str:
    """0..999999 spelled out in English, as a reference transcript would write it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    if n < 1_000_000:
        return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    return str(n)


_ES_ONES = ("cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciséis "
            "diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés veinticuatro veinticinco "
            "veintiséis veintisiete veintiocho veintinueve").split()
_ES_TENS = "_ _ _ treinta cuarenta cincuenta sesenta setenta ochenta noventa".split()
_ES_HUNDREDS = ("_ ciento doscientos trescientos cuatrocientos quinientos seiscientos setecientos ochocientos "
                "novecientos").split()


def spanish_number_words(n: int) -> str:
    """0..999999 spelled out in Spanish, as a reference transcript writes it: "21" is
    "veintiuno", "100" "cien", "101" "ciento uno", "21000" "veintiún mil" (before
    "mil" a final "uno" is "un", as it is said). A lone "1" is "uno": whether a
    student said "un" or "una" is not in the digit, and the Spanish comparison
    treats "uno" as its own word; larger numbers stay digits."""
    if n < 30:
        return _ES_ONES[n]
    if n < 100:
        return _ES_TENS[n // 10] + ("" if n % 10 == 0 else " y " + _ES_ONES[n % 10])
    if n < 1000:
        return "cien" if n == 100 else _ES_HUNDREDS[n // 100] + ("" if n % 100 == 0 else " " + spanish_number_words(n % 100))
    if n < 1_000_000:
        thousands = "" if n // 1000 == 1 else re.sub(r"uno$", "ún" if n // 1000 % 100 == 21 else "un",
                                                        spanish_number_words(n // 1000)) + " "
        return thousands + "mil" + ("" if n % 1000 == 0 else " " + spanish_number_words(n % 1000))
    return str(n)


# Spanish is compared without the accents of its vowels (and the diaeresis of ü):
# recognizers and students' typing drop and add them at will ("mas despacio",
# "Si.", "atras", "pinguino"), and a missing accent almost never turns one answer
# or command into another ("sé"/"se", "más"/"mas" are never both meant in one
# reply). The tilde of ñ stays: "año" is not "ano", "niño" not "nino". Only
# comparison sees this; what was said is stored as it was written.
_ES_FOLD = {"\u0300", "\u0301", "\u0308"}  # grave, acute, diaeresis (NFD's combining marks)


def fold_accents(text: str) -> str:
    """``text`` with the accents of its vowels dropped and ñ kept: "Más rápido, señor" is "Mas rapido, señor"."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if c not in _ES_FOLD))


def normalize_words(text: str, language: str = "en") -> list[str]:
    """The words of ``text`` as spoken, for comparing what was said (voice commands,
    yes or no, keywords, grammars, error rates), never for storing it.

    Compatibility-normalised (NFKC) and case-folded; curly apostrophes are
    straight ones, kept inside words ("don't") and dropped around them; every
    other mark (hyphens too) separates words. In English, digits are spelled out
    ("21" is "twenty one") and a few abbreviations written out ("Mr" is
    "mister"). In Spanish, digits are spelled out in Spanish ("21" is
    "veintiuno"), ¿ and ¡ are marks like any other, and vowels lose their
    accents (``fold_accents``: "Más rápido" is "mas rapido", "año" stays). Other
    languages keep their digits, since English number words in Korean text would
    be wrong."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    if language == "en":
        text = _DIGITS.sub(lambda m: f" {number_words(int(m.group()))} ", text)
    elif language == "es":
        text = fold_accents(_DIGITS.sub(lambda m: f" {spanish_number_words(int(m.group()))} ", text))
    abbreviations = _ABBREVIATIONS.get(language, {})
    found = (w.strip("'") for w in _NOT_WORD.sub(" ", text).split())
    return [abbreviations.get(w, w) for w in found if w]


def normalize(text: str, language: str = "en") -> str:
    """``normalize_words`` joined by single spaces: "Don’t know!" is "don't know"."""
    return " ".join(normalize_words(text, language))


# Characters XML 1.0 cannot hold: C0 controls other than tab, line feed and
# carriage return, lone surrogates, and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD, so one NUL
    in an answer can never make a DOCX or PDF export fail for good."""
    return _NOT_XML.sub("\ufffd", text)


def clean_input(text: str) -> str:
    """Text typed or sent by a person, as stored: control characters (other than
    tab and line breaks) become U+FFFD, so they are visible rather than silently
    dropped, and can break no document later."""
    return "".join("\ufffd" if (unicodedata.category(c) == "Cc" and c not in "\t\n\r") or c in "\ufffe\uffff"
                   or 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def one_line(text: str) -> str:
    """Cleaned input with every run of white space (tabs, line breaks, Unicode spaces) as one space."""
    return " ".join(clean_input(text).split())


# Invisible characters that can make a name, or a log line, look like another:
# direction overrides and isolates, zero-width spaces, the word joiner and BOM.
# (Zero-width joiner and non-joiner stay: Persian and Indic names spell with them.)
_SPOOF = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def person_name(name: str) -> str:
    """A name as stored and shown: on one line, without the invisible characters
    that could make it look like another."""
    return " ".join(_SPOOF.sub("", clean_input(name)).split())


def name_key(name: str) -> str:
    """The one key a person's name is known by: compatibility-normalised (NFKC),
    invisible format characters (zero-width spaces, joiners) removed, every run
    of white space (tab, no-break space, em space ...) as one space, case folded.
    "Alice", "ALICE", " alice\\t" and "alice\\u00a0" are one account."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c.isspace())
    return " ".join(text.split()).casefold()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def md_escape(text: str) -> str:
    """Text as literal Markdown: HTML is escaped (``<script>`` shows as text in any
    renderer) and the characters Markdown reads as markup are backslash-escaped.
    Line breaks become spaces, so an answer cannot start a heading or a list."""
    text = " ".join(xml_safe(text).split())
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def content_disposition(filename: str) -> str:
    """An attachment header for any file name (RFC 6266 / RFC 5987): an ASCII
    fallback for old clients, and the exact name as UTF-8 in ``filename*``."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    ascii_stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in stem)
    ascii_stem = re.sub(r"-{2,}", "-", ascii_stem).strip("-") or "download"
    fallback = ascii_stem + (f".{ext}" if ext else "")
    quoted = urllib.parse.quote(one_line(filename), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def display_words(text: str) -> list[str]:
    """The words of a line as the student's screen shows them, one highlight each:
    whitespace-separated, punctuation kept with its word. The speech engines'
    word events are numbered by this list."""
    return text.split()
