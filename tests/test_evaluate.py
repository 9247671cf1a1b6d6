from assistant.evaluate import normalize_words, number_words, wer


def test_normalization():
    assert normalize_words("Mr. John's 21 Lego-blocks!") == ["mister", "john's", "twenty", "one", "lego", "blocks"]
    assert number_words(105) == "one hundred five"
    assert number_words(2026) == "two thousand twenty six"


def test_wer_counts_substitutions_insertions_deletions():
    assert wer(["a b c d"], ["a b c d"]) == 0
    assert wer(["a b c d"], ["a x c"]) == 0.5  # one substitution, one deletion
    assert wer(["a b", "c d"], ["a b e", "c d"]) == 0.25  # one insertion over four words
