from analysis.text import analyse


def test_counts_words_sentences_and_top_words():
    result = analyse("The cat sat. The cat ran! Did the dog? No.")
    assert result["words"] == 10
    assert result["unique_words"] == 7
    assert result["sentences"] == 4
    assert result["top_words"][:2] == [["the", 3], ["cat", 2]]
    assert result["characters"] == len("The cat sat. The cat ran! Did the dog? No.")


def test_keeps_apostrophes_and_ignores_digits_and_punctuation():
    result = analyse("It's 42 o'clock -- isn't it?")
    assert result["words"] == 4
    assert [w for w, _ in result["top_words"]] == ["it's", "o'clock", "isn't", "it"]


def test_text_without_terminator_is_one_sentence_and_empty_text_is_zero():
    assert analyse("just words")["sentences"] == 1
    empty = analyse("   ")
    assert (empty["words"], empty["sentences"], empty["average_word_length"]) == (0, 0, 0.0)


def test_is_deterministic():
    text = "alpha beta gamma beta alpha alpha"
    assert analyse(text) == analyse(text)
    assert analyse(text)["top_words"] == [["alpha", 3], ["beta", 2], ["gamma", 1]]
