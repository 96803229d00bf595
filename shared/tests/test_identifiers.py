"""NIK, No. KK, NOP and NIB validation, and NIK masking."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from cimahi_shared.identifiers import (
    NIB,
    NIK,
    NOP,
    NoKK,
    format_nop,
    mask_nik,
    nik_birth_date,
)

nik = TypeAdapter(NIK)
no_kk = TypeAdapter(NoKK)
nop = TypeAdapter(NOP)
nib = TypeAdapter(NIB)


class TestNik:
    def test_a_cimahi_man_born_12_march_1990_is_valid(self) -> None:
        assert nik.validate_python("3277011203900001") == "3277011203900001"

    def test_a_woman_has_40_added_to_the_birth_day(self) -> None:
        assert nik.validate_python("3277015203900002") == "3277015203900002"

    def test_a_nik_from_outside_cimahi_is_accepted(self) -> None:
        assert nik.validate_python("3171011203900001") == "3171011203900001"

    def test_surrounding_spaces_are_stripped(self) -> None:
        assert nik.validate_python(" 3277011203900001 ") == "3277011203900001"

    def test_an_integer_is_accepted(self) -> None:
        assert nik.validate_python(3277011203900001) == "3277011203900001"

    @pytest.mark.parametrize(
        "value",
        ["327701120390001", "32770112039000011", "32770112039O0001", "3277-0112-0390-0001", ""],
    )
    def test_anything_but_16_digits_is_refused(self, value: str) -> None:
        with pytest.raises(ValidationError, match="16 digits"):
            nik.validate_python(value)

    def test_an_unknown_province_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="province"):
            nik.validate_python("9977011203900001")

    def test_a_regency_code_00_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="regency"):
            nik.validate_python("3200011203900001")

    @pytest.mark.parametrize(
        "value",
        [
            "3277013102900001",  # 31 February
            "3277010003900001",  # day 0
            "3277011213900001",  # month 13
            "3277011200900001",  # month 0
            "3277017203900001",  # woman, day 72 - 40 = 32
            "3277014003900001",  # day 40: neither a man's nor a woman's day
            "3277012902010001",  # 29 February 2001 / 1901
        ],
    )
    def test_a_birth_date_that_does_not_exist_is_refused(self, value: str) -> None:
        with pytest.raises(ValidationError, match="birth date"):
            nik.validate_python(value)

    def test_29_february_of_a_leap_year_is_valid(self) -> None:
        assert nik.validate_python("3277012902000001")
        assert nik.validate_python("3277016902960001")  # woman, 29 February 1996

    def test_serial_0000_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="0000"):
            nik.validate_python("3277011203900000")

    def test_a_model_field_reports_the_nik_error(self) -> None:
        class Form(BaseModel):
            nik: NIK

        with pytest.raises(ValidationError) as info:
            Form(nik="1234")
        assert info.value.errors()[0]["loc"] == ("nik",)


class TestNikBirthDate:
    def test_a_man_s_birth_date(self) -> None:
        assert nik_birth_date("3277011203900001") == date(1990, 3, 12)

    def test_a_woman_s_birth_date(self) -> None:
        assert nik_birth_date("3277015203900002") == date(1990, 3, 12)

    def test_a_recent_two_digit_year_is_in_this_century(self) -> None:
        assert nik_birth_date("3277010101150001", today=date(2026, 1, 1)) == date(2015, 1, 1)

    def test_a_date_later_this_year_is_last_century(self) -> None:
        # Born 1 December: in 2026-06 a "26" year cannot be 2026 yet.
        assert nik_birth_date("3277010112260001", today=date(2026, 6, 1)) == date(1926, 12, 1)


class TestNoKK:
    def test_a_cimahi_family_card_number_is_valid(self) -> None:
        assert no_kk.validate_python("3277012345678901") == "3277012345678901"

    def test_fifteen_digits_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="16 digits"):
            no_kk.validate_python("327701234567890")

    def test_an_unknown_province_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="province"):
            no_kk.validate_python("9977012345678901")


class TestNop:
    def test_the_display_form_is_accepted_and_normalised(self) -> None:
        assert nop.validate_python("32.77.010.001.001-0001.0") == "327701000100100010"

    def test_bare_digits_are_accepted(self) -> None:
        assert nop.validate_python("327701000100100017") == "327701000100100017"

    @pytest.mark.parametrize("last", ["0", "7", "9"])
    def test_object_type_0_7_or_9_is_accepted(self, last: str) -> None:
        assert nop.validate_python("32770100010010001" + last)

    @pytest.mark.parametrize("last", ["1", "5", "8"])
    def test_another_object_type_is_refused(self, last: str) -> None:
        with pytest.raises(ValidationError, match="0, 7 or 9"):
            nop.validate_python("32770100010010001" + last)

    def test_a_nop_outside_cimahi_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="3277"):
            nop.validate_python("32.73.010.001.001-0001.0")

    def test_seventeen_digits_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="18 digits"):
            nop.validate_python("32770100010010001")

    def test_format_nop_round_trips(self) -> None:
        assert format_nop("327701000100100010") == "32.77.010.001.001-0001.0"
        assert nop.validate_python(format_nop("327701000100100019")) == "327701000100100019"


class TestNib:
    def test_thirteen_digits_are_valid(self) -> None:
        assert nib.validate_python("9120001234567") == "9120001234567"

    @pytest.mark.parametrize("value", ["912000123456", "91200012345678", "912000123456A"])
    def test_anything_else_is_refused(self, value: str) -> None:
        with pytest.raises(ValidationError, match="13 digits"):
            nib.validate_python(value)


class TestMaskNik:
    def test_the_middle_eight_digits_are_hidden(self) -> None:
        assert mask_nik("3277011203900001") == "3277********0001"

    def test_a_value_of_another_length_is_hidden_entirely(self) -> None:
        assert mask_nik("12345") == "*****"
