"""ID and mobile numbers written into free text are masked; nothing else in the text changes."""
from __future__ import annotations

from datetime import date

import pytest

from server.engine.personal import mask_code, mask_numbers_in_text


@pytest.mark.parametrize("written, kept", [
    ("身份证430223199001011235", "身份证4302**********1235"),
    ("ID 43022319900101003X, tel 13812345678.", "ID 4302**********003X, tel 138****5678."),
    ("旧证430223900101123补办", "旧证4302*******1123补办"),  # a 15-digit ID
    ("A1001 转 A2, 20261127 办结, 第3次", "A1001 转 A2, 20261127 办结, 第3次"),  # numbers, dates: as written
    ("流水号 12345678901234567890", "流水号 12345678901234567890"),  # 20 digits: no ID or mobile
    ("合同HT13812345678", "合同HT13812345678"),  # glued to letters: a code, not a phone
    ("事项4302240100001", "事项4302240100001"),  # an item code (13 digits)
    # As people type them (the security review found each of these stored in clear):
    ("电话138-1234-5678", "电话138****5678"),
    ("电话138 1234 5678，备用 13900001111", "电话138****5678，备用 139****1111"),
    ("身份证430223 19900101 1235", "身份证4302**********1235"),  # the 6-8-4 groups
    ("身份证号ID430223199001011235", "身份证号ID4302**********1235"),  # glued, but its check digit holds
    ("tel13812345678", "tel138****5678"),
    ("手机：+8613812345678", "手机：+86138****5678"),
    ("电话１３８１２３４５６７８", "电话138****5678"),  # full-width digits (a Chinese input method)
    ("护照E12345678，通行证C12345678", "护照E*******8，通行证C*******8"),
    ("wx13812345678", "wx138****5678"),
    # Numbers that are no one's (the code review found each masked, the note's text lost for good):
    ("受理号430224-20241105-0012", "受理号430224-20241105-0012"),  # 18 digits, no valid check digit
    ("合同HT1234567，回执SL20241105", "合同HT1234567，回执SL20241105"),
    ("快递单号SF1234567890，工号GH12345678", "快递单号SF1234567890，工号GH12345678"),
])
def test_numbers_in_text(written: str, kept: str) -> None:
    assert mask_numbers_in_text(written) == kept


@pytest.mark.parametrize("written, kept", [
    ("护照e12345678", "护照E*******8"),
    ("护照号 ea1234567，旧护照g1234567", "护照号 E*******7，旧护照G******7"),
    ("旧护照G1234567", "旧护照G******7"),
    ("回乡证h12345678，通行证m12345678", "回乡证H*******8，通行证M*******8"),
    ("工号gh12345678，回执sl20241105", "工号gh12345678，回执sl20241105"),  # other letters: still codes
])
def test_passports_typed_in_lower_case_are_masked(written: str, kept: str) -> None:
    """Tried: passport and permit numbers as staff type them without shift (e12345678) and the
    older G and seven digits. Kept: masked like E12345678 (they were stored in clear)."""
    assert mask_numbers_in_text(written) == kept


@pytest.mark.parametrize("written, kept", [
    ("手机8613812345678", "手机86138****5678"),
    ("手机 86 138 1234 5678", "手机 86 138****5678"),
    ("手机0086-138-1234-5678", "手机0086-138****5678"),
    ("手机 0086 13812345678", "手机 0086 138****5678"),
    ("手机008613812345678", "手机0086*******5678"),
    ("手机＋８６ １３８１２３４５６７８", "手机＋８６ 138****5678"),
])
def test_mobiles_after_the_country_code_without_plus_are_masked(written: str, kept: str) -> None:
    """Tried: a mobile after 86 or 0086, as people write it without the +. Kept: masked as after
    +86 (8613812345678 and 86 138 1234 5678 were stored in clear)."""
    assert mask_numbers_in_text(written) == kept


def test_a_mistyped_id_number_is_masked_whatever_its_check_digit() -> None:
    """Tried: an ID number with one digit wrong (its check digit no longer holds) in a note,
    plain, in 6-8-4 groups, after a letter. Kept: masked, as it is still the citizen's number (it
    was stored in clear); a case number that says so (受理号) and 18 digits with no birth date in
    them (month 13, a year before 1900 or after this one) stay as written. An unlabelled case
    number of an ID's shape is masked: privacy wins."""
    next_year = date.today().year + 1
    assert mask_numbers_in_text("身份证430223199001011234") == "身份证4302**********1234"
    assert mask_numbers_in_text("身份证 430223 19900101 1234，已核") == "身份证 4302**********1234，已核"
    assert mask_numbers_in_text("身份证号ID43022319900101123X") == "身份证号ID4302**********123X"
    assert mask_numbers_in_text("证件430223-19000101-1234") == "证件4302**********1234"
    assert mask_numbers_in_text("430224-20241105-0012 已办结") == "4302**********0012 已办结"
    for kept in ("受理号430224-20241105-0012", "办件编号：430224202411050012", "单据430223199013011234",
                 "单据430223189912311234", f"单据430223{next_year}01011234"):
        assert mask_numbers_in_text(kept) == kept


@pytest.mark.parametrize("written, kept", [
    ("订单号E12345678", "订单号E12345678"),
    ("订单号：E12345678，运单号 G12345678", "订单号：E12345678，运单号 G12345678"),
    ("order #E12345678", "order #E12345678"),
    ("护照E12345678", "护照E*******8"),  # a passport's own label, or none: masked
    ("护照编号E12345678", "护照编号E*******8"),
    ("护照号码：E12345678", "护照号码：E*******8"),
    ("passport no. E12345678", "passport no. E*******8"),
    ("E12345678", "E*******8"),
    ("订单号E12345678，护照E87654321", "订单号E12345678，护照E*******1"),
])
def test_a_number_labelled_as_an_order_is_not_a_passport(written: str, kept: str) -> None:
    """Tried: an order or waybill number of a passport's shape, after the label that says what it
    is. Kept: as written (it was masked for good as a passport); a passport after its own label,
    or after none, stays masked, as do labels a passport shares (编号, 号码, no.)."""
    assert mask_numbers_in_text(written) == kept


@pytest.mark.parametrize("code, shown", [
    ("430224195001011231", "4302**********1231"),  # valid
    ("430224195001011234", "4302**********1234"),  # its check digit wrong
    ("430224299901011234", "4302**********1234"),  # no birth date: still masked whole in a code
    ("110101 19900307 7775", "1101**********7775"),
    ("１３８１２３４５６７８", "138****5678"),
    ("430223900101123", "4302*******1123"),
    ("430223-900101-123", "4302*******1123"),  # an old ID in groups: free text would leave it
    (" e12345678 ", "E*******8"),
    ("YY0101", "YY0101"),
    ("999", "999"),
])
def test_a_refused_code_is_masked_whole_when_it_has_an_id_or_phone_shape(code: str, shown: str) -> None:
    """Tried: codes a kiosk refuses, as an ID card reader or a citizen's typing gives them. Kept:
    an ID's or a phone's shape is masked whole whatever its digits say (the kiosk's check-in had
    its own copy of this rule, and a spaced one showed in clear), a booking code as typed."""
    assert mask_code(code) == shown
