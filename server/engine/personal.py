"""Personal data: keep only what a rule needs, and never in clear.

Per-person caps need to recognise the same citizen twice in a day, not to know who they are: we
store a keyed hash (HMAC with the hall's secret) for that and a masked form for screens and tickets.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date


def normalise_person_id(raw: str) -> str:
    """Spaces and dashes out, letters up, full-width digits and letters (a Chinese input method's
    full-width mode) as their ASCII: １２３ was refused as 证件号码只能含数字和字母."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw)).upper()


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def person_id_problem(raw: str) -> tuple[str, str] | None:
    """Why ``raw`` is not a document number a citizen could hold, in Chinese and English; None
    when it could be one.

    Why check: the number recognises the same citizen for the per-person daily cap and finds an
    appointment; a mistyped one silently counts as someone else. A resident ID (18 characters,
    GB 11643 check digit and a real birth date; also the 18-character permanent residence card of
    foreigners, same rule) is checked fully; the old 15-digit ID and an 11-digit mobile number by
    length; passports and travel permits (letters and digits) by shape only, as their rules vary.
    A string of digits of any other length is refused: it is an ID or a phone with a digit missing
    or too many.
    """
    value = normalise_person_id(raw)
    if not re.fullmatch(r"[0-9A-Z]+", value):
        return "证件号码只能含数字和字母", "a document number has only digits and letters"
    if re.fullmatch(r"\d{17}[\dX]", value):
        total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
        if _ID_CHECK[total % 11] != value[17]:
            return "身份证号校验位不符，请核对", "the ID number's check digit does not match"
        if not _is_date(value[6:14]):
            return "身份证号中的出生日期不对，请核对", "the ID number's birth date is not a date"
        return None
    if value.isdigit():
        if len(value) == 15 and _is_date("19" + value[6:12]):
            return None
        if len(value) == 11 and value.startswith("1"):
            return None
        return "号码位数不对（身份证号18位，手机号11位）", "wrong number of digits (an ID has 18, a mobile 11)"
    if 6 <= len(value) <= 20 and sum(c.isdigit() for c in value) >= 5 and value[0].isalpha():
        return None  # passport, 港澳/台湾通行证 and the like: a letter or two, then digits
    return "不是有效的证件号码（身份证、手机号、护照或通行证）", "not a document number (ID, mobile, passport or permit)"


def _is_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def person_key(secret: bytes, raw: str) -> str:
    return hmac.new(secret, normalise_person_id(raw).encode(), hashlib.sha256).hexdigest()[:40]


def mask_person_id(raw: str) -> str:
    """4302********1234 for an ID number, 138****5678 for a phone, a shorter mask otherwise."""
    value = normalise_person_id(raw)
    if len(value) >= 15:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


# Numbers as staff type them into free text: full-width digits (a Chinese input method), a phone
# written 138-1234-5678 or 138 1234 5678 (or after +86, 86 or 0086), an ID in its 6-8-4 groups, a
# passport or a travel permit (a letter or two, then 7 to 10 digits, the letter in either case).
# Found on a copy with full-width digits and letters made ASCII (one character for one, so the
# spans are the original's).
_FULL_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)}
                            | {chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)}
                            | {chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)} | {"－": "-", "　": " ", "＋": "+"})
_SEP = r"[ -]?"
_NUMBERS_IN_TEXT = re.compile(
    r"(?<![0-9])(?:"
    rf"(?P<id>\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[\dXx])"  # resident ID, plain or 6-8-4
    r"|(?P<old_id>\d{15})"  # the old 15-digit ID
    rf"|(?:(?:\+|00)?86{_SEP})?(?P<mobile>1\d{{2}}{_SEP}\d{{4}}{_SEP}\d{{4}})"  # mobile; after +86, 86 or 0086
    r")(?![0-9])"
    # A passport (E12345678, EA1234567, the older G1234567, G12345678) or a 港澳/回乡 permit (C…, H…,
    # M…): only these letters, as receipts and waybills (SL20241105, SF1234567890, GH12345678) are
    # masked otherwise; in either case, as staff type e12345678 as readily as E12345678.
    r"|(?<![0-9A-Za-z])(?P<document>(?i:E[A-Z]?\d{7,8}|G\d{7,8}|[CHM]\d{8}(?:\d{2})?))(?![0-9A-Za-z])"
)
# Letters glued before a number make it a code (合同HT13812345678), unless they say what it is.
_SAYS_PHONE = re.compile(r"(?i:tel|phone|mobile|mob|cell|wx|vx|no\.?)$")
# A label right before a number that says it is a case's, an order's or a waybill's, never a
# person's: only labels no one puts before an ID or a passport (not 编号, 号码 or no., as in 护照编号).
_SAYS_NOT_A_PERSON = re.compile(r"(?:受理|办件|案|订单|运单|快递单|流水|回执)编?号[\s:：#]*$|(?i:order)[\s:：#]*$")


def _id_shaped(value: str) -> bool:
    """Whether ``value`` (normalised) has a resident ID's shape: 17 digits and a check digit, a real
    birth date from 1900 to this year in the middle, whatever the check digit says. A mistyped ID
    is still the citizen's (17 of its digits right), so it is masked as one."""
    return (re.fullmatch(r"\d{17}[\dX]", value) is not None and _is_date(value[6:14])
            and 1900 <= int(value[6:10]) <= date.today().year)


def mask_numbers_in_text(text: str) -> str:
    """Free text written by staff (a transfer note, an appeal) with ID, mobile and passport
    numbers masked: "身份证430223199001011235 电话13812345678" in a note reached every signed-in
    person's event stream and stayed in the event log for ever, and so did 138-1234-5678,
    full-width digits and a passport number, as people really type them."""
    plain = text.translate(_FULL_WIDTH)
    out, last = [], 0
    for found in _NUMBERS_IN_TEXT.finditer(plain):
        kind = found.lastgroup or ""
        start, end = found.span(kind)
        number = re.sub(r"[ -]", "", found.group(kind))
        before = plain[:found.start()]
        glued = before[-1:].isascii() and before[-1:].isalpha()
        labelled = _SAYS_NOT_A_PERSON.search(before) is not None
        if kind == "id" and person_id_problem(number) is not None and (labelled or not _id_shaped(number.upper())):
            continue  # no ID's check digit, and a case's label or no birth date (受理号430224-20241105-0012)
        if kind == "document" and labelled:
            continue  # 订单号E12345678: the writer said it is an order's, not a passport
        if glued and kind != "id" and not (kind == "mobile" and _SAYS_PHONE.search(before)):
            continue  # a code that merely contains digits (合同HT13812345678)
        out.append(text[last:start] + mask_person_id(number))
        last = end
    return "".join(out) + text[last:]


def mask_code(code: str) -> str:
    """A code a kiosk refused, as its public screen may show it (未找到预约：…): an ID card reader in
    keyboard mode "scans" the citizen's ID number in as a code. A number of an ID's or a phone's
    shape is masked whole, its check digit right or not, as a code is no note with case numbers in
    it; anything else as free text (a passport number in it masked)."""
    typed = code.strip()
    if re.fullmatch(r"\d{15}|\d{17}[\dX]|1\d{10}", normalise_person_id(typed)):
        return mask_person_id(typed)
    return mask_numbers_in_text(typed)
