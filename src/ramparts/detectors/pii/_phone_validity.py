"""phonenumbers' "is this a valid number" answer, computed with less work.

``phonenumbers.parse`` plus ``is_valid_number`` costs 20-40 us a candidate,
mostly in generic string handling and in regexes looked up again on every
call. The answers here are the same, by construction:

- validity reads phonenumbers' own metadata (general pattern, then the
  number-type patterns of the region the number belongs to), with the
  patterns compiled once;
- a plain candidate (digits, spaces, ``.-()``) is read by ``parse`` as its
  digits alone, so when they start with no international prefix or country
  code (national numbers), or with "+" and a country code, the national
  significant number is worked out with parse's own prefix-stripping and
  length steps instead of the whole of parse.

Anything these rules do not model (non-geographic codes, prefix transform
rules, other characters) goes to phonenumbers unchanged.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneNumber
from phonenumbers.phonemetadata import PhoneMetadata

# parse()'s own steps, from the pinned version (tests compare with parse itself).
from phonenumbers.phonenumberutil import ValidationResult, _test_number_length
from phonenumbers.phonenumberutil import (
    _maybe_strip_national_prefix_carrier_code as _strip_national_prefix,
)

_PLAIN_CHARS = frozenset("0123456789 .-()")
_NON_GEO = "001"
_MIN_NSN, _MAX_NSN = 2, 17  # parse() raises outside these national number lengths
_TOO_SHORT_TO_STRIP = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
# The number-type descriptions phonenumbers tries, in its order (mobile last).
_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line",
)  # fmt: skip

# Bounds the caches keyed by region or country code: phonenumbers knows some 250 regions
# and 215 codes, so nothing it parses is evicted, yet no key can grow a cache unbounded.
CACHED_CODES = 1024
_Desc = tuple[frozenset[int], re.Pattern[str]]


def _compiled(desc: object) -> _Desc | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or not pattern:
        return None  # phonenumbers: no pattern never matches
    return frozenset(getattr(desc, "possible_length", ()) or ()), re.compile(pattern)


def _matches(number: str, desc: _Desc | None) -> bool:
    if desc is None:
        return False
    lengths, pattern = desc
    return (not lengths or len(number) in lengths) and pattern.fullmatch(number) is not None


@dataclass(frozen=True)
class _Region:
    country_code: int | None
    general: _Desc | None
    types: tuple[_Desc | None, ...]
    leading_digits: re.Pattern[str] | None
    international_prefix: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    transforms_prefix: bool
    # Per number length, the patterns of the types allowing it as one alternation
    # (None: no type does); filled on first use. One fullmatch of ``(?:a)|(?:b)``
    # succeeds exactly when one of ``a`` and ``b`` fullmatches.
    by_length: dict[int, re.Pattern[str] | None] = field(default_factory=dict, compare=False)

    def has_type(self, number: str) -> bool:
        """phonenumbers' ``_number_type_helper(...) != UNKNOWN``."""
        if not _matches(number, self.general):
            return False
        size = len(number)
        try:
            types = self.by_length[size]
        except KeyError:
            types = self.by_length[size] = self._types_of_length(size)
        return types is not None and types.fullmatch(number) is not None

    def _types_of_length(self, size: int) -> re.Pattern[str] | None:
        patterns = [
            f"(?:{desc[1].pattern})"
            for desc in self.types
            if desc is not None and (not desc[0] or size in desc[0])
        ]
        return re.compile("|".join(patterns)) if patterns else None


@functools.lru_cache(maxsize=CACHED_CODES)
def _region(code: str) -> _Region | None:
    metadata = PhoneMetadata.metadata_for_region(code, None)
    if metadata is None:
        return None
    types = [_compiled(getattr(metadata, name)) for name in _TYPE_DESCS]
    if not metadata.same_mobile_and_fixed_line_pattern:
        types.append(_compiled(metadata.mobile))
    # has_type() only asks whether any type matches: try the common ones first.
    types.reverse()
    return _Region(
        country_code=metadata.country_code,
        general=_compiled(metadata.general_desc),
        types=tuple(types),
        leading_digits=(
            re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None
        ),
        international_prefix=(
            re.compile(metadata.international_prefix) if metadata.international_prefix else None
        ),
        national_prefix=(
            re.compile(metadata.national_prefix_for_parsing)
            if metadata.national_prefix_for_parsing
            else None
        ),
        transforms_prefix=bool(metadata.national_prefix_transform_rule),
    )


def _country_regions(country_code: int) -> tuple[str, ...] | None:
    """The regions of a country code; None when phonenumbers must decide (non-geographic)."""
    regions: tuple[str, ...] = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    return None if _NON_GEO in regions else regions


def is_valid(number: PhoneNumber) -> bool:
    """Same answer as ``phonenumbers.is_valid_number(number)``."""
    country_code = number.country_code or 0
    verdict = _valid_national(country_code, phonenumbers.national_significant_number(number))
    return bool(phonenumbers.is_valid_number(number)) if verdict is None else verdict


def _valid_national(country_code: int, national: str) -> bool | None:
    """``is_valid_number`` of a number given as country code and national
    significant number; None for the non-geographic codes (ask phonenumbers)."""
    regions = _country_regions(country_code)
    if regions is None:
        return None
    lengths = _general_lengths(country_code)
    if lengths is not None and len(national) not in lengths:
        return False  # no region of the code has a number this long
    region = regions[0] if len(regions) == 1 else _region_of(national, regions)
    rules = _region(region) if region is not None else None
    return rules is not None and rules.country_code == country_code and rules.has_type(national)


@functools.lru_cache(maxsize=CACHED_CODES)
def _general_lengths(country_code: int) -> frozenset[int] | None:
    """Every length a valid number of the code's regions can have (``has_type`` needs
    the general description's lengths); None when one region does not limit them."""
    lengths: set[int] = set()
    for code in _country_regions(country_code) or ():
        rules = _region(code)
        if rules is None or rules.general is None:
            continue  # never valid: adds no length
        if not rules.general[0]:
            return None
        lengths |= rules.general[0]
    return frozenset(lengths)


def _region_of(national: str, regions: tuple[str, ...]) -> str | None:
    """phonenumbers' ``_region_code_for_number_from_list``.

    The first region, in order, whose leading digits match (or, for a region
    without them, which has a type for the number). Runs of regions with
    leading digits are tried as one regex, whose first matching alternative is
    the first matching region: code 1 lists 25 regions, 23 with leading digits.
    """
    for leading, codes in _region_steps(regions):
        if leading is None:
            rules = _region(codes[0])
            if rules is not None and rules.has_type(national):
                return codes[0]
            continue
        match = leading.match(national)
        if match is not None and match.lastgroup is not None:
            return codes[int(match.lastgroup[1:])]
    return None


_Step = tuple[re.Pattern[str] | None, tuple[str, ...]]


@functools.lru_cache(maxsize=CACHED_CODES)
def _region_steps(regions: tuple[str, ...]) -> tuple[_Step, ...]:
    """``regions`` as steps: (None, (code,)) for a region without leading digits,
    (one regex with a group ``r<i>`` per region, codes) for a run of regions with them."""
    steps: list[_Step] = []
    run: list[tuple[str, str]] = []  # (code, leading digits pattern)

    def close_run() -> None:
        if run:
            alternatives = "|".join(
                f"(?P<r{i}>(?:{pattern}))" for i, (_, pattern) in enumerate(run)
            )
            steps.append((re.compile(alternatives), tuple(code for code, _ in run)))
            run.clear()

    for code in regions:
        rules = _region(code)
        if rules is None:
            continue
        if rules.leading_digits is None:
            close_run()
            steps.append((None, (code,)))
        else:
            run.append((code, rules.leading_digits.pattern))
    close_run()
    return tuple(steps)


@dataclass(frozen=True)
class _Prefix:
    """What parse needs to strip a region's national prefix, read once from metadata."""

    metadata: PhoneMetadata
    pattern: re.Pattern[str] | None  # national prefix for parsing; None: nothing to strip
    general: re.Pattern[str] | None  # general national number pattern
    lengths: tuple[int, ...]  # general possible lengths, sorted
    local_lengths: frozenset[int]
    modelled: bool  # False: no transform-free rule here, ask phonenumbers


@functools.lru_cache(maxsize=CACHED_CODES)
def _prefix(code: str) -> _Prefix | None:
    metadata = PhoneMetadata.metadata_for_region(code, None)
    if metadata is None:
        return None
    general = metadata.general_desc
    prefix = metadata.national_prefix_for_parsing
    pattern = general.national_number_pattern if general is not None else None
    lengths = tuple(general.possible_length or ()) if general is not None else ()
    return _Prefix(
        metadata=metadata,
        pattern=re.compile(prefix) if prefix else None,
        general=re.compile(pattern) if pattern else None,
        lengths=lengths,
        local_lengths=frozenset(general.possible_length_local_only or ())
        if general
        else frozenset(),
        modelled=general is not None
        and bool(lengths)
        and list(lengths) == sorted(lengths)
        and not metadata.national_prefix_transform_rule,
    )


def _strip_prefix(number: str, rules: _Prefix) -> str:
    """phonenumbers' ``_maybe_strip_national_prefix_carrier_code`` (no transform rule):
    the prefix goes unless the number was viable with it and is not without it."""
    match = rules.pattern.match(number) if rules.pattern is not None and number else None
    if match is None:
        return number
    stripped = number[match.end() :]
    general = rules.general
    if general is not None and general.fullmatch(number) and not general.fullmatch(stripped):
        return number
    return stripped


def _strips_to_possible(size: int, rules: _Prefix) -> bool:
    """``_test_number_length`` of a number of ``size`` digits is not one of
    ``_TOO_SHORT_TO_STRIP`` (it is possible, or too long)."""
    if size in rules.local_lengths:
        return False
    lengths = rules.lengths
    if size <= lengths[0]:
        return size == lengths[0]
    return size > lengths[-1] or size in lengths


def _national_number(normalized: str, code: str) -> str | None:
    """The national significant number ``phonenumbers.parse`` keeps from the digits
    after the country code (national prefix stripped when what is left is a
    possible length); None where parse would raise."""
    rules = _prefix(code)
    if rules is None or len(normalized) < _MIN_NSN:
        return None
    if rules.modelled:
        stripped = _strip_prefix(normalized, rules)
        if _strips_to_possible(len(stripped), rules):
            normalized = stripped
    else:
        _, stripped, _ = _strip_national_prefix(normalized, rules.metadata)
        if _test_number_length(stripped, rules.metadata) not in _TOO_SHORT_TO_STRIP:
            normalized = stripped
    return normalized if _MIN_NSN <= len(normalized) <= _MAX_NSN else None


def _plain_national_verdict(digits: str, code: str) -> bool | None:
    """Validity of a plain national candidate (its ``digits``) parsed for a region;
    None when it may carry an international prefix or a country code."""
    rules = _region(code)
    if rules is None or rules.international_prefix is None or rules.country_code is None:
        return None
    if rules.international_prefix.match(digits) or digits.startswith(str(rules.country_code)):
        return None
    national = _national_number(digits, code)
    return None if national is None else _valid_national(rules.country_code, national)


def valid_with_regions(candidate: str, regions: tuple[str, ...]) -> bool:
    """Whether ``candidate`` parses as a valid number for one of ``regions``, tried in
    order; a parse error ends the search (False), as it always has."""
    plain = _PLAIN_CHARS.issuperset(candidate)
    digits = "".join(filter(str.isdigit, candidate)) if plain else ""
    for code in regions:
        verdict = _plain_national_verdict(digits, code) if plain else None
        if verdict is None:
            try:
                verdict = is_valid(phonenumbers.parse(candidate, code))
            except phonenumbers.NumberParseException:
                return False
        if verdict:
            return True
    return False


def _international_verdict(text: str) -> bool | None:
    """Validity of a plain "+44 20 ..." candidate; None when phonenumbers must decide."""
    if not text.startswith("+") or not _PLAIN_CHARS.issuperset(text[1:]):
        return None
    digits = "".join(ch for ch in text[1:] if ch.isdigit())
    if len(digits) <= _MIN_NSN or digits[0] == "0":
        return None  # phonenumbers' error paths
    for size in range(1, 4):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            code = phonenumbers.region_code_for_country_code(country_code)
            national = _national_number(digits[size:], code)
            return None if national is None else _valid_national(country_code, national)
    return None


def valid_international(core: str) -> bool:
    """Whether "+CC ..." or "00CC ..." is a valid number (parse errors: False)."""
    text = core.replace("00", "+", 1)
    verdict = _international_verdict(text)
    if verdict is not None:
        return verdict
    try:
        return is_valid(phonenumbers.parse(text))
    except phonenumbers.NumberParseException:
        return False
