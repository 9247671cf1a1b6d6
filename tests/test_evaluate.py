from assistant.evaluate import cer, normalize_words, number_words, wer


def test_normalization():
    assert normalize_words("Mr. John's 21 Lego-blocks!") == ["mister", "john's", "twenty", "one", "lego", "blocks"]
    assert number_words(105) == "one hundred five"
    assert number_words(2026) == "two thousand twenty six"


def test_wer_counts_substitutions_insertions_deletions():
    assert wer(["a b c d"], ["a b c d"]) == 0
    assert wer(["a b c d"], ["a x c"]) == 0.5  # one substitution, one deletion
    assert wer(["a b", "c d"], ["a b e", "c d"]) == 0.25  # one insertion over four words


def test_cer_ignores_where_words_are_split():
    # the Korean model writes morphemes apart: "그림을" comes out as "그림 을"
    assert cer(["저는 그림을 좋아해요"], ["저 는 그림 을 좋아 해요"]) == 0
    assert wer(["저는 그림을 좋아해요"], ["저 는 그림 을 좋아 해요"]) > 1
    assert cer(["저는 그림을"], ["저는 그림"]) == 0.2  # one of five syllables missing
    assert cer(["ab, cd!"], ["ab cx"]) == 0.25


def test_spanish_error_rates_agree_on_accents_marks_and_digits():
    # Whisper writes digits and drops or adds accents; the reference spells numbers out
    assert wer(["Tengo diez años y mi hermana tiene veintiuno."], ["tengo 10 años y mi hermana tiene 21"], "es") == 0
    assert wer(["¿Más despacio, por favor?"], ["mas despacio por favor"], "es") == 0
    assert wer(["Tengo un año"], ["tengo un ano"], "es") == 1 / 3  # ñ is a letter of its own: año is not ano
    assert wer(["diez"], ["10"], "en") == 1  # in English "10" is "ten"
    assert cer(["veintiún mil"], ["21000"], "es") == 0
    assert cer(["sí"], ["si"], "es") == 0 and cer(["sí"], ["si"], "en") == 0.5
