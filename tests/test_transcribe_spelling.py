"""Names and terms spelled as the meeting spells them, with no word added, dropped or moved."""
from transcribe.spelling import respell
from transcribe.types import Word


def words(text):
    return [Word(i * 300, i * 300 + 250, w, 0.9) for i, w in enumerate(text.split())]


def test_near_miss_names_take_the_meetings_spelling():
    got = respell(words("I spoke to Mrs Claflan, and Dr Okonkwoh agreed."), ["Abigail Claflin", "Dr Ada Okonkwo"])
    assert " ".join(w.text for w in got) == "I spoke to Mrs Claflin, and Dr Okonkwo agreed."


def test_common_words_and_sentence_starts_are_left_alone():
    text = "Same again. Sammy said the same thing to Samuel, and Sammy agreed"
    got = respell(words(text), ["Sam Jones", "Sammi"])
    # "Same" starts a sentence, "same" is lower case, "Samuel" is not near enough: only the second Sammy changes
    assert " ".join(w.text for w in got) == "Same again. Sammy said the same thing to Samuel, and Sammi agreed"


def test_nothing_is_inserted_or_moved():
    original = words("The EHCP review with Jonse is on Friday")
    got = respell(original, ["Mr Jones", "EHCP", "Education, Health and Care Plan"])
    assert len(got) == len(original)
    assert [(w.start_ms, w.end_ms, w.probability) for w in got] == [(w.start_ms, w.end_ms, w.probability) for w in original]
    assert [w.text for w in got][4] == "Jones"
