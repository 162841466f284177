# ruff: noqa: RUF001 -- currency, unit and dash characters are what the rules match
"""Text normalisation: numbers, money, dates, times, units and abbreviations read as a person
would say them, with a map from what was written to what will be spoken.

``normalize("Dr. Smith paid $4.2m")`` returns a :class:`NormalizedText` whose ``text`` is
"Doctor Smith paid four point two million dollars" and whose ``spans`` cover the input in
order, each pairing a written stretch with its spoken form, so word timings and captions can
report "$4.2m" rather than the five words that were said for it (:meth:`word_groups`).

Languages: English has the full rule set; any other language that ``num2words`` knows gets
its cardinals, decimals and percentages read (the :class:`Normalizer` protocol is the place
to add more). Numbers are always spelled by ``num2words``; the rules here only find them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from num2words import CONVERTER_CLASSES, num2words

__all__ = [
    "NormalizedText",
    "Normalizer",
    "Span",
    "cardinal",
    "digits",
    "normalize",
    "normalize_text",
    "ordinal",
    "spell_characters",
    "supported_languages",
]


@dataclass(frozen=True)
class Span:
    """One stretch of the input: ``written`` (``text[start:end]``) and what is said for it."""

    written: str
    spoken: str
    start: int
    end: int

    @property
    def changed(self) -> bool:
        return self.written != self.spoken


@dataclass(frozen=True)
class NormalizedText:
    """The input, its spoken form, and the spans that map one onto the other."""

    original: str
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        """The spoken form (what the engine is given)."""
        return "".join(span.spoken for span in self.spans)

    def word_groups(self) -> list[tuple[str, int]]:
        """Written words with the number of spoken words said for each, in order.

        A caption or timing source that yields spoken words can walk this list: for
        ``("$4.2m", 5)`` the next five spoken words are shown as the one written "$4.2m".
        Unchanged text yields ``(word, 1)`` per word; written text that is not spoken at all
        (a symbol dropped) yields ``(word, 0)``.
        """
        groups: list[tuple[str, int]] = []
        for span in self.spans:
            if not span.changed:
                groups.extend((word, 1) for word in span.written.split())
            elif span.written.strip():
                groups.append((span.written.strip(), len(span.spoken.split())))
        return groups


class Normalizer(Protocol):
    """One language's rules: split text into spans (unchanged stretches included)."""

    def spans(self, text: str) -> list[Span]: ...


# --- number reading (English) --------------------------------------------------------------

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _clean(words: str) -> str:
    """num2words' British "one hundred and five, ..." becomes "one hundred five ..."."""
    words = words.replace(",", "")
    words = re.sub(r"\band\b ", "", words)
    return re.sub(r"\s+", " ", words).strip()


def digits(value: str, lang: str = "en") -> str:
    """Each digit on its own: "2049" -> "two zero four nine" (other characters dropped)."""
    if lang.startswith("en"):
        return " ".join(_DIGIT_WORDS[int(ch)] for ch in value if ch.isdigit())
    return " ".join(_n2w(int(ch), lang) for ch in value if ch.isdigit())


def _n2w(number: int | float, lang: str, to: str = "cardinal") -> str:
    return str(num2words(number, lang=lang, to=to))


def cardinal(value: str | int, lang: str = "en") -> str:
    """An integer of any size in words ("1,250" -> "one thousand two hundred fifty").

    Numbers beyond what num2words can name are read digit by digit.
    """
    text = str(value).replace(",", "").strip()
    negative = text.startswith(("-", "\u2212"))
    text = text.lstrip("-\u2212+")
    if not text.isdigit():
        raise ValueError(f"not a whole number: {value!r}")
    try:
        words = _n2w(int(text), lang)
    except (OverflowError, NotImplementedError):
        words = digits(text, lang)
    if lang.startswith("en"):
        words = _clean(words)
    return f"{_minus(lang)} {words}" if negative else words


def _minus(lang: str) -> str:
    try:
        return _n2w(-1, lang).split()[0] if not lang.startswith("en") else "minus"
    except (NotImplementedError, OverflowError):
        return "-"


def decimal(value: str, lang: str = "en") -> str:
    """ "3.14" -> "three point one four"; the fraction is read digit by digit."""
    text = value.replace(",", "") if lang.startswith("en") else value
    negative = text.startswith(("-", "\u2212"))
    text = text.lstrip("-\u2212+")
    whole, _, fraction = text.partition(".")
    if not fraction and lang.startswith("en"):
        return cardinal(("-" if negative else "") + whole, lang)
    if lang.startswith("en"):
        head = cardinal(whole, lang) if whole else ""
        words = f"{head} point {digits(fraction)}".strip()
        return f"minus {words}" if negative else words
    number = float(f"{'-' if negative else ''}{whole or '0'}.{fraction or '0'}")
    return _n2w(number, lang)


def ordinal(value: str | int, lang: str = "en") -> str:
    """ "3" or "3rd" -> "third"."""
    text = re.sub(r"(?i)(st|nd|rd|th|\.)$", "", str(value).replace(",", "").strip())
    if not text.isdigit():
        raise ValueError(f"not an ordinal number: {value!r}")
    words = _n2w(int(text), lang, "ordinal")
    return _clean(words) if lang.startswith("en") else words


def year(value: int) -> str:
    """1999 -> "nineteen ninety-nine", 2005 -> "two thousand five", 2025 -> "twenty twenty-five"."""
    return _clean(_n2w(value, "en", "year"))


def _plural(word_phrase: str) -> str:
    """ "nineteen ninety" -> "nineteen nineties" (decades); "twenty" -> "twenties"."""
    head, _, last = word_phrase.rpartition(" ")
    if last.endswith("y"):
        last = last[:-1] + "ies"
    elif last.endswith("x"):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


def _plural_unit(word: str) -> str:
    return _plural(word)


# --- English tables (names, not number words: those all come from num2words) ----------------

_MONTHS = (
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
)
_MONTH_BY_PREFIX = {name[:3].lower(): index + 1 for index, name in enumerate(_MONTHS)}
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)

# symbol or code -> (singular, plural, sub-unit singular, sub-unit plural)
_CURRENCIES: dict[str, tuple[str, str, str, str]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "USD": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
    "JPY": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "INR": ("rupee", "rupees", "paisa", "paise"),
    "CAD": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "AUD": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes"),
    "₩": ("won", "won", "", ""),
    "₽": ("ruble", "rubles", "kopek", "kopeks"),
}
_MULTIPLIERS = {
    "k": "thousand",
    "thousand": "thousand",
    "m": "million",
    "mn": "million",
    "mm": "million",
    "million": "million",
    "b": "billion",
    "bn": "billion",
    "billion": "billion",
    "t": "trillion",
    "tn": "trillion",
    "trillion": "trillion",
}

# unit as written -> (singular, plural)
_UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"),
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "℃": ("degree Celsius", "degrees Celsius"),
    "℉": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "sec": ("second", "seconds"),
    "ms": ("millisecond", "milliseconds"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "dB": ("decibel", "decibels"),
    "m²": ("square meter", "square meters"),
    "km²": ("square kilometer", "square kilometers"),
    "ft²": ("square foot", "square feet"),
}

# abbreviation (with its period) -> spoken; context-dependent ones are handled in code
_ABBREVIATIONS = {
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "Prof.": "Professor",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "Mt.": "Mount",
    "Ave.": "Avenue",
    "Blvd.": "Boulevard",
    "Rd.": "Road",
    "Capt.": "Captain",
    "Gen.": "General",
    "Lt.": "Lieutenant",
    "Col.": "Colonel",
    "Sgt.": "Sergeant",
    "Gov.": "Governor",
    "Sen.": "Senator",
    "Rep.": "Representative",
    "Rev.": "Reverend",
    "Inc.": "Incorporated",
    "Ltd.": "Limited",
    "Corp.": "Corporation",
    "Dept.": "Department",
    "approx.": "approximately",
    "vs.": "versus",
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "a.k.a.": "also known as",
    "cf.": "compare",
    "Fig.": "Figure",
    "fig.": "figure",
}
# Abbreviations that may also end a sentence: keep the full stop when one would follow.
_SENTENCE_FINAL = {"etc.", "Inc.", "Ltd.", "Corp.", "Jr.", "Sr."}

_SYMBOLS = {
    "&": "and",
    "@": "at",
    "+": "plus",
    "=": "equals",
    "×": "times",
    "±": "plus or minus",
    "~": "about",
    "%": "percent",
    "°": "degrees",
    "§": "section",
    "™": "",
    "®": "",
    "©": "copyright",
    "≈": "approximately",
    "→": "to",
}

_URL_SYMBOLS = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    "@": "at",
    ":": "colon",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "~": "tilde",
    "+": "plus",
    "%": "percent",
}

# --- English patterns ------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_INT = r"\d{1,3}(?:,\d{3})+|\d+"
_UNIT_RE = "|".join(re.escape(unit) for unit in sorted(_UNITS, key=len, reverse=True))
_CUR_SYMBOL_RE = r"US\$|[$€£¥₹₩₽]"
_CUR_CODE_RE = "|".join(code for code in _CURRENCIES if code.isalpha())
_MULT_RE = r"thousand|million|billion|trillion|bn|mn|mm|tn|[kKmMbBtT]"
_TLDS = "com|org|net|io|dev|ai|co|edu|gov|info|app|biz|me|tv|uk|de|fr|es|it|nl|eu|ca|au|us|ch|se|jp"
_AMPM = r"(?P<ampm>[AaPp]\.?\s?[Mm]\.?)(?![A-Za-z])"


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    handler: Callable[[re.Match[str]], str | None]


def _amount_words(amount: str) -> str:
    return decimal(amount) if "." in amount else cardinal(amount)


def _say_currency(unit: str, amount: str, multiplier: str | None) -> str:
    singular, plural, sub_one, sub_many = _CURRENCIES[unit]
    amount = amount.replace(",", "")
    if multiplier:
        scale = _MULTIPLIERS[multiplier.lower()]
        return f"{_amount_words(amount)} {scale} {plural}"
    whole, _, fraction = amount.partition(".")
    whole = whole or "0"
    if fraction and (len(fraction) != 2 or not sub_one):
        return f"{decimal(amount)} {plural}"
    cents = int(fraction) if fraction else 0
    parts = []
    if int(whole) or not cents:
        parts.append(f"{cardinal(whole)} {singular if int(whole) == 1 else plural}")
    if cents:
        parts.append(f"{cardinal(str(cents))} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


def _currency_symbol(m: re.Match[str]) -> str:
    sign = "minus " if m.group("neg") else ""
    return sign + _say_currency(m.group("sym"), m.group("amt"), m.group("mult"))


def _currency_code(m: re.Match[str]) -> str:
    code = m.group("code") or m.group("code2")
    amount = m.group("amt") or m.group("amt2")
    return _say_currency(code, amount, m.group("mult") or m.group("mult2"))


def _cents(m: re.Match[str]) -> str:
    value = m.group("amt")
    return f"{cardinal(value)} {'cent' if value == '1' else 'cents'}"


def _month_name(number: int) -> str:
    if not 1 <= number <= 12:
        raise ValueError(f"no month {number}")
    return _MONTHS[number - 1]


def _full_year(text: str) -> int:
    value = int(text)
    if len(text) == 2:
        return 2000 + value if value < 50 else 1900 + value
    return value


def say_date(year_: int | None, month: int | None, day: int | None, style: str = "md") -> str:
    """ "March fourteenth, twenty twenty-five" (style "md") or "the fourteenth of March, ..."
    (style "dm"); any part may be missing."""
    parts: list[str] = []
    if month is not None and day is not None:
        if not 1 <= day <= 31:
            raise ValueError(f"no day {day}")
        if style == "dm":
            parts.append(f"the {ordinal(day)} of {_month_name(month)}")
        else:
            parts.append(f"{_month_name(month)} {ordinal(day)}")
    elif month is not None:
        parts.append(_month_name(month))
    elif day is not None:
        parts.append(f"the {ordinal(day)}")
    if year_ is not None:
        if parts:
            parts[-1] += "," if month is not None and day is not None else ""
        parts.append(year(year_))
    return " ".join(parts)


def _date_iso(m: re.Match[str]) -> str | None:
    try:
        return say_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _date_slash(m: re.Match[str]) -> str | None:
    first, second = int(m.group("a")), int(m.group("b"))
    full_year = _full_year(m.group("y"))
    # American month/day first unless the first number cannot be a month.
    month, day = (first, second) if first <= 12 else (second, first)
    try:
        return say_date(full_year, month, day)
    except ValueError:
        return None


def _date_dotted(m: re.Match[str]) -> str | None:
    try:
        return say_date(int(m.group("y")), int(m.group("b")), int(m.group("a")), "dm")
    except ValueError:
        return None


def _date_month_day(m: re.Match[str]) -> str | None:
    month = _MONTH_BY_PREFIX[m.group("mon")[:3].lower()]
    year_ = int(m.group("y")) if m.group("y") else None
    try:
        return say_date(year_, month, int(m.group("d")))
    except ValueError:
        return None


def _date_day_month(m: re.Match[str]) -> str | None:
    month = _MONTH_BY_PREFIX[m.group("mon")[:3].lower()]
    year_ = int(m.group("y")) if m.group("y") else None
    try:
        return say_date(year_, month, int(m.group("d")), "dm")
    except ValueError:
        return None


def _month_year(m: re.Match[str]) -> str:
    month = _MONTH_BY_PREFIX[m.group("mon")[:3].lower()]
    return f"{_MONTHS[month - 1]} {year(int(m.group('y')))}"


def say_time(hour: int, minute: int, second: int | None = None, ampm: str | None = None) -> str:
    """ "ten thirty a.m.", "fourteen oh five", "ten o'clock"."""
    if not (0 <= hour <= 24 and 0 <= minute <= 59 and (second is None or 0 <= second <= 59)):
        raise ValueError("not a time of day")
    if ampm and not 1 <= hour <= 12:
        raise ValueError("not a twelve-hour time")
    words = cardinal(hour)
    if minute == 0 and not ampm:
        words += " o'clock" if hour <= 12 else " hundred"
    elif 0 < minute < 10:
        words += f" oh {cardinal(minute)}"
    elif minute:
        words += f" {cardinal(minute)}"
    if second:
        words += f" and {cardinal(second)} {'second' if second == 1 else 'seconds'}"
    if ampm:
        words += " a.m." if ampm.lower().startswith("a") else " p.m."
    return words


def _time(m: re.Match[str]) -> str | None:
    second = int(m.group("s")) if m.group("s") else None
    try:
        return say_time(int(m.group("h")), int(m.group("mi")), second, m.group("ampm"))
    except ValueError:
        return None


def _time_dotted(m: re.Match[str]) -> str | None:
    try:
        return say_time(int(m.group("h")), int(m.group("mi")), None, m.group("ampm"))
    except ValueError:
        return None


def _hour_ampm(m: re.Match[str]) -> str | None:
    try:
        return say_time(int(m.group("h")), 0, None, m.group("ampm"))
    except ValueError:
        return None


def say_telephone(number: str) -> str:
    """Digit by digit, groups separated by commas; a leading "+" is "plus"."""
    groups = [group for group in re.split(r"[^\d+]+", number) if group.strip("+")]
    spoken = []
    for group in groups:
        lead = "plus " if group.startswith("+") else ""
        spoken.append(lead + digits(group))
    return ", ".join(spoken)


def _telephone(m: re.Match[str]) -> str:
    return say_telephone(m.group(0))


def _percent(m: re.Match[str]) -> str:
    return f"{_number_or_range(m.group('num'))} percent"


def _number_or_range(text: str) -> str:
    parts = re.split(r"\s?[-–]\s?(?=\d|\.\d)", text)
    if len(parts) == 2 and parts[0]:
        return f"{_amount_words(parts[0])} to {_amount_words(parts[1])}"
    return _amount_words(text)


def _unit(m: re.Match[str]) -> str:
    number, unit = m.group("num"), m.group("unit")
    singular, plural = _UNITS[unit]
    one = number.replace(",", "") in {"1", "-1"}
    return f"{_number_or_range(number)} {singular if one else plural}"


def _ordinal(m: re.Match[str]) -> str:
    return ordinal(m.group("n"))


def _decade(m: re.Match[str]) -> str:
    return _plural(year(int(m.group("y"))))


def _year_after_word(m: re.Match[str]) -> str:
    return f"{m.group('w')} {year(int(m.group('y')))}"


def _fraction(m: re.Match[str]) -> str | None:
    numerator, denominator = int(m.group("a")), int(m.group("b"))
    if denominator in (0, 1) or denominator > 100:
        return None
    if denominator == 2:
        name = "half" if numerator == 1 else "halves"
    elif denominator == 4:
        name = "quarter" if numerator == 1 else "quarters"
    else:
        name = ordinal(denominator)
        if numerator != 1:
            name = _plural(name)
    return f"{cardinal(numerator)} {name}"


def _range(m: re.Match[str]) -> str:
    return f"{_amount_words(m.group('a'))} to {_amount_words(m.group('b'))}"


def _number(m: re.Match[str]) -> str:
    text = m.group("num")
    sign = "minus " if m.group("neg") else ""
    plain = text.replace(",", "")
    if len(plain) > 1 and plain.startswith("0") and not plain.startswith("0."):
        return sign + digits(plain)  # "007", zip codes: digit by digit
    return sign + _amount_words(text)


def _hash_number(m: re.Match[str]) -> str:
    return f"number {cardinal(m.group('n'))}"


def _say_url_part(part: str) -> str:
    words = []
    for token in re.findall(r"[A-Za-z]+|\d+|.", part):
        if token.isdigit():
            words.append(digits(token) if len(token) > 4 else cardinal(token))
        elif token.isalpha():
            words.append(" ".join(token) if token.lower() == "www" else token)
        elif token in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[token])
    return " ".join(words)


def _url(m: re.Match[str]) -> str:
    url = re.sub(r"^[A-Za-z][\w+.-]*://", "", m.group(0)).rstrip("/")
    return _say_url_part(url)


def _email(m: re.Match[str]) -> str:
    user, _, domain = m.group(0).partition("@")
    return f"{_say_url_part(user)} at {_say_url_part(domain)}"


def _abbreviation(m: re.Match[str]) -> str:
    written = m.group("abbr")
    after = m.string[m.end() :]
    next_capital = re.match(r"\s+[A-Z]", after) is not None
    if written == "Dr.":
        spoken = "Doctor" if next_capital else "Drive"
    elif written == "St.":
        spoken = "Saint" if next_capital else "Street"
    elif written in ("No.", "no."):
        spoken = "number"
    else:
        spoken = _ABBREVIATIONS[written]
    if written in _SENTENCE_FINAL and (not after.strip() or re.match(r"\s*\n|\s+[A-Z]", after)):
        spoken += "."
    return spoken


def _symbol(m: re.Match[str]) -> str:
    return _SYMBOLS[m.group("sym")]


def _english_rules() -> list[_Rule]:
    def rule(name: str, pattern: str, handler: Callable[[re.Match[str]], str | None]) -> _Rule:
        return _Rule(name, re.compile(pattern), handler)

    boundary = r"(?<![\w.,])"
    end = r"(?![\w]|[.,]\d)"
    return [
        rule(
            "email",
            r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
            _email,
        ),
        rule(
            "url",
            r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"]*[^\s<>\".,;:!?)\]']"
            rf"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]'])?",
            _url,
        ),
        rule(
            "currency",
            rf"(?P<neg>(?<![\w])-)?(?P<sym>{_CUR_SYMBOL_RE})\s?(?P<amt>{_NUM})"
            rf"(?:\s?(?P<mult>{_MULT_RE})\b)?",
            _currency_symbol,
        ),
        rule(
            "currency_code",
            rf"\b(?P<code>{_CUR_CODE_RE})\s?(?P<amt>{_NUM})(?:\s?(?P<mult>{_MULT_RE})\b)?{end}"
            rf"|{boundary}(?P<amt2>{_NUM})(?:\s?(?P<mult2>{_MULT_RE}))?\s?(?P<code2>{_CUR_CODE_RE})\b",
            _currency_code,
        ),
        rule("cents", rf"{boundary}(?P<amt>\d+)\s?¢", _cents),
        rule(
            "date_iso",
            r"(?<![\w/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w/-])",
            _date_iso,
        ),
        rule(
            "date_slash",
            r"(?<![\w/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})(?![\w/])",
            _date_slash,
        ),
        rule(
            "date_dotted",
            r"(?<![\w.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4})(?![\w]|\.\d)",
            _date_dotted,
        ),
        rule(
            "date_month_day",
            rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b"
            rf"(?:,?\s+(?P<y>\d{{4}})\b)?(?!:)",
            _date_month_day,
        ),
        rule(
            "date_day_month",
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH_RE})\b\.?"
            rf"(?:,?\s+(?P<y>\d{{4}})\b)?",
            _date_day_month,
        ),
        rule("month_year", rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<y>\d{{4}})\b", _month_year),
        rule(
            "time",
            rf"(?<![\w:.])(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})(?::(?P<s>\d{{2}}))?(?:\s?{_AMPM})?"
            r"(?![\w:])",
            _time,
        ),
        rule(
            "time_dotted", rf"(?<![\w:.])(?P<h>\d{{1,2}})\.(?P<mi>\d{{2}})\s?{_AMPM}", _time_dotted
        ),
        rule("hour_ampm", rf"(?<![\w:.])(?P<h>\d{{1,2}})\s?{_AMPM}", _hour_ampm),
        rule(
            "telephone",
            r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"
            r"|(?<![\w+])\+\d{1,3}(?:[\s.-]\d{1,4}){2,5}(?![\w-])"
            r"|(?<![\w+-])\d{3}-\d{4}(?![\w-])",
            _telephone,
        ),
        rule(
            "decade",
            r"(?<![\w.,'])(?P<y>1[1-9]\d0|20\d0)s\b",
            _decade,
        ),
        rule(
            "year",
            r"\b(?P<w>[Ii]n|[Ss]ince|[Bb]y|[Ff]rom|[Uu]ntil|[Tt]ill|[Bb]efore|[Aa]fter|[Dd]uring"
            r"|[Yy]ear|[Oo]f|[Cc]irca|[Ii]n the year)\s+(?P<y>1[1-9]\d\d|20\d\d)"
            r"(?![\w]|[.,]\d|\s?%)",
            _year_after_word,
        ),
        rule("percent", rf"{boundary}(?P<num>(?:{_NUM})(?:\s?[-–]\s?(?:{_NUM}))?)\s?%", _percent),
        rule(
            "unit",
            rf"{boundary}(?P<num>-?(?:{_NUM})(?:\s?[-–]\s?(?:{_NUM}))?)\s?(?P<unit>{_UNIT_RE})"
            r"(?![\w/²])",
            _unit,
        ),
        rule("ordinal", r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b", _ordinal),
        rule("hash_number", r"(?<![\w#])#(?P<n>\d+)\b", _hash_number),
        rule(
            "fraction",
            r"(?<![\w/.])(?P<a>\d{1,3})/(?P<b>\d{1,3})(?![\w/]|\.\d)",
            _fraction,
        ),
        rule(
            "range",
            rf"(?<![\w.,-])(?P<a>{_NUM})\s?[-–]\s?(?P<b>{_NUM})(?![\w-]|[.,]\d)",
            _range,
        ),
        rule(
            "number",
            rf"(?:(?P<neg>(?<![\w-])[-\u2212])|(?<=[A-Za-z])-|(?<![\w.,]))"
            rf"(?P<num>{_INT}(?:\.\d+)?|\.\d+)"
            rf"(?![\w]|[.,]\d)",
            _number,
        ),
        rule(
            "abbreviation",
            r"(?<![\w.])(?P<abbr>"
            + "|".join(
                re.escape(a)
                for a in sorted([*_ABBREVIATIONS, "Dr.", "St.", "No."], key=len, reverse=True)
            )
            + r")(?=\s|$|[,;:!?)])",
            _abbreviation,
        ),
        rule("symbol", r"(?P<sym>[&@+=×±~%°§™®©≈→])", _symbol),
    ]


class _RuleNormalizer:
    """Finds the earliest match of any rule (ties: the first rule) and reads it."""

    def __init__(self, rules: Sequence[_Rule]) -> None:
        self._rules = list(rules)

    def spans(self, text: str) -> list[Span]:
        spans: list[Span] = []
        position = 0
        plain_from = 0
        pending: list[re.Match[str] | None] = [r.pattern.search(text, 0) for r in self._rules]
        while True:
            best: int | None = None
            for index, match in enumerate(pending):
                if match is not None and (best is None or match.start() < _start(pending[best])):
                    best = index
            if best is None:
                break
            match = pending[best]
            assert match is not None
            spoken = self._rules[best].handler(match) if match.group(0) else None
            if spoken is None:
                pending[best] = self._rules[best].pattern.search(text, match.start() + 1)
                continue
            if match.start() > plain_from:
                written = text[plain_from : match.start()]
                spans.append(Span(written, written, plain_from, match.start()))
            spans.append(Span(match.group(0), spoken, match.start(), match.end()))
            position = plain_from = match.end()
            for index, other in enumerate(pending):
                if other is not None and other.start() < position:
                    pending[index] = self._rules[index].pattern.search(text, position)
        if plain_from < len(text):
            spans.append(Span(text[plain_from:], text[plain_from:], plain_from, len(text)))
        return _tidy(spans)


def _start(match: re.Match[str] | None) -> int:
    return match.start() if match is not None else 1 << 62


def _tidy(spans: list[Span]) -> list[Span]:
    """A dropped symbol ("™") leaves no double space behind; spoken words never glue to their
    neighbours ("5km" -> "five kilometers", "A&B" -> "A and B")."""
    tidy: list[Span] = []
    for index, span in enumerate(spans):
        spoken = span.spoken
        if span.changed and spoken:
            before = spans[index - 1].spoken if index else ""
            after = spans[index + 1].spoken if index + 1 < len(spans) else ""
            if before and not before[-1].isspace():
                spoken = " " + spoken
            if after and after[0].isalnum():
                spoken += " "
        tidy.append(Span(span.written, spoken, span.start, span.end))
    return tidy


class _NumbersOnly(_RuleNormalizer):
    """Another language that num2words can read: cardinals, decimals and percentages."""

    def __init__(self, lang: str) -> None:
        def number(m: re.Match[str]) -> str | None:
            text = m.group("num")
            try:
                if "." in text or "," in text:
                    return decimal(text.replace(",", "."), lang)
                return cardinal(text, lang)
            except (ValueError, NotImplementedError, OverflowError):
                return None

        def percent(m: re.Match[str]) -> str | None:
            words = number(m)
            return f"{words} %" if words is None else f"{words} {_PERCENT.get(lang, '%')}"

        super().__init__(
            [
                _Rule("percent", re.compile(r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?)\s?%"), percent),
                _Rule("number", re.compile(r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?)(?![\w])"), number),
            ]
        )


_PERCENT = {
    "de": "Prozent",
    "fr": "pour cent",
    "es": "por ciento",
    "it": "per cento",
    "pt": "por cento",
    "nl": "procent",
    "sv": "procent",
    "da": "procent",
    "no": "prosent",
    "pl": "procent",
}

_cache: dict[str, Normalizer] = {}


def _normalizer(language: str) -> Normalizer | None:
    """The rules for a BCP-47 code ("en-GB" uses "en"), or None for a language without any."""
    code = language.replace("_", "-").lower()
    subtag = code.split("-", 1)[0]
    if subtag not in _cache:
        if subtag == "en":
            _cache[subtag] = _RuleNormalizer(_english_rules())
        elif subtag in CONVERTER_CLASSES or (subtag == "nb" and "no" in CONVERTER_CLASSES):
            _cache[subtag] = _NumbersOnly("no" if subtag == "nb" else subtag)
        else:
            return None
    return _cache[subtag]


def supported_languages() -> frozenset[str]:
    """Language subtags with at least number reading ("en" has the full rule set)."""
    return frozenset({"en", *(code for code in CONVERTER_CLASSES if "_" not in code)})


def normalize(text: str, language: str = "en") -> NormalizedText:
    """Normalise text for speech; a language without rules comes back unchanged (one span)."""
    normalizer = _normalizer(language)
    if normalizer is None or not text:
        return NormalizedText(text, (Span(text, text, 0, len(text)),) if text else ())
    return NormalizedText(text, tuple(normalizer.spans(text)))


def normalize_text(text: str, language: str = "en") -> str:
    """Just the spoken form."""
    return normalize(text, language).text


def spell_characters(text: str, lang: str = "en") -> str:
    """ "ABC" -> "A, B, C": letters as capitals (their names), digits as words, separated by
    commas so that every engine reads each one as a letter ("A" alone would be the article)."""
    spoken: list[str] = []
    for char in text:
        if char.isspace():
            continue
        if char.isdigit():
            spoken.append(digits(char, lang))
        elif char.isalpha():
            spoken.append(char.upper())
        elif lang.startswith("en") and char in _URL_SYMBOLS:
            spoken.append(_URL_SYMBOLS[char])
        elif lang.startswith("en") and char in _SYMBOLS and _SYMBOLS[char]:
            spoken.append(_SYMBOLS[char])
    return ", ".join(spoken)
