from audiofn.captions import align_written_words


def test_misheard_words_show_as_written_at_their_place():
    heard = [("Good", 0.0, 0.3), ("morning", 0.3, 0.7), ("Nada", 0.8, 1.2), ("bye", 1.3, 1.5)]

    timed = align_written_words("Good morning, Ada. Bye!", heard)

    assert [w for w, _, _ in timed] == ["Good", "morning,", "Ada.", "Bye!"]
    assert timed[2][1:] == (0.8, 1.2)


def test_markup_is_not_captioned():
    heard = [("One", 0.0, 0.2), ("two", 1.2, 1.4)]

    timed = align_written_words('<speak>One <break time="1s"/> two</speak>', heard)

    assert [w for w, _, _ in timed] == ["One", "two"]


def test_unheard_words_are_kept():
    timed = align_written_words("alpha beta gamma", [("alpha", 0.0, 0.4), ("gamma", 0.9, 1.3)])

    assert [w for w, _, _ in timed] == ["alpha", "beta", "gamma"]


def test_matched_words_keep_their_own_timings():
    heard = [("Good", 0.65, 0.8), ("morning", 0.9, 1.3), ("Ada,", 1.9, 2.2)]

    timed = align_written_words("Good morning Ada,", heard)

    assert timed == heard
