"""Sentence splitting: spans cover the text exactly; danda, initials, quotes, credits."""

from __future__ import annotations

import pytest

from khabar.corpus.sentences import split_sentences


def test_sentences_cover_text_exactly(seed_articles):
    for art in seed_articles:
        prev_end = 0
        for s, e in art.sentences:
            assert prev_end <= s < e <= len(art.text)
            assert art.text[s:e] == art.text[s:e].strip()
            prev_end = e
        # Every non-space character is inside some sentence.
        covered = set()
        for s, e in art.sentences:
            covered.update(range(s, e))
        assert all(ch.isspace() for i, ch in enumerate(art.text) if i not in covered)


@pytest.mark.parametrize(
    "para,expected",
    [
        ("डॉ. एस. जयशंकर सोमवार को पहुंचे। वे बोले।", ["डॉ. एस. जयशंकर सोमवार को पहुंचे।", "वे बोले।"]),
        (
            "व्यापार 2024-25 में 65 अरब डॉलर रहा. अब आगे?",
            ["व्यापार 2024-25 में 65 अरब डॉलर रहा.", "अब आगे?"],
        ),
        ("कहा, ‘‘ बातचीत सार्थक रही ।’’ उन्होंने कहा।", ["कहा, ‘‘ बातचीत सार्थक रही ।’’", "उन्होंने कहा।"]),
        ("लिखा, 'पहला वाक्य. दूसरा वाक्य.' फिर", ["लिखा, 'पहला वाक्य.", "दूसरा वाक्य.'", "फिर"]),
        ('उसने कहा, "सोमवार को वार्ता होगी।" यह बैठक', ['उसने कहा, "सोमवार को वार्ता होगी।"', "यह बैठक"]),
        ("गया। (भाषा/पीटीआई)", ["गया। (भाषा/पीटीआई)"]),
        (
            "Dr. S. Jaishankar met FM Lavrov. pic.twitter.com/x1 ok",
            ["Dr. S. Jaishankar met FM Lavrov.", "pic.twitter.com/x1 ok"],
        ),
        ("हुए हैं ।हमने बात की", ["हुए हैं ।", "हमने बात की"]),
    ],
)
def test_split_sentences(para, expected):
    assert [para[s:e] for s, e in split_sentences(para)] == expected
