"""Reading published CoNLL corpora: types mapped onto the schema, unknown ones counted."""

from __future__ import annotations

import pytest

from khabar.dataset.conll import parse_tag_map, read_conll


def test_read_conll_maps_types_and_reports_unknown_ones(schema, tmp_path):
    f = tmp_path / "x.conll"
    f.write_text(
        "# id = 1\nअमरीकी\tB-ORGANIZATION\nसेना\tI-ORGANIZATION\nमें\tO\n\n"
        "विलियम\tB-PERSON\n2003\tB-NETI\nदिल्ली\t-NEL\n", encoding="utf-8"
    )  # fmt: skip
    sents, dropped = read_conll(f, parse_tag_map("ORGANIZATION=ORG, PERSON=PER"),
                                schema.entity_names)  # fmt: skip
    assert sents == [(["अमरीकी", "सेना", "में"], ["B-ORG", "I-ORG", "O"]),
                     (["विलियम", "2003", "दिल्ली"], ["B-PER", "O", "O"])]  # fmt: skip
    assert dropped == {"B-NETI": 1, "-NEL": 1}
    with pytest.raises(ValueError, match="not entity types"):
        read_conll(f, {"PERSON": "HUMAN"}, schema.entity_names)
    with pytest.raises(ValueError, match="SOURCE=TARGET"):
        parse_tag_map("PERSON")
