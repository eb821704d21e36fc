"""The speaker rule: words, taps and voices in, utterances out (no engine, no audio)."""

from dataclasses import dataclass

import numpy as np
import pytest

from transcribe.types import Word
from transcribe.utterances import marker_target
from transcribe.utterances import snap_taps
from transcribe.utterances import unsure_words
from transcribe.utterances import utterances


def speech(*turns, gap_ms=400, word_ms=300, start_ms=0):
    """Words for turns of ("who", "text") with word_ms per word and gap_ms between turns.

    Returns (words, truth) where truth is [(start_ms, end_ms, who)].
    """
    words, truth, t = [], [], start_ms
    for who, text in turns:
        begin = t
        for w in text.split():
            words.append(Word(t, t + word_ms - 40, w, 0.9))
            t += word_ms
        truth.append((begin, t - 40, who))
        t += gap_ms
    return words, truth


@dataclass
class Frames:
    """VoiceFrames' shape: a window every step_ms, each voice a fixed direction plus noise."""

    centers_ms: np.ndarray
    vectors: np.ndarray
    window_ms: int = 1600

    def __len__(self):
        return len(self.centers_ms)


def frames_for(truth, seed=0, step_ms=400, dims=32, noise=0.25):
    rng = np.random.default_rng(seed)
    voice = {}
    centers, vectors = [], []
    for start, end, who in truth:
        if who not in voice:
            voice[who] = rng.normal(size=dims)
        for c in range(start + 400, end - 399, step_ms):
            v = voice[who] / np.linalg.norm(voice[who]) + rng.normal(scale=noise / np.sqrt(dims), size=dims)
            centers.append(c)
            vectors.append(v / np.linalg.norm(v))
    order = np.argsort(centers)
    return Frames(np.array(centers)[order], np.array(vectors, dtype=np.float32)[order])


def speaker_of(us, ms):
    for u in us:
        if u.start_ms <= ms <= u.end_ms:
            return u.speaker
    return "uncovered"


def right_share(us, truth):
    right = total = 0
    for start, end, who in truth:
        for ms in range(start, end, 50):
            total += 1
            right += speaker_of(us, ms) == who
    return right / total


TURNS = [
    ("parent", "we would like fifteen hours a week of one to one support please"),
    ("senco", "that is not something the school can fund from its own budget I am afraid"),
    ("la", "it would be for the panel to decide whether that goes in the plan"),
    ("parent", "can you put that refusal in writing with the reasons"),
    ("senco", "yes I will send a letter by next Friday"),
    ("la", "and I will take the request to the panel on the twelfth"),
]


def test_a_tap_300_ms_late_names_the_words_it_was_late_for():
    words, truth = speech(*TURNS)
    taps = [(start + 300, who) for start, _, who in truth]
    us = utterances(words, taps)
    assert right_share(us, truth) == 1.0
    assert [u.speaker for u in us] == [who for _, _, who in truth]
    assert all(u.how == "tapped" for u in us)


def test_a_segment_spanning_two_taps_is_split_at_the_word_gap():
    # quick turn-taking: 150 ms between turns, taps 450 ms late, one engine segment's worth of words
    words, truth = speech(TURNS[0], TURNS[1], gap_ms=150)
    taps = [(truth[0][0] + 450, "parent"), (truth[1][0] + 450, "senco")]
    us = utterances(words, taps)
    assert [u.speaker for u in us] == ["parent", "senco"]
    assert us[1].text.startswith("that is not")
    assert us[0].text.endswith("please")


def test_taps_snap_back_to_the_gap_not_past_it():
    words, truth = speech(TURNS[0], TURNS[1])
    snapped = snap_taps(words, [(truth[1][0] + 300, "senco")])
    assert truth[0][1] <= snapped[0][0] <= truth[1][0]


def test_words_before_the_first_tap_are_not_identified():
    words, truth = speech(*TURNS[:2])
    us = utterances(words, [(truth[1][0] + 300, "senco")])
    assert us[0].speaker is None and us[0].how == "unknown"
    assert us[1].speaker == "senco"


def test_voices_fill_turns_nobody_tapped():
    words, truth = speech(*(TURNS * 3))
    frames = frames_for(truth)
    # only the first three turns are tapped; the voices carry the rest
    taps = [(start + 300, who) for start, _, who in truth[:3]]
    with_voice = utterances(words, taps, voices=frames)
    taps_only = utterances(words, taps)
    assert right_share(with_voice, truth) > 0.95
    assert right_share(taps_only, truth) < 0.5
    assert any(u.how == "voice" and u.confidence and u.confidence > 0.5 for u in with_voice)


def test_an_unknown_voice_is_not_given_to_the_last_person_tapped():
    turns = TURNS[:2] + [("visitor", "hello I am from the outreach team and I have some thoughts on the plan today")]
    words, truth = speech(*(turns * 2))
    frames = frames_for(truth, seed=3)
    taps = [(start + 300, who) for start, _, who in truth if who != "visitor"]
    us = utterances(words, taps, voices=frames)
    visitor = [u for u in us if u.text.startswith("hello")]
    assert len(visitor) == 2
    assert all(u.speaker is None and u.voice is not None for u in visitor)
    assert visitor[0].voice == visitor[1].voice  # one voice, to name in one go
    assert visitor[0].voice not in {u.voice for u in us if u.speaker is not None}


def test_a_tap_wins_over_the_voice_but_is_flagged():
    words, truth = speech(*TURNS[:3])
    frames = frames_for(truth)
    taps = [(truth[0][0] + 300, "parent"), (truth[1][0] + 300, "la"), (truth[2][0] + 300, "la")]
    # "la" tapped for the SENCO's turn: its first words stay "la" (the tap wins)
    us = utterances(words, taps, voices=frames)
    second = next(u for u in us if u.text.startswith("that is not"))
    assert second.speaker == "la"
    assert second.how == "tapped"


def test_edits_win_over_taps_and_voices():
    words, truth = speech(*TURNS[:3])
    taps = [(start + 300, who) for start, _, who in truth]
    s, e, _ = truth[1]
    us = utterances(words, taps, edits=[(s - 100, e + 100, "head")])
    second = next(u for u in us if u.text.startswith("that is not"))
    assert second.speaker == "head" and second.how == "edited"
    assert us[0].speaker == "parent" and us[-1].speaker == "la"


def test_long_pauses_cut_utterances_of_one_speaker():
    words, truth = speech(("senco", "first point about reading"), ("senco", "second point about maths"), gap_ms=2500)
    us = utterances(words, [(300, "senco")])
    assert len(us) == 2 and all(u.speaker == "senco" for u in us)


def test_agenda_items_follow_the_utterance():
    words, truth = speech(*TURNS[:3])
    taps = [(start + 300, who) for start, _, who in truth]
    us = utterances(words, taps, agenda=[(0, "intro"), (truth[2][0] + 2000, "plan")])
    assert [u.agenda_item for u in us] == ["intro", "intro", "plan"]


@pytest.mark.parametrize("late_ms", [2000, 3500, 5000])
def test_a_marker_points_at_the_words_just_said_not_the_next_speaker(late_ms):
    words, truth = speech(*TURNS, gap_ms=300)
    taps = [(start + 300, who) for start, _, who in truth]
    us = utterances(words, taps)
    refusal_end = truth[1][1]
    i = marker_target(us, refusal_end + late_ms)
    assert us[i].speaker == "senco"
    assert "budget" in us[i].text


def test_a_marker_during_a_long_utterance_points_at_it():
    long = ("senco", TURNS[1][1] + " and " + TURNS[2][1])
    words, truth = speech(TURNS[0], long)
    us = utterances(words, [(start + 300, who) for start, _, who in truth])
    i = marker_target(us, truth[1][0] + 7500)
    assert us[i].speaker == "senco"


def test_unsure_numbers_and_names_are_flagged():
    words = [Word(0, 300, "We'll", 0.9), Word(300, 600, "offer", 0.9), Word(600, 900, "50", 0.4),
             Word(900, 1200, "hours", 0.95), Word(1200, 1500, "with", 0.3), Word(1500, 1800, "Aisha.", 0.35)]
    assert unsure_words(words) == (2, 5)


def test_no_words_no_utterances():
    assert utterances([], [(0, "parent")]) == []


def test_a_sentence_is_one_persons_even_where_the_voice_changes_late():
    turns = [("senco", "That is not something the school can fund from its budget."),
             ("la", "It would be for the panel to decide next month."),
             ("senco", "We can look at it again at the review in July."),
             ("la", "And I will write to you about the panel by Friday.")] * 2
    words, truth = speech(*turns, gap_ms=60)
    # no pause between turns, and the voices hear each change of speaker three words late
    late = [(start + (900 if i else 0), end, who) for i, (start, end, who) in enumerate(truth)]
    frames = frames_for(late, noise=0.1)
    taps = [(truth[0][0] + 300, "senco"), (truth[1][0] + 300, "la")]
    us = utterances(words, taps, voices=frames)
    # test that every utterance is whole sentences by one person: none starts inside a sentence
    for u in us:
        assert u.text[0].isupper(), [(x.speaker, x.text) for x in us]
    assert right_share(us, truth) == 1.0
