from common.masking import mask_id_number, mask_name, mask_phone, mask_text


def test_id_numbers_phones_and_names_are_masked():
    assert mask_id_number("210202197805120232") == "2102**********0232"
    assert mask_phone("13904110011") == "139****0011"
    assert mask_name("欧阳娜娜") == "欧***"


def test_free_text_is_masked_wherever_a_number_appears():
    text = "paid for 21020219780512023X by 13904110011, ref GJ20261124000000000001"

    masked = mask_text(text)

    assert "21020219780512023X" not in masked
    assert "2102**********023X" in masked
    assert "139****0011" in masked
    assert "GJ20261124000000000001" in masked
