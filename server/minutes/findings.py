"""Find, in what was said, the points the minutes must carry.

Each utterance (one speaker's words, from :mod:`server.attribution`) is cut
into sentences, and a long sentence into clauses; the phrase rules in
``server/data/<jurisdiction>/suggestions.json`` then find, per sentence:

* **refusals**, hedged and passed-on ones too ("that would have to go to
  panel", "it isn't in our gift"), with the reason given (budget, staffing,
  a decision for someone else, the evidence, policy) from the words of the
  sentence or its neighbours;
* **commitments**: who will do what, by when. The owner is the speaker for
  "I'll"/"we'll", an attendee named as the subject ("Priya will send…"), or
  a body ("the council will write…": the attendee who speaks for it, else the
  body); the due date is resolved from the words (:mod:`.when`). A summary
  that lists several actions gives one finding per action;
* **offers** (a counter-offer is not an agreement), **agreements** to the
  parent's side's requests, the parent's **requests** and **questions**;
* **dates** and **amounts** (for the review only).

Every finding quotes its own words verbatim (the sentence or clause that
matched, never the whole utterance) and is said by its utterance's speaker.
Nothing here invents a person, a date or a number: a person comes from the
attribution or a name said in the words, a date from the words.
"""
import collections
import dataclasses
import functools
import hashlib
import re
import threading

from .. import rules
from . import learned
from .when import Due, day_named, event_asked, event_dates, resolve

QUESTION_MIN_WORDS = 6
# the kinds the draft minutes carry (dates and amounts are offered on the review page only)
IN_DRAFT = ("refusal", "commitment", "offer", "agreement", "request", "question")
LONG_SENTENCE_WORDS = 35
# the points the minutes carry as such; one whose words the transcription heard with a mean probability under
# HEARD_MIN is left out (bench/README.md: 15 of 218 false points through tiny.en, 3 of 1,703 true ones)
POINT_KINDS = ("refusal", "commitment", "offer", "agreement")
HEARD_MIN = 0.5
# two refusals by one person in one utterance are one when at most this many sentences come between them (its
# reasons: "No. She's not changing schools in Year 11. Six months before her exams? New teachers? I'm not doing a
# managed move."), and the words from the first to the end of the second are no more than REFUSAL_WORDS (on 213
# meetings, two sentences between rather than one: 13 false points fewer, one refusal lost)
REFUSAL_GAP = 2
REFUSAL_WORDS = 70
RUN_ON_WORDS = 6  # a transcription's run-on sentence splits at a comma with at least this many words either side
LIST_WORDS = 12  # the longest list of things between a promise and its date said alone
BETWEEN_WORDS = 16  # the most words said between a promise and its date said alone, neither promising nor dating
CONTRACTIONS = {
    "cant": "can't", "wont": "won't", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't",
    "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "wouldnt": "wouldn't", "couldnt": "couldn't",
    "shouldnt": "shouldn't", "havent": "haven't", "hasnt": "hasn't", "thats": "that's", "theres": "there's",
    "im": "i'm", "ive": "i've", "youre": "you're", "theyre": "they're", "weve": "we've", "itll": "it'll",
    "thatll": "that'll", "youll": "you'll", "theyll": "they'll", "shes": "she's", "hes": "he's",
    "whats": "what's", "lets": "let's",
    # as people say them and the transcription writes them: "I'm not gonna let him…" is "not going to"
    "gonna": "going to", "wanna": "want to", "gotta": "got to",
}
# a full stop after a title ("Mrs. Nunn", "Dr. Levy", as the transcription writes them) ends no sentence
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\bmr\.)(?<!\bms\.)(?<!\bdr\.)(?<!\bst\.)(?<!\bmrs\.)(?<!\bprof\.)"
                           r"(?<!\b[a-z]\.[a-z]\.)"  # "a modified P.E. plan"
                           r"[\"”’')]?\s+", re.IGNORECASE)
# clause breaks: a semicolon, "but", ", and"/", so"/", then", and "and" before a new subject with "will"
_CONTINUATION = ("send|share|email|write|call|ring|arrange|set up|book|update|add|include|put|chase|check|"
                 "speak|talk|ask|refer|request|submit|take|bring|visit|observe|review|meet|draft|prepare|"
                 "complete|provide|give|let|copy|forward|circulate|pass|raise|record|log|invite|confirm|make")
# what someone is doing that is a task to be done ("he's putting the key idea to Mr. Dyson by Friday")
_TASK_ING = ("taking|sending|putting|booking|ringing|calling|emailing|writing|bringing|chasing|sorting|arranging|"
             "organising|organizing|updating|printing")
_CLAUSE = re.compile(
    r";\s+|,?\s+but\s+|,\s+(?:and|so|then|and then)\s+"
    r"|\s+and\s+(?=(?:[Ii]|[Ww]e|[Yy]ou|[Tt]hey|[Hh]e|[Ss]he|[A-Z][a-z]+)(?:'ll|’ll|\s+will)\b)"
    # a comma where a full stop was heard: "I'll be honest, I don't know, I'll find out and let you know"
    r"|,\s+(?=(?:I|[Ww]e)(?:'ll|’ll|\s+will)\b)"
    # a recap's next action by the one just named: "Gareth's taking the late marks off today, he's putting…"
    rf"|,\s+(?=(?:[Hh]e|[Ss]he)(?:'s|’s|\s+is)\s+(?:{_TASK_ING})\s)"
    rf"|(?<!\bcome)(?<!\bgo)(?<!\btry)\s+and\s+(?=(?:then\s+)?(?:{_CONTINUATION})\b)")
# a sentence that is nothing but assent ("That's fine.", "Okay.", "Yes, of course.")
_BARE_OK = re.compile(r"^(?:(?:yes|yeah|yep|okay|ok|right|sure|oh|well|no|of course|absolutely),? )*(?:(?:that's|that is|it's|"
                      r"that'll be|that should be) )?(?:all )?(?:fine|fair|ok|okay|good|great|yes|yeah|yep|sure|right|"
                      r"lovely|perfect|no problem|of course|absolutely|fair enough|no worries)[.!]?$")
_BARE_ASSENT = re.compile(r"^(?:yes|yeah|yep|sure|ok|okay|right|fine)[.!]?$")
# "Yeah, I can do that." in reply to what was asked says yes to it: an agreement (what it agrees to is the request),
# not a promise with no words of its own
_YES_I_CAN_DO_THAT = re.compile(r"^(?:(?:yes|yeah|yep|sure|absolutely|of course|course|okay|ok|right|fine|definitely|"
                          r"no problem|oh)[,.!]? )*(?:i|we) (?:can|could) (?:do|manage|sort|arrange|organise|organize) "
                          r"(?:that|this|it)(?: (?:for you|no problem|easily|yes|yeah|too|as well))?[.!]?$")
# a question that asks for something ("Can you send it?", "Is it possible to move PE?"), not how things are
# ("Would he need a diagnosis for that?"): a bare "no" to it refuses
_ASKS = re.compile(r"^(?:and |but |so |then |okay,? |well,? )*(?:(?:can|could|will|would|can't|couldn't|won't|wouldn't)"
                   r"(?: you| we| the school| school| the la| the district| they| somebody| someone)(?: just)?\b"
                   r"|(?:can|could) (?:he|she|they) (?:have|get|go|do|start|use|sit|take|be given|keep|stay|join)\b"
                   r"|(?:is|would) it (?:be )?possible\b|is there any (?:way|chance)\b|any chance\b)")
_SUBORDINATE = re.compile(r"(?:once|when|whenever|if|as soon as|after|before|until|unless)\b", re.IGNORECASE)
_PROCEDURAL_QUESTION = re.compile(
    r"^(?:can|could|may) (?:i|we) (?:just )?(?:add|say|ask|come in|check|start|move on|have a (?:break|minute))\b"
    r"|^(?:shall|should) we\b|^(?:is|are) (?:everyone|we all)\b|^(?:any|anything) (?:other|else)\b|^sorry\b"
    # the call itself: "Can you hear us okay?", "Are you still there?"
    r"|^(?:can|could) you (?:hear|see) (?:me|us)\b|^are you (?:still )?(?:there|with us)\b")


# what a reply goes on with after a bare "yes" that only heard the question: an account, a no, a thought
_GOES_ON = re.compile(r"^(?:so\b|um\b|uh\b|well\b|no,|no[.!]?$|but\b|honestly\b|(?:i'll|i'm going to|i'm gonna|let me) be "
                      r"(?:honest|straight|frank)\b|to be (?:honest|fair)\b|let me think\b|i (?:see|hear|know|get) "
                      r"(?:it|that|you|what)\b)")


# what a bare "yes" goes on to agree to, in a few words of its own: "Yes. The sixth is good.", "Fine. Thursdays, then."
_SAYS_WHAT = re.compile(r"^(?!(?:so|um|uh|well|because|but|and|no|i|we|you|he|she|they|it's|that's|can|could|"
                        r"will|would|what|when|where|how|why|is|are|do|does|did)\b)(?:[a-z0-9'-]+,? ){0,5}"
                        r"(?:(?:is|'s|are|'re|sounds|would be|'d be)(?: (?:really|very|absolutely))? "
                        r"(?:good|fine|great|perfect|lovely|brilliant|ok|okay|all right|alright|grand)"
                        r"|works|work|suits|then)[.!]?$")


# what the family goes on to after a "yes" that only heard: its own question, what it wants, why, how things are
_HEARD_THEN_GOES_ON = re.compile(r"^(?:so\b|um\b|uh\b|well\b|because\b|it (?:currently|says)\b|at the moment\b|"
                                 r"every (?:day|week|morning)\b|[^.!]*\?$)")


# "I'll send Ben the backup file, um, by Friday?": a promise said with a rising voice, not a question
_MY_PROMISE = re.compile(r"^(?:(?:and|so|okay|ok|um|uh|yeah|yes|then),? )*(?:i|we)(?:'ll| will) (?!(?:be|have|need|get "
                         r"back to you on)\b)[a-z]+ [a-z]")


def _assent_only(found):
    """Only rules marked ``bare`` (a reply that starts "yes", "yeah", "okay"…) read the words as agreeing."""
    return all(rule.get("bare") for rule, _ in found)


def _procedural(norm):
    """Meeting chat put as a question ("Can I just add one more thing?"), not a question about the child."""
    return _PROCEDURAL_QUESTION.search(norm) is not None and len(norm.split()) < 9


_FILLER = re.compile(r",?\s*\b(?:u+m+|u+h+|e+r+m*|h+m+|u+h+m+)\b,?(?=\s)"
                     # "I'll, you know, send it over", "we're not, like, able to": said between commas
                     r"|,\s*(?:you know|like|i mean|sort of|kind of)\s*,(?=\s)")
# "ill" is "I'll" where a sentence or clause starts with it ("ill send it over by friday")
_ILL = re.compile(r"(^|\b(?:and|so|then|but|okay|ok|yes|yeah|right|well|sure),? |[,.!?] )ill\b(?= [a-z])")
# "I raise it with her this week", "I ring the DP first thing tomorrow": the transcription often drops the "'ll" of a
# promise; "I" and an action with a day ahead of it, in a sentence with no habit or past in it, is "I'll"
_DROPPED_WILL = re.compile(
    r"(^|\b(?:and|so|then|but|okay|ok|yes|yeah|right|well|sure),? |[,;] )i (?=(?:ring|call|phone|email|send|raise|ask|"
    r"book|chase|write|check|speak|talk|sort|get|put|pass|bring|print|text|take|update|pop|drop|find|share|copy|"
    r"forward|let)\b)(?![^.?!]*\b(?:every|each|usually|always|normally|sometimes|often|yesterday|ago|last (?:week|"
    r"time|year|term|month)|when (?:he|she|they|i|we) (?:was|were|had))\b)(?=[^.?!]*\b(?:today|tonight|tomorrow|"
    r"this (?:week|afternoon|evening|morning)|next (?:week|monday|tuesday|wednesday|thursday|friday)|first thing|"
    r"by (?:monday|tuesday|wednesday|thursday|friday|the end of)|on (?:monday|tuesday|wednesday|thursday|friday)\b"
    r"(?! (?:and|or) \w+days)|after (?:half[- ]term|christmas|easter|the meeting))\b)")

# a false start said again ("I'll, I'll send it", "we're not- we're not in a position", "that's not, that's not"):
# the words once
_REPEAT = re.compile(r"\b([a-z']+(?: [a-z']+){0,2})(?:,|-|\.\.\.)? \1\b")
# a start given up and said again another way: "I'm not- she's not going in that room", "I wouldn't say- I just don't"
# (not a condition begun: "What if- I can keep her in my group" offers)
_RESTART = re.compile(r"(^|[.?!,;]\s+|\b(?:and|but|so|no|yeah|well|look|honestly)\s+)(?:[a-z']+\s){0,2}"
                      r"(?!(?:if|unless|when|because|once|as long as)-)[a-z']+-\s+"
                      # said again from its subject: "I'm not- she's not going", not "could we maybe- what about…"
                      r"(?=(?:i|we|he|she|they|you)(?:'m|'re|'s|'ll|'d|'ve)?\s)")


# "Mr Castillo, our behaviour specialist, will…": who someone is, said between the subject and the verb
# (not a clause of its own: "No, sorry, the school ones can't go home, it's the insurance")
_ASIDE = (r", (?:our|the|their|his|her|your|my) "
          r"(?:(?!n't\b| (?:is|are|was|were|will|can|does|do|has|have|go|goes) )[a-z' -]){2,40}?,")
_APPOSITIVE = re.compile(_ASIDE + r"(?= [a-z])")
# "Mrs Greer, our reading interventionist, she'll take him…": the pronoun after the aside is the person named
_RESUMED = re.compile(_ASIDE + r" (?:she|he|they)(?:'ll| will)\b")
# "We'll not bother with that.", "He'll not sit for that.": the north's "won't"
_LL_NOT = re.compile(r"\b(i|we|he|she|they|you|it|that)'ll not\b")


def normalise(text):
    """Lower-case, plain apostrophes, no "um"s, false starts or asides naming someone's job, and the apostrophe
    back in contractions the transcription wrote without one."""
    text = text.replace("’", "'").replace("‘", "'").lower()
    text = _LL_NOT.sub(r"\1 won't", _FILLER.sub("", text))
    for _ in range(3):  # "I, I, I will"
        text, n = _REPEAT.subn(r"\1", text)
        if not n:
            break
    text = _RESTART.sub(r"\1", text)
    text = _APPOSITIVE.sub("", _RESUMED.sub(" will", _DROPPED_WILL.sub(r"\1i'll ", _ILL.sub(r"\1i'll", text))))
    return re.sub(r"[a-z']+", lambda m: CONTRACTIONS.get(m.group(0), m.group(0)), text).strip()


@functools.cache
def ruleset(jurisdiction):
    """The jurisdiction's phrase rules, compiled once."""
    data = rules.load(f"{rules._check(jurisdiction)}/suggestions.json")
    order = {kind: i for i, kind in enumerate(data["order"])}
    compiled = [(r, re.compile(r["pattern"], re.IGNORECASE)) for r in data["rules"]]
    compiled.sort(key=lambda rc: order[rc[0]["kind"]])
    vetoes = [(v, re.compile(v["pattern"], re.IGNORECASE)) for v in data["vetoes"]]
    return {
        "data": data,
        "rules": compiled,
        "vetoes": vetoes,
        "reasons": [(r, re.compile(r["pattern"], re.IGNORECASE)) for r in data["reasons"]],
        "bodies": [(b, re.compile(b["pattern"], re.IGNORECASE)) for b in data["bodies"]],
        "parent_side": frozenset(data["parent_side"]),
        "kinds": data["kinds"],
        # "I'm not saying no to…": a sentence that says so refuses only in a clause of its own
        "not_refusing": next(p for v, p in vetoes if v["id"] == "not_refusing"),
    }


@dataclasses.dataclass
class Finding:
    """One point found in the words: what kind, whose, the words themselves, and when it is due."""

    kind: str
    segment: object  # the utterance (drafting.Segment)
    n: int  # the how-many-th finding of this kind in the utterance
    quote: str  # verbatim from segment.text
    offset: int  # where the quote starts in segment.text
    rule: dict
    matched: tuple  # (rule id, matched text) for every rule of this kind that matched
    who: str | None = None  # attendee id: who refused, owns the action, agreed, asked
    who_label: str | None = None  # a body when no attendee speaks for it ("the local authority")
    due: object = None  # when.Due
    reason: dict | None = None
    reply: object = None  # for a question: the next utterance by someone else

    @property
    def start_ms(self):
        return self.segment.start_ms

    @property
    def id(self):
        base = f"{self.segment.start_ms}:{self.kind}"
        return base if self.n == 0 else f"{base}:{self.n}"

    @property
    def said_by(self):
        return self.segment.speaker_id

    @property
    def unsure(self):
        """Words in the quote the transcription was unsure of (numbers, dates, names)."""
        out = []
        for word in self.segment.unsure:
            w = word.strip(".,;:!?")
            if w and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", self.quote) and w not in out:
                out.append(w)
        return tuple(out)


def sentences(text, heard=False):
    """Return the (start, end) of each sentence of text. heard: the words are a transcription's, which runs sentences
    on with commas; a long one is split where a full stop was heard."""
    out, start = [], 0
    split = _run_on if heard else lambda text, a, b: [(a, b)]
    for m in _SENTENCE_END.finditer(text):
        out.extend(split(text, start, m.start() + len(m.group(0).rstrip())))
        start = m.end()
    if start < len(text):
        out.extend(split(text, start, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


# a comma where a full stop was heard, before a new promise, offer or condition: the transcription runs sentences on
# ("…what the adults say and don't say, I'll get a draft to Nadia the week after, and if it's useful I could…")
_RUN_ON = re.compile(r",\s+(?:and\s+|so\s+)?(?=(?:I|[Ww]e)(?:'ll|’ll|\s+will|\s+can|\s+could)\b|if\b)")


def _run_on(text, start, end):
    """The sentences in text[start:end]: itself, or if it is long, its pieces split where it runs on."""
    if len(text[start:end].split()) <= LONG_SENTENCE_WORDS:
        return [(start, end)]
    out, at = [], start
    for m in _RUN_ON.finditer(text, start, end):
        if len(text[at:m.start()].split()) >= RUN_ON_WORDS and len(text[m.end():end].split()) >= RUN_ON_WORDS:
            out.append((at, m.start() + 1))
            at = m.end()
    return out + [(at, end)]


def clauses(text, start, end):
    """Return the (start, end) of each clause of the sentence text[start:end]."""
    out, at = [], start
    for m in _CLAUSE.finditer(text, start, end):
        if text[at:m.start()].strip():
            out.append((at, m.start()))
        at = m.end()
    if text[at:end].strip():
        out.append((at, end))
    # "once it's signed, we'll have it done by…": a clause that only sets the condition stays with its promise
    merged = []
    for a, b in out:
        if merged and _SUBORDINATE.match(text[merged[-1][0]:merged[-1][1]]) and text[merged[-1][1]:a].strip() == ",":
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _vetoed(rule, norm, rs, context=(), whole=False):
    # a rule marked "questions" fires on a question ("and where would that money come from?"); a veto with a
    # context stops a kind only there ("I'll take the afternoons" from the parent's side takes what was offered);
    # whole: only the vetoes that hold for every clause of the sentence ("sentence": true); a veto that "spares" a
    # context holds for no rule that needs it ("He won't be doing that." from the family says no for the child)
    return any(rule["kind"] in v["kinds"] and not (v["id"] == "question" and rule.get("questions")) and
               not (v.get("spares") and rule.get("context") == v["spares"]) and
               (not whole or v.get("sentence")) and
               (not v.get("context") or v["context"] in context) and
               (not v.get("not_context") or v["not_context"] not in context) and p.search(norm)
               for v, p in rs["vetoes"])


def match_kinds(norm, rs, context):
    """Return {kind: [(rule, matched text)]} for the rules that fire on one normalised sentence or clause."""
    found = {}
    for rule, pattern in rs["rules"]:
        need = rule.get("context")
        if need and need not in context:
            continue
        m = pattern.search(norm)
        if m and not _vetoed(rule, norm, rs, context):
            found.setdefault(rule["kind"], []).append((rule, m))
    return found


_TITLES = frozenset(("mr", "mrs", "ms", "miss", "dr", "coach"))  # "Coach Dunn", as US schools say
# a title as the words write it ("Mrs", "Dr."), longest first so "Mrs" is not read as "Mr"
_TITLE = "(?:" + "|".join(sorted((t.capitalize() for t in _TITLES), key=len, reverse=True)) + r")\.?"


@functools.cache
def _nicknames():
    """{given name: every form of it} from ``server/data/nicknames.json``."""
    out = {}
    for group in rules.load("nicknames.json")["groups"]:
        for name in group:
            out.setdefault(name, set()).update(group)
    return out


def _same_name(first):
    """A first name's other forms ("bernadette" -> {"bernie"}; "kev" -> {"kevin"}), not the name itself."""
    return _nicknames().get(first, set()) - {first}


def _name_index(attendees):
    """Lower-case full names, first names and surnames -> attendee id (a name two people share is left out)."""
    index, seen, short = {}, {}, {}
    for a in attendees.values():
        said = re.findall(r"[a-z][a-z'-]+", (a.name or "").lower())
        parts = [p for p in said if p not in _TITLES] or said  # "Dr Anjali Mistry": Anjali, Mistry
        keys = {" ".join(said), " ".join(parts)} | ({parts[0], parts[-1]} if parts else set())
        for key in keys - _TITLES:
            seen[key] = seen.get(key, 0) + 1
            index[key] = a.id
        if parts:
            # "Bernie's doing the letter": Bernadette Walsh; "Bernie Walsh" for "Bernadette Walsh" too
            forms = _same_name(parts[0])
            for key in forms | {f"{n} {parts[-1]}" for n in forms if len(parts) > 1}:
                short.setdefault(key, set()).add(a.id)
    out = {k: v for k, v in index.items() if seen[k] == 1}
    # a short form names its attendee when no one is called that and no one else's name has it ("Tina" is Tina
    # Brown, not Christine Lee)
    out.update({k: next(iter(ids)) for k, ids in short.items() if len(ids) == 1 and k not in index})
    # "Mum's sending the letter", "Mom signs the consent today": the parent, when one parent is here
    parents = [a.id for a in attendees.values() if a.role in ("parent", "second_parent")]
    if len(parents) == 1:
        for word in ("mum", "mom", "mother", "dad", "father", "mummy", "mommy", "daddy"):
            out.setdefault(word, parents[0])
    return out


_OWNER = re.compile(
    r"\b(?P<subj>(?:the |our )?[a-z][a-z'-]*(?: [a-z][a-z'-]*)?)(?:'ll| will| is going to|'s going to| are going to"
    r"|'re going to| am going to|'m going to| can have| can| could have| shall"
    r"|(?:'s| is|'re| are) (?:coming|seeing|visiting|sending|ringing|calling|writing|emailing|faxing|booking|booked)"
    # what someone said they would do: "her office said they'd fax it over"
    r"|(?<=\bthey)'d|(?<=\bshe)'d|(?<=\bhe)'d"
    # "the taxi firm said they're putting a regular driver on"
    r"|(?<=\bthey)(?:'re| are) (?!going\b)[a-z]+ing)\b")


# a sentence wholly in quotation marks: "'The resource base is at its commissioned capacity…'" read out
_READ_ALOUD = re.compile(r"""^\s*(?:(?:so|and|it says|quote),?\s+)?['"‘“].{12,}['"’”][.,!?]?\s*$""", re.IGNORECASE)
# an action's time given by pointing back at a date just said
_THEN = re.compile(r"\b(?:for that|for then|by then|then|at that point|on that day|that day|in time for (?:that|it)|"
                   # "I'm in next Thursday, and I'll test it while I'm here", "I'll put Riley's case on that agenda"
                   r"while (?:i'm|i am|we're|we are) (?:here|there|in)|(?:on|at|to) that (?:agenda|meeting|panel|visit|"
                   r"session|review|one))\b(?! (?:we|i|you|she|he|they)\b)")
# a promise to be at what was just arranged ("how about Wednesday the fourteenth?" "I'll dial in."): on that day
_ATTENDS = re.compile(r"^(?:(?:and|so|yes|yeah|yep|okay|ok|fine|right|then|oh|great|good|sure),? )*"
                      r"(?:i'll|i will|we'll|we will|i'm going to|we're going to|i can|[a-z]+ will|[a-z]+'ll|"
                      r"[a-z]+'s going to|[a-z]+ is going to) (?:definitely |also |absolutely |certainly |still |just )?"
                      r"(?:be there|come(?: along| in| back)?(?: (?:for|to) (?:that|it|this|the (?:meeting|review|"
                      r"visit|session|one)))?|dial in|call in|phone in|zoom in|join(?: (?:you|that|it|them|us))?|"
                      r"sit in(?: on (?:that|it|the (?:meeting|review|one)))?)"
                      r"(?: (?:one|again|too|as well|then|in person))*(?:,? (?:if (?:that's|that is) (?:alright|ok|"
                      r"okay|fine)|if i can|definitely))?[.!]?$")
# a recap starts: "Okay, let me read back what I've got", "So to sum up", "Let me just run through it"
_RECAP_CUE = re.compile(
    r"\blet me (?:just )?(?:try (?:and|to) )?(?:read|run|go|say)(?: it| that| them| those| the actions| it all)?"
    r"(?: back)?(?: through| over| back)\b|\blet me (?:just )?(?:try (?:and|to) )?(?:recap|summari[sz]e"
    r"|sum (?:it |that )?up|pull (?:it|this|that|everything|it all) (?:together|up)|go round (?:the )?actions"
    r"|list (?:the|what we've)\b)\b"
    r"|\b(?:so |just |okay,? )?to (?:recap|sum up|summari[sz]e)\b|\bin summary\b|\bwhat we've agreed(?:,)? (?:is|then)\b")
# a recap picked up again after someone corrects it: "Sorry, you're right.", "Three, sorry.", "The first, sorry."
RECAP_RESUMES = 3  # utterances
ANCHOR_LASTS = 3  # utterances a day named is what "the day after" counts from
_RECAP_RESUMED = re.compile(r"^(?:(?:oh|okay|ok|yes|yeah|right|no)[,.!]? )*(?:(?:[a-z'-]+,? ){0,3}[a-z'-]+[,.] )?"
                            r"(?:sorry|you're right|my mistake|my bad|apologies|good catch|fair enough|scratch that)\b")
# what a recap lists that is no action of anyone's: a question, a no said again, a thing still open or only offered,
# the talk itself
_RECAP_NOT = re.compile(r"\?\s*$|\b(?:no|not|nothing|won't|can't|cannot|isn't|aren't|don't|doesn't|thinking about|"
                        r"think about|maybe|might|perhaps|stop me|correct me|tell me|did i|have i|anything else|"
                        r"that's (?:it|everything|all)|i think|offered|if (?:you're|you are) (?:okay|happy)|thank you|"
                        r"thanks|cheers)\b"
                        # what was found or decided, not done: "It's a manifestation."
                        r"|^(?:so,? )?(?:it's|it is|that's|that is|this is|he's|she's|he is|she is) (?:a|an|not a)\b")
RECAP_ITEM_WORDS = (2, 30)
# an action said again to give its date ("I'll do that tomorrow")
_RESTATED = re.compile(r"^(?:and |so )?(?:i|we)(?:'ll| will| can) (?:(?:do|sort) (?:that|it|this|those|them|both)|"
                       # ("…and I'll have it all written up before spring break" is a second action)
                       r"(?:get|have) (?:that|it|this|those|both)(?! all\b| (?!done\b)[a-z]+(?:ed|en)\b)|"
                       # "I'll have them reply so I know…", "I'll get them to send the quote straight to the council" is
                       # another action, by other people ("I'll get them to you" hands them over)
                       r"(?:get|have) them(?! (?!done|sorted|ready|over|to\b(?! [a-z]+ (?:the|it|that|them|him|her|a|an|us|"
                       r"you|me|my|our|your|his|their|in|out|over|back|round)\b)|by|for|back|in|out|off)[a-z]+\b))"
                       r"(?: done| sorted| off| over)?\b")
# the same action again, its thing a pronoun ("…I'll get you her schedule, I'll email it to you tonight")
_BACK_REF = re.compile(r"^(?:and |so |then )?(?:i|we|he|she|they)(?:'ll| will| can)(?: just| also)? "
                       # "I'll let them know today" tells people, not the things just promised
                       r"(?!(?:let|tell|ask|remind|show|meet|call|ring|phone|email|text|message|contact|update|warn|"
                       r"invite|thank) them\b)[a-z]+ (?:(?:it|that|those|this|both|a copy|copies)\b|"
                       # "them" may be the things; "him" or "her" is a person, so "I'll call her tomorrow" is an action of
                       # its own
                       r"them\b(?! to\b))(?! (?:is|are|was|were|has|have)\b)")
# arranging what was just promised is a thing to do of its own: "I'll set it up with Mr. Greene", "I'll sort it
# with the office"
_SETS_UP = re.compile(r"^(?:and |so |then )?(?:i|we)(?:'ll| will| can)(?: just| also)? (?:set|sort|organi[sz]e|arrange|"
                      r"book|fix|square|clear|check|run) (?:it|that|this|those|them|both)(?: up| out)? "
                      r"(?:with|through|past|by)\b")
# what is done with the action just promised: "I'll copy you in", "I'll send that with it", "in the same email"
_ADD_ON = re.compile(r"^(?:and |so |then )?(?:i|we)(?:'ll| will)(?: also| just)? (?:copy (?:you|him|her|them|[a-z]+)"
                     r"(?: in)?|cc (?:you|him|her|them))\b|\b(?:with (?:it|that|them|the [a-z]+)|in the same "
                     r"(?:email|e-mail|letter|envelope|pack)|at the same time|along with (?:it|that|them))[.!]?$")
# "…I'll pull the bus referrals. You'll have that from me by the end of next week.": when the thing just promised
# reaches the family, so its date
_DELIVERED = re.compile(r"^(?:and |so |then )?you(?:'ll| will)(?: still)? (?:have|get) (?:it|that|them|those|both|"
                        r"the lot)(?: back)?(?: from (?:me|us))?\b(?! (?:is|are|was|were|has|have)\b)")
# "And the new support plan with the targets on, I'll send that with it": the thing named before the promise, not
# the one before
_FRONTED = re.compile(r"\b(?!(?:and|so|then|yes|yeah|okay|ok|right|well|um|uh|oh)\b)[a-z'-]+\b.*,\s*$", re.IGNORECASE)
_TITLED = re.compile(rf"\b{_TITLE} [A-Z][a-z'-]+")
# a first name and a surname, not where a sentence starts
# "Mark Ellison", not "Mark Ellison Smith" or "Mom I'll"
_NAME_PAIR = r"(?!I')[A-Z][a-z'-]+ (?!I')[A-Z][a-z'-]+\b(?! [A-Z])"
_FULL_NAME = re.compile(r"(?<=[a-z,] )" + _NAME_PAIR)  # mid-sentence, where only names are capitalised
_NOT_NAMES = frozenset("monday tuesday wednesday thursday friday saturday sunday january february march april may june "
                       "july august september october november december easter christmas year level key stage".split())
_TEAM = re.compile(r"\b(?:the|her|his|their) (?:[a-z'-]+ ){0,3}(?:team|service|panel|committee|board|therapists?|"
                   r"psychologists?|clinic|department|agency|firm|company|practice|surgery)\b"
                   r"|\b(?:her|his|their|[a-z'-]+'s) (?:[a-z'-]+ )?office\b")
# an outside organisation as the subject of a promise: "the endo's office is faxing…", "his ABA agency is sending…"
_OUTSIDE = frozenset("office agency firm company practice surgery clinic".split())


def _body_owner(body, attendees, speaker_id=None):
    """A body's promise belongs to the attendee who says it for the body they work for ("The district'll send you
    prior written notice", said by the principal), else to the one attendee who speaks for it, else to the body."""
    speaker = attendees.get(speaker_id)
    if speaker is not None and speaker.role in body.get("staff", body["roles"]):
        return speaker_id, None
    matching = [a for a in attendees.values() if a.role in body["roles"]]
    return (matching[0].id, None) if len(matching) == 1 else (None, body["label"])


_PARENT_WORD = re.compile(r"\b(?:mom|mum|mother|dad|father)\b", re.IGNORECASE)
_PARENT_HE = {"mom": "she", "mum": "she", "mother": "she", "dad": "he", "father": "he"}


# a sentence that starts with "she" or "he" doing something ("She'll hold him a seat.")
_LEAD_PRONOUN = re.compile(r"^(?:(?:and|but|so|then),? )?(she|he)"
                           r"(?:'ll| will|'s going to| is going to|'s booked| is booked|"
                           # a recap's "Gareth's taking the late marks off today, he's putting the key idea to…"
                           rf"(?:'s| is) (?:{_TASK_ING}))\b")
# someone named by their job first ("My manager's Lorraine, she'll…", "our OT is Jo")
_ROLE_NAMED = re.compile(r"\b(?:manager|colleague|boss|supervisor|teacher|therapist|worker|nurse|assistant|visitor|"
                         r"practitioner|physio|physiotherapist|dietitian|adviser|advisor|liaison|tutor|mentor|clinician|"
                         r"psychiatrist|"
                         r"coordinator|co-ordinator|lead|officer|psychologist|senco|secretary|name)(?:'s| is|,) "
                         r"(?!(?:Mr|Mrs|Ms|Miss|Dr)\b)(?P<name>[A-Z][a-z'-]+)\b"
                         # "Karen, the epilepsy nurse, is in on Tuesday", "Priya Sharma. She's the NHS therapist"
                         # (a name that starts the sentence, or follows a comma: not a word after another word)
                         # ("Oh, and Jo, the health visitor, she's…": after "and" too)
                         r"|(?:(?<=\b[Aa]nd )|(?<=\b[Ss]o )|(?<![A-Za-z'-] )(?<![A-Za-z'-]))"
                         r"(?P<named>[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)(?:, (?:our|the|her|"
                         r"his|their|your|a) (?:[a-zA-Z-]+ ){0,3}(?:manager|colleague|teacher|therapist|worker|nurse|"
                         r"assistant|coordinator|co-ordinator|lead|officer|psychologist|senco|secretary|doctor|"
                         r"consultant|paediatrician|pediatrician|audiologist|counsel(?:l)?or|specialist|caseworker|"
                         r"social worker|visitor|practitioner|physio|physiotherapist|dietitian|adviser|advisor|liaison|"
                         r"tutor|mentor|clinician|psychiatrist)\b|(?= ?[.] (?:She|He)(?:'s| is) (?:our|the|her|his|their|"
                         r"your|a)\b))")


# someone spoken to, not of: "And Lisa, I do mean it about the notes, they'll be done…" (the name stands at "@")
_ADDRESSED = re.compile(r"(?:^|[.?!]\s+)(?:(?:and|so|okay|ok|right|thanks|thank you|yes|yeah|well|oh|sorry),?\s+)*@,$",
                        re.IGNORECASE)


def _addressed(before, m):
    """Whether the name ``m`` found in ``before`` is someone spoken to ("And Lisa, …"), not someone spoken of."""
    return bool(_ADDRESSED.search(before[:m.start()] + "@" + before[m.end():m.end() + 1]))


# a name, then what it is, as an aside: "Pathways, that's our provider,", "Capitol Student Tours, they're the vendor,"
_BODY_ASIDE = re.compile(r"(?P<body>\b[A-Z][A-Za-z'&-]+(?: (?:of |for |and |& )?[A-Z][A-Za-z'&-]+){0,3}),? (?:they're|they are|"
                         r"that's|that is|it's|it is|who are) (?:the|our|their|a|an|his|her) (?:[a-z'-]+ ){0,3}?"
                         r"(?:vendor|provider|company|firm|service|agency|charity|contractor|clinic|practice|supplier|"
                         r"organisation|organization|people|team|partners?|college|school|centre|center|office)s?\b")


# a name's "'s" that says "is" or "has" ("Anjali's sending", "Bev's got"), not whose
_IS_DOING = re.compile(r"'s (?:[a-z]+ing|going|got|been|just|also|already|not|on|in|off|out|away|back|here|there)\b")


# the one the speaker will contact: "let Gil know", "drop Priya a note", "talk to Andre", "sort it with Craig"
_CONTACTED = re.compile(r"\b(?:let|ask|tell|email|e-mail|ring|call|phone|text|message|catch|chase|brief|contact|remind|"
                        r"drop|copy in|loop in|(?:speak|talk|check|sort (?:it|that|this|the [a-z]+) out) (?:to|with))"
                        r" (?P<name>[A-Z][a-z]+)(?![a-z'’-]| [A-Z])")


def _antecedent(before, pronoun, attendees, names, rs, child, common=frozenset()):
    """Who "he", "she" or "they" stands for: the last person (or, for "they", body or team) named before it in
    the utterance; None when nobody but the child was named (the pronoun is then the child)."""
    found = []  # (where it was named, (attendee id, label))
    for m in _TITLED.finditer(before):
        said = re.sub(r"['’]s$", "", m.group(0))  # "Mr Deakin's lovely": Mr Deakin
        surname = said.split()[-1].lower()
        found.append((m.end(), (names[surname], None) if surname in names else (None, said)))
    for m in re.finditer(r"\b[A-Z][a-z'-]+\b", before):
        key = m.group(0).lower()
        if _IS_DOING.match(before, m.end() - 2):
            key = key[:-2]  # "Anjali's sending her write-up, and she's coming in": Anjali
        if key in names and key not in child and not _addressed(before, m):
            found.append((m.end(), (names[key], None)))
    if pronoun != "they":
        # someone named in full who is not at the meeting ("our traded therapist, Joanna Pike, is in on Wednesdays")
        for m in _FULL_NAME.finditer(before):
            words = m.group(0).lower().split()
            if not (set(words) & (child | _NOT_NAMES)) and words[-1] not in names and words[0] not in names:
                found.append((m.end(), (None, m.group(0))))
        # or at a sentence's start, in words the meeting never writes in lower case ("Lorraine Hargrove, director of
        # special education. I'll send her your request, and she'll get back to you")
        for m in re.finditer(r"(?:^|(?<=[.!?] ))" + _NAME_PAIR, before):
            words = m.group(0).lower().split()
            if common and not (set(words) & (child | _NOT_NAMES | _TITLES | common)) and \
                    words[-1] not in names and words[0] not in names:
                found.append((m.end(), (None, m.group(0))))
    if pronoun != "they":
        # someone named as the one who will do something ("Jas'll meet him at the door, and she'll check in…")
        for m in _NAMED_SUBJECT.finditer(before):
            said = m.group("name")
            words = said.lower().split()
            if not set(words) & (child | _NOT_NAMES | _TITLES):
                found.append((m.end(), (names[words[-1]], None) if words[-1] in names else (None, said)))
    if pronoun != "they" and common:
        # someone named by where they work, a name the meeting never writes in lower case: "Renee in our office
        # makes those, she'll drop them off"
        # (not a place said with its "at", "in", "to" or "from": "Dr. Rao's at Brookfield on the twentieth")
        for m in re.finditer(r"(?<![A-Za-z'-])(?<!\bat )(?<!\bin )(?<!\bto )(?<!\bfrom )[A-Z][a-z-]+"
                             r"(?= (?:in|from|at|on) (?:our|the|my|reception) )", before):
            key = m.group(0).lower()
            if key not in common | names.keys() | child | _NOT_NAMES | _TITLES and not _addressed(before, m):
                found.append((m.end(), (None, m.group(0))))
    if pronoun != "they" and common:
        # someone the speaker will contact, by a name the meeting never writes in lower case: "I'll let Gil know
        # today, and he'll call you", "I'll drop Priya a note, and she'll send one in"
        for m in _CONTACTED.finditer(before):
            key = m.group("name").lower()
            if key not in common | names.keys() | child | _NOT_NAMES | _TITLES:
                found.append((m.end(), (None, m.group("name"))))
    if pronoun != "they":
        found += [(m.end(), (None, who)) for m in _ROLE_NAMED.finditer(before)
                  if not set((who := m.group("name") or m.group("named")).lower().split()) & (
                      child | _NOT_NAMES | _TITLES | names.keys())]
    if pronoun != "they":
        # "Mom says she'll sign it today", as an interpreter or a partner passes it on: the child's parent at the table
        parents = [a.id for a in attendees.values() if a.role in ("parent", "second_parent")]
        for m in _PARENT_WORD.finditer(before):
            if _PARENT_HE.get(m.group(0).lower()) not in (None, pronoun):
                continue  # "Mom is saying yes, what her father said. She'll sign…": she is not the father
            found.append((m.end(), (parents[0], None) if len(parents) == 1 else (None, m.group(0).capitalize())))
    if pronoun == "they":
        norm = normalise(before)
        for body, pattern in rs["bodies"]:
            found += [(m.end(), _body_owner(body, attendees)) for m in pattern.finditer(norm)]
        found += [(m.end(), (None, m.group(0))) for m in _TEAM.finditer(norm)]
        # "Capitol Student Tours, they're the vendor, they're going to send me…": a body named, with what it is
        found += [(m.end(), (None, m.group("body"))) for m in _BODY_ASIDE.finditer(before)
                  if not set(m.group("body").lower().split()) & (child | names.keys())]
    if not found:
        return None
    last = max(found, key=lambda f: f[0])
    # a child named after the person is who "she"/"he" means ("Mr Evans will meet Isla. She'll…")
    named_child = [m.end() for w in child for m in re.finditer(rf"\b{re.escape(w)}\b(?!['’]s)", before,
                                                                  re.IGNORECASE)]
    if pronoun != "they" and named_child and max(named_child) > last[0]:
        return None
    return last[1]


# a named person "says", "thinks" or "has": what follows is not their action
_NOT_DOING = ("(?:says|thinks|knows|wants|feels|agrees|believes|means|seems|looks|sounds|needs|likes|loves|hates|"
              "has|is|was|does not|doesn't|isn't|wasn't|hopes|worries|reckons|mentions|suggests|asks|struggles|finds|"
              "gets on|gets upset|gets anxious|gets tired|this|thus|plus|minus|across|whereas|perhaps|always|"
              "sometimes|afterwards|towards|nowadays|unless|regardless)")
# someone named as the subject, perhaps with their job beside it, before the promise: "Mrs Baptiste in the office
# will post…", "our therapy assistant, Becky Moss, will come in…", "Fraser, our psychiatrist is going to see him…"
_SUBJECT = (r"(?:^|[,.;:!?] |\b(?:[Aa]nd|[Ss]o|[Tt]hen|[Yy]es|[Yy]eah|[Oo]kay|[Oo]k|[Rr]ight|[Ww]ell),? )"
            r"(?!(?:Yes|Yeah|So|Okay|Ok|And|Then|Right|Well|I|We|You|He|She|They|It|That|This|There|The|Our|Your|"
            r"Everyone|Everybody|Someone|Nobody|But|Because|Or|Oh|Um|Uh|Now|Also|Plus|Actually|Obviously|Honestly|"
            r"Hopefully|Sorry|Look|Listen|Just|Maybe|Probably|If|When|Once|Otherwise|Anyway)\b)"
            rf"(?P<name>(?:{_TITLE} )?[A-Z][a-z-]+(?: [A-Z][a-z-]+)?)"
            r"(?:,? (?:our|the|your|in|from|at|who|on)\b[^.;!?]{0,50}?)?,?")
_NAMED_SUBJECT = re.compile(_SUBJECT + r"(?: will|'ll| is going to|'s going to| is gonna|'s gonna)\b")
# a recap's present tense: "Marcus does twice a month…", "Sandra takes everything to…", "Martin's putting…"
_RECAP_SUBJECT = re.compile(_SUBJECT + rf"(?: (?!{_NOT_DOING}\b)[a-z]+[^s']s\b|'s (?!being\b)[a-z]+ing"
                                       rf"| is (?!being\b)[a-z]+ing| is (?:in|with)|'s got"
                                       # "Martin's advice by the twentieth": their piece of work, by a date
                                       rf"|'s (?:[a-z-]+ ){{1,3}}?(?=(?:by|before|within) ))")


def _person_words(name, child):
    """A name's words, lower-case, without its title; [] when it names the child or no one ("Easter")."""
    plain = [w for w in (w.strip(".").lower() for w in name.split()) if w not in _TITLES]
    return [] if set(plain) & (child | _NOT_NAMES) else plain


def _attendee_named(plain, names):
    """(attendee id, None) for a person's words (:func:`_person_words`) that name someone at the meeting, else None."""
    return next(((names[key], None) for key in (" ".join(plain), plain[-1], plain[0]) if key in names), None)


def _named_subject(original, names, child, at_start=True):
    """(attendee id, label) of a person named as the subject of the promise, or None.

    ``at_start``: the clause starts its sentence, where a capital need not be a name ("Four weeks of data…").
    """
    for pattern in (_NAMED_SUBJECT, _RECAP_SUBJECT):
        for m in pattern.finditer(original):
            name = m.group("name")
            plain = _person_words(name, child)
            if not plain:
                continue
            if (here := _attendee_named(plain, names)) is not None:
                return here
            if pattern is _RECAP_SUBJECT and len(name.split()) < 2 and at_start and m.start("name") == 0:
                continue  # "Reading goes up to…": a capital starting the sentence that names nobody here
            return None, name
    return None


def _adult_named(original, names, child, common):
    """Whether the clause starts with an adult named as its subject ("Megan will pull his service logs",
    "And Ms. Alvarez'll have him at forty-five"): not the child, and, first in its sentence, a name the meeting
    never writes in lower case (``common``: "Reading will go up" is no one)."""
    m = _NAMED_SUBJECT.match(original)
    if m is None:
        return False
    name = m.group("name")
    plain = _person_words(name, child)
    if not plain:
        return False
    titled = len(plain) < len(name.split())
    return titled or len(plain) > 1 or m.start("name") > 0 or plain[0] in names or plain[0] not in common


# what may be said around a date given alone ("By Friday at the latest.", "First thing Monday, hopefully.")
_AROUND_DATE = frozenset("and or so oh um uh er well okay ok right yes yeah by on before for at the latest first thing "
                         "no later than hopefully ideally probably definitely say let's lets i'd i would at least "
                         "sometime some time starting from beginning after school morning afternoon evening night "
                         "lunchtime today tomorrow tonight every day".split())
# "First one a week from tomorrow.", "The first one's the week after.": when the first of what was just promised is
_ONLY_WHEN = re.compile(r"^(?!.*\b(?:i|we|you|he|she|they)(?:'ll| will|'d| would| can)\b)(?:(?:and|so|um|uh),? )*"
                        r"(?:the )?first (?:one|session|report|check-in|email|meeting|visit|update|log|review)"
                        r"(?:'s| is| will be|'ll be)? (?:on |by |from )?(?:a |the |next |this )?[a-z0-9 ,'-]{0,30}[.!]?$")
# "Tomorrow, I'm off tomorrow.", "Sunday night, probably, knowing us.", "Before half term, she said.": a date said
# first, then a word about it that promises nothing new
_NEW_PROMISE = re.compile(r"\b(?:i|we|he|she|they|you)(?:'ll| will|'re going to| are going to|'m going to| am going to|"
                          r"'s going to| is going to)\b")


# "Does Friday work?", "Is Monday okay for you?", "How's Thursday?": a date put as a question
_ASKING_DATE = frozenset("does do is would will that work works okay alright all right fine suit suits you for be "
                         "how's how about what's sound sounds good any use".split())
# "That'll come tomorrow, in the same email.", "It'll be with you by Friday.": the action just promised, its date
# ("You'll have it by Friday." is a promise of its own)
_IT_WILL_COME = re.compile(r"^(?:(?:and|so|oh|um|uh|yeah),? )*(?:(?:that|it|those|these|both)(?:'ll| will)(?: all)? "
                           r"(?:come(?! back)|be with you|be there|be done|be ready|be out|arrive|go out|go off|"
                           r"get to you|reach you)\b)")
# what may follow the date in "That'll come tomorrow, um, in the same email." (nothing that says more)
_AFTER_COMING = re.compile(r"^[\s,.!]*(?:(?:um|uh|er|in|with|by|the|same|that|this|an?|email|e-mail|letter|post|it|"
                           r"as|well|too|also|both|together|attached|envelope|pack|folder)\b[\s,.!]*)*$")


# a date taken up ("The fourteenth I can do.", "Thursday, half three. That's fine."): what may be said with it
_TAKING_DATE = frozenset("i we can do that that's is 's works work fine good me us for suits great lovely perfect "
                         "brilliant sounds then half quarter past o'clock am pm one two three four five six seven "
                         "eight nine ten eleven twelve fifteen thirty forty forty-five".split())
# "Yeah, I can do that.", "That's fine.": a yes with nothing else in it, between a date taken up and the promise
_JUST_YES = re.compile(r"^(?:(?:yes|yeah|yep|okay|ok|right|sure|fine|lovely|great|of course),? )*(?:(?:i|we) can do "
                       r"(?:that|it)|that's (?:fine|great|good|lovely|perfect)|that works|no problem)?[.!]?$")


def _date_taken_up(text, spans, si, due_of):
    """The date said or taken up just before a promise, across a plain "yes" between ("Thursday, half three. Yeah, I
    can do that. I'll bring the sling."), else None."""
    for j in range(si - 1, max(-1, si - 3), -1):
        sentence = text[spans[j][0]:spans[j][1]]
        due = _date_alone(sentence, due_of, following=False, taking=True)
        if due is not None:
            return due
        if not _JUST_YES.match(normalise(sentence)):
            return None
    return None


def _besides_the_date(plain, due):
    """The words of a lower-case sentence other than its due phrase."""
    return re.findall(r"[a-z']+", plain.replace(due.phrase.lower(), " ", 1))


def _just_a_date(sentence, due):
    """Whether a sentence whose due date is ``due`` says that date and nothing more ("End of next week.", "By
    Friday, hopefully.")."""
    return due is not None and due.date is not None and all(
        w in _AROUND_DATE for w in _besides_the_date(sentence.lower().replace("’", "'"), due))


def _dated(due):
    """Whether a due date names a day ("every Friday" names none: it says how often, not when)."""
    return due is not None and due.date is not None


def _only_things(sentence, due_of):
    """Whether a sentence only lists things (no one doing anything, no date): "Spare clothes, pants, wipes."."""
    plain = sentence.lower().replace("’", "'")
    return len(plain.split()) <= LIST_WORDS and due_of(sentence) is None and not re.search(
        r"\b(?:i|we|you|he|she|they|it|that|this|there)\b|'(?:s|re|ll|m|d|ve)\b|\?", plain)


def _date_alone(sentence, due_of, following=True, taking=False):
    """The due date a sentence gives the action just promised when it says nothing else (a date said alone, put as
    a question, or "That'll come tomorrow"; following the promise, "You'll have that tomorrow"; taking: or a date
    taken up, "The fourteenth I can do."), else None."""
    due = due_of(sentence)
    if due is None or due.date is None:
        return None
    plain = sentence.lower().replace("’", "'")
    if following and _DELIVERED.match(plain.strip()):
        return due  # "You'll have that tomorrow, it's a one-pager.": when it arrives
    if _IT_WILL_COME.match(plain.strip()):
        after = plain.split(due.phrase.lower(), 1)[-1] if due.phrase.lower() in plain else plain
        return due if _AFTER_COMING.match(after) else None
    # "Tomorrow, I'm off tomorrow.": the date first, then a word about it
    lead = re.match(r"^(?:(?:and|so|oh|um|uh|well|yeah),? )*" + re.escape(due.phrase.lower()) + r"(?: \w+)?,",
                    plain.strip())
    if following and lead and not _NEW_PROMISE.search(plain) and due.phrase.lower() not in ("now", "right now"):
        return due
    words = _besides_the_date(plain, due)
    asked = plain.rstrip().endswith("?")
    return due if all(w in _AROUND_DATE or (asked and w in _ASKING_DATE) or (taking and w in _TAKING_DATE)
                      for w in words) else None


# where a recap turns to the next person: ", and Ellen sends…", "; Priya observes…", ", and I forward…"
_NEXT_DOER = re.compile(r"(?:,|;|\band\b)\s+(?:and\s+|then\s+)?(?=I (?!think|mean|guess|know|hope|feel|suppose|'m|am|was)"
                        r"[a-z]+\b)")


# a recap's next item, someone named and when they are in: ", Hannah in next Tuesday for the risk assessment", ", Mrs.
# Begum on the science moves from Monday"
_NEXT_ITEM_DOER = re.compile(rf"(?<=[,;] )(?P<name>(?:{_TITLE} )?[A-Z][a-z-]+(?: [A-Z][a-z-]+)?)"
                             r" (?:in|on|with) (?=[a-z])")


def _recap_parts(text, start, end, child):
    """The (start, end) of each person's part of a recap sentence text[start:end] (the whole when one person)."""
    cuts = [m.end() for m in _NEXT_DOER.finditer(text, start, end)]
    cuts += [m.start("name") for m in _NEXT_ITEM_DOER.finditer(text, start, end)
             if _person_words(m.group("name"), child) and m.group("name").split()[-1].lower() not in _NOT_NAMES]
    doers = [m for pattern in (_NAMED_SUBJECT, _RECAP_SUBJECT) for m in pattern.finditer(text, start, end)
             if _person_words(m.group("name"), child)]
    # the doer the sentence starts with ("Tom keeps…"), which a search from inside the text does not see
    first = next((start + m.end() for pattern in (_NAMED_SUBJECT, _RECAP_SUBJECT)
                  if (m := pattern.match(text[start:end])) and _person_words(m.group("name"), child)), None)
    for m in doers:
        if m.start("name") - start < 3:
            continue
        between = text[m.start():m.start("name")]
        if not re.search(r"(?:;|\band\b)", between) and not (
                # "Tom keeps a spare kit, Kerry sends the pencil case in Monday": after a part with its own doer,
                # a comma and the next doer
                between.lstrip().startswith(",") and (first is not None and first <= m.start() or
                                                      any(d.end() <= m.start() for d in doers))):
            continue  # "our therapy assistant, Becky Moss, will…" is one person; ", and Ellen sends…" the next
        cuts.append(m.start("name"))
    parts, at = [], start
    for cut in sorted(set(cuts)):
        # a part says who does what: "New FBA: Nadia gets you the form…" is one part, not "New FBA:" and the rest
        if len(re.findall(r"[A-Za-z']+", text[at:cut])) >= 3 and text[cut:end].strip():
            parts.append((at, cut))
            at = cut
    parts.append((at, end))
    # each part without the joining words it ends with (", and")
    out = []
    for a, b in parts:
        piece = text[a:b]
        trimmed = re.sub(r"\s*[,;]?\s*(?:\b(?:and|then))?\s*$", "", piece)
        out.append((a, a + len(trimmed)))
    return [(a, b) for a, b in out if b > a]


def _starts_sentence(before):
    return not before.strip() or before.rstrip()[-1] in ".?!"


# "What I can do is open the assessment this week": what the speaker will do, with its day (not "what you could
# do", not "maybe", not "wait and see")
_WHAT_I_CAN_DO = re.compile(r"\bwhat (?:i|we) can do is (?!maybe\b|perhaps\b|wait\b|see\b|ask you\b)")
# a promise on a condition is an offer: "If you send it to me, I'll make sure it's in front of them."
# ("If it's okay with you, I'll ring the EP tomorrow", "Unless you hear otherwise, I'll book the taxi" still promise)
# "if that's okay", "if you don't mind", "if we hear nothing": said with a promise, no condition on it
_MERE_IF = (r"(?:(?:that's|it's|that is|it is|that'd be|it'd be) (?:ok|okay|alright|all right|fine)\b"
            r"|you're (?:happy|ok|okay|alright|all right)\b|that (?:works|suits)\b|nothing else\b"
            # "…so unless there's anything else, I'll send Lisa the details": the meeting's close, no condition
            r"|there(?:'s| is) (?:anything|nothing) else\b|(?:anyone|anybody) (?:has|'s got|has got) (?:anything|something) "
            r"else\b|there(?:'s| is| are) (?:any|no) (?:other |more )?questions?\b"
            r"|you (?:don't|do not) mind\b|(?:you|we|i) hear (?:otherwise|nothing|anything different)\b)")
# "I can do that.", "Sure, I can do the tenth.": taking on what was just put, not an offer of one's own
_CAN_DO_THAT = re.compile(r"\bi can (?:do|manage|sort|take) (?:that|it|this|those|them|"
                          r"the (?:[a-z]+(?:st|nd|rd|th)|[0-9]+))\b"
                          # "I can make sure Mateo isn't sitting near them": an assurance given, not an option
                          r"|\bi can (?:make sure|ensure|guarantee|promise)\b")


def _unasked_can(found, norm):
    """Whether a promise is only "I can …" of the speaker's own ("I can send you their number."), not "I can do
    that." taking on what was put."""
    return not _CAN_DO_THAT.search(norm) and all(
        rule["id"] == "first_person_can" and m.group(0).startswith("i can") for rule, m in found)


def _asked(previous, seg):
    """Whether the utterance before, someone else's, ended on a question."""
    return previous is not None and previous.speaker_id != seg.speaker_id and \
        (previous.text or "").rstrip().endswith("?")


# "I won't use Ava for messages again. Ever.", "I won't put him on the spot to read aloud unless we've agreed it
# beforehand", "I won't give her the English reading tests and call that the answer, I promise you that": a promise not
# to, not a refusal (but "I won't be able to…" and "I'm not going to promise…" refuse)
_PROMISED_NOT = re.compile(
    r"\b(?:i|we)(?: just| really| certainly| definitely)? (?:won't|will not|'ll never|will never|am not going to|"
    r"'m not going to|are not going to|'re not going to|am not gonna|'m not gonna|'re not gonna)\b"
    r"(?! (?:be able|be in a position|promise|guarantee|commit|pretend|lie|say|sit here)\b)[^.?!]*?"
    r"(?:\b(?:again|ever|any ?more)\b|\bi promise\b|\bpromise(?:d)? you\b|,? unless (?:we|you|it|he|she|they)\b|"
    r"\bwithout (?:your|you|asking|checking|talking|telling|agreeing|speaking|ringing|calling)\b)")
# after the family's no, the school's "We won't put her on one." or "…so we won't put him on one" takes the no: a
# promise not to
_TAKES_THE_NO = re.compile(
    r"(?:^(?:(?:so|okay|ok|right|fine|fair enough|no|yeah|yes|well|then|alright|all right|that's that|"
    r"that's fair|understood)[,.]? )*|\bso )(?:i|we)(?: just)? (?:won't|will not|are not going to|'re not going to|"
    r"am not going to|'m not going to)\b(?! be able\b)(?! (?:do|have) (?:that|it|this) (?:either|yet)\b)[^?]*$")


# "ask if they can", "see if they'll": a question put to someone, not a condition
_NOT_ASKING = "(?<!ask )(?<!asks )(?<!asking )(?<!see )(?<!check )(?<!checking )(?<!find out )(?<!know )(?<!wonder )"
_ON_CONDITION = re.compile(
    # "Helen, if you email me, I'll send you the form.", "Yeah, if Kerry puts it in writing, we'll deal with it"
    r"^(?:(?:and|so|but|then|okay|ok|well|um|uh|yes|yeah|yep|sure|right|look|honestly|of course|[a-z]+(?=,)),? )*"
    rf"(?:(?:when|once) [^,]{{1,60}}, )?(?:if|unless|provided|as long as)\b(?! {_MERE_IF})"
    # the condition after the promise: "I'll do a referral if it needs one", "…if that's needed"
    r"|,? if (?:it|he|she|they|that|one|this) (?:needs? (?:one|it|that|them)|(?:'s|is|are|'re) "
    r"(?:needed|necessary)|comes to (?:that|it))\b[^,;]*[.!]?$"
    # "Jo'll do Bev's training next Monday if transport can let her come in": on someone else's yes
    rf"|{_NOT_ASKING}\bif (?!(?:i|we|you|it|that|this|there)\b)(?:the |his |her |their )?[a-z]+ "
    r"(?:can|could|agrees?|says? yes|approves?|signs? off|allows?|lets?)\b[^,;]*[.!]?$"
    # "…and if you sign a release I'll send them our plan": on the family's doing something first
    # (not "I'll put Ruby by the staff room, and if you send the mat, we'll use it": two points)
    r"|^(?:(?![^,]*\b(?:i|we)(?:'ll| will)\b)[^,]{0,40}, )?(?:and |so |but )?if (?:you|one of you|"
    r"either of you)\b(?! (?:want|like|need|prefer|'d like|"
    r"would like|don't mind|'re happy|are happy)\b)[^.?!]{0,80}?,? (?:then )?(?:i|we)(?:'ll| will)\b"
    # the condition after it: "I can email it tonight if that's quicker", "I'll film her at lunch, if you're okay with
    # that", "I can check a couple before they go out, if you send them over"
    rf"|,? {_NOT_ASKING}if (?:that's|that is|it's|it is|it'd be|it would be|that'd be|that would be) "
    r"(?:quicker|easier|simpler|"
    r"any (?:use|help|good)|of (?:any )?use|useful|helpful|better)\b"
    rf"|,? {_NOT_ASKING}if you(?:'re| are) (?:happy|okay|ok|alright|all right|comfortable|fine)"
    r"(?: with (?:that|it|this))?\b"
    rf"|,? {_NOT_ASKING}if (?:you|mum|mom|dad|[a-z]+) (?:send|sends|email|emails|give|gives|bring|brings|show|shows|"
    r"drop|drops|"
    r"forward|forwards) (?:it|them|that|those|these|me|us|him|her)\b")
# an action said on a condition in a clause of its own ("I'll send it home with Maya tomorrow, and if you can get it
# back to me by Friday I'll scan it straight over to Denise"): that action is offered, the other promised
_IF_CLAUSE = re.compile(rf"^(?:(?:and|so|but|then|okay|ok|well|um|uh),? )*(?:if|unless|provided|as long as) "
                        rf"(?!{_MERE_IF})[^.?!]{{1,80}}?,? (?:then )?(?:i|we)(?:'ll| will)\b")
# a sentence told in the past ("we sent…", "he didn't want…", "the draft only reached us…") with nothing ahead in it
_TOLD_IN_THE_PAST = re.compile(
    r"\b(?:was|were|wasn't|weren't|did|didn't|had|hadn't)\b|\b(?:i|we|you|he|she|they|it|only|just|already|never) "
    r"(?:(?!(?:need|feed|proceed|exceed|succeed|speed|indeed|seed|bleed|breed)\b)[a-z]+ed|sent|went|said|got|came|"
    r"saw|took|gave|made|wrote|spoke|told|rang|met|heard|brought|thought)\b")
_AHEAD = re.compile(r"\b(?:will|'ll|going to|gonna|shall|can|could|would|'d|let me|let's|tomorrow|tonight|next|"
                    r"(?:i|we|you|he|she|they)(?:'re| are|'m| am| is|'s) [a-z]+ing)\b")
# "I ring her every Friday, just to check in": what someone does each week already, said in the present
# ("I send you the log every fortnight", to the listener, arranges it)
_HABIT = re.compile(r"^(?:(?:and|so|but|well|yeah|yes|no|like),? )*(?:i|we|he|she|they) (?!will\b|shall\b)[a-z]+\b(?!')"
                    r"(?! you\b)")
_I_OR_WE = re.compile(r"\b(?:i|we)(?:'m| am|'re| are|'ll| will)\b")
_NO_ONE = frozenset("that this it there which what who everything nothing something anything these those".split())


_THINGS_DONE = re.compile(r" (?:all )?be (?:done|ready|sent|posted|emailed|printed|finished|sorted|updated|typed up|"
                          r"written up|with you|in (?:the|your|his|her) )")


# words that start a sentence with a capital and name no one ("And can I offer- I'll sit down with you…")
_NOT_A_SUBJECT = frozenset("the our and but so then or yes yeah okay ok well oh now also just can".split())


def _owner(original, norm, speaker_id, attendees, names, rs, child, before="", common=frozenset()):
    """Who a commitment belongs to: (attendee id, label), the speaker unless someone else is the subject.

    None when the subject is the child ("Maya will start…" describes an outcome, not a promise), or a "he",
    "she" or "they" that stands for nobody named before it in the utterance (``before``).
    """
    m = _OWNER.search(norm)
    if m is None:
        return _named_subject(original, names, child, _starts_sentence(before)) or (speaker_id, None)
    subj = m.group("subj").strip()
    words = subj.split()
    if words[-1] in ("i", "we", "you") or words[0] in ("leave", "consider"):
        return speaker_id, None
    if words[-1] in ("he", "she", "they"):
        # named before the promise, or in its own words: "the hearing clinic said they're sending you…"
        # the pronoun that does it ("Capitol Student Tours, they're the vendor, they're going to send me…")
        said = words[-1] == "they" and re.search(r"\bthey(?='ll|’ll| will\b|'re going to\b| are going to\b)", original,
                                                 re.IGNORECASE) or re.search(rf"\b{words[-1]}\b", original, re.IGNORECASE)
        found = _antecedent(before + (original[:said.start()] if said else ""), words[-1], attendees, names, rs, child,
                            common)
        if found is None and words[-1] == "they" and (not re.search(r"'ll|will|going to", m.group(0)) or
                                                      _THINGS_DONE.match(norm, m.end())):
            # "they said they'd send the file": someone unnamed, passed on by the speaker; "the notes, they'll be
            # done by Friday": the things, done by the speaker
            return speaker_id, None
        return found
    if child & set(words):
        return None
    if words[-1] in _NO_ONE:
        return speaker_id, None  # "That'll come tomorrow": the thing, not a person
    for key in (subj, words[-1], words[0]):
        if key in names:
            return names[key], None
    for body, pattern in rs["bodies"]:
        if pattern.search(subj):
            return _body_owner(body, attendees, speaker_id)
    if words[-1] in _OUTSIDE:
        # an outside organisation, as said ("the taxi firm", "the endo's office"), unless a person is named in
        # it ("Bernie in the office will…"); "our office", "my practice" and the school's "front office" are
        # the speaker's own
        owner = rf"(?:(?:the |her |his |their )?(?:{_TITLE} )?[A-Za-z'-]+'s|her|his|their)" \
            if words[-1] == "office" else r"(?:the|her|his|their)"
        said = re.search(rf"\b{owner}(?: [A-Za-z'-]+){{0,2}}? {words[-1]}\b", original, re.IGNORECASE)
        if said:
            return _named_subject(original, names, child, _starts_sentence(before)) or (None, said.group(0))
    # someone named who is not at the meeting ("Mrs Ali will…"): their name as said
    said = re.search(rf"(?<![A-Za-z]){re.escape(words[-1])}(?![A-Za-z])", original, re.IGNORECASE)
    if said and original[said.start()].isupper() and words[-1] not in _NOT_A_SUBJECT and words[-1] not in _NOT_NAMES:
        start = said.start()
        title = re.search(rf"{_TITLE} $", original[:start])
        return None, original[title.start() if title else start:said.end()]
    return _named_subject(original, names, child, _starts_sentence(before)) or (speaker_id, None)


def _reason(text, spans, index, rs):
    """The reason a refusal gives: from its own sentence first, then the sentences either side."""
    order = [index] + [i for i in (index - 1, index + 1) if 0 <= i < len(spans)]
    for i in order:
        norm = normalise(text[spans[i][0]:spans[i][1]])
        for reason, pattern in rs["reasons"]:
            if pattern.search(norm):
                return reason
    return None


_LEAD_IN_WORDS = 4  # "Yes, that's fine," "Okay, then": a clause this short goes with the promise beside it


def _with_lead_ins(text, parts, start, s_start, s_end):
    """The span of a sentence's one promise: from the short clauses that lead in to it to the sentence's end.

    What follows the promise says more of it ("…, and she'll see him twice a week"); a longer clause before it
    says something of its own.
    """
    first = next((i for i, (c, d) in enumerate(parts) if d > start), 0)
    while first > 0 and len(text[parts[first - 1][0]:parts[first - 1][1]].split()) <= _LEAD_IN_WORDS:
        first -= 1
    return (s_start if first == 0 else parts[first][0]), s_end


def _trim(text, start, end):
    """Drop leading fillers ("Honestly, ", "So ", "Okay, ") from a quote."""
    m = re.match(r"(?:(?:so|and|but|okay|ok|well|right|honestly|look|yeah|um|uh|erm),?\s+)+", text[start:end],
                 re.IGNORECASE)
    if m and text[start + m.end():end].strip():
        start += m.end()
    return start, end


# find() reads every sentence with some thousands of patterns (about 0.3 s for ten minutes of talk), and a
# review page asks for the same meeting's findings several times: the last few answers are kept, by the words
_CACHE_SIZE = 16
_cache = collections.OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(segments, attendees, jurisdiction, meeting_date, child_name, second_opinion):
    """Everything find() reads, as a digest: the same digest gives the same findings."""
    h = hashlib.sha256()
    # the learned reader's weights are one object per process (the bench swaps them): their identity is enough
    for value in (jurisdiction, str(meeting_date), child_name or "", second_opinion, id(learned.model())):
        h.update(repr(value).encode())
    for a in attendees.values():
        h.update(repr((a.id, a.name, a.role)).encode())
    for s in segments:
        h.update(repr((s.id, s.start_ms, s.end_ms, s.text, s.speaker_id, s.speaker, s.agenda_item_id,
                       tuple(s.unsure), tuple(w.get("probability") for w in getattr(s, "words", None) or ()))).encode())
    return h.hexdigest()


def find(segments, attendees, jurisdiction, meeting_date, child_name="", *, second_opinion=True):
    """Return the findings in the utterances, in time order (see :func:`find_uncached`).

    The answer for the same words, people, date and child is kept (a few meetings' worth, in this process) and
    handed back as fresh findings on these segments, so a caller may change what it gets.
    """
    segments = list(segments)
    key = _fingerprint(segments, attendees, jurisdiction, meeting_date, child_name, second_opinion)
    with _cache_lock:
        kept = _cache.get(key)
        if kept is not None:
            _cache.move_to_end(key)
    if kept is None:
        found = find_uncached(segments, attendees, jurisdiction, meeting_date, child_name,
                              second_opinion=second_opinion)
        place = {id(s): i for i, s in enumerate(segments)}
        kept = [(dataclasses.replace(f), place[id(f.segment)], place.get(id(f.reply)) if f.reply is not None and
                 not isinstance(f.reply, str) else None) for f in found]
        with _cache_lock:
            _cache[key] = kept
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return [dataclasses.replace(f, segment=segments[at], reply=f.reply if reply_at is None else segments[reply_at])
            for f, at, reply_at in kept]


def find_uncached(segments, attendees, jurisdiction, meeting_date, child_name="", *, second_opinion=True):
    """Return the findings in the utterances, in time order.

    segments: utterances (drafting.Segment: start_ms, text, speaker_id, unsure…) in time order;
    attendees: {id: Attendee}; meeting_date: the day the meeting was held (due dates count from it);
    child_name: the child's name (the child is never the owner of an action);
    second_opinion: also ask the learned model (:mod:`server.minutes.learned`) about the sentences in which
    the rules found no refusal, promise or agreement.
    """
    rs = ruleset(jurisdiction)
    child = set(re.findall(r"[a-z][a-z'-]+", (child_name or "").lower()))
    names = _name_index(attendees)
    # the words the meeting writes in lower case: a capital first in a sentence on one of them names no one
    common = {w for s in segments for w in re.findall(r"(?<![A-Za-z'-])[a-z][a-z'-]*", s.text or "")}
    parent_side = {a.id for a in attendees.values() if a.role in rs["parent_side"]}
    out = []
    previous = None
    previous_puts = False  # the previous utterance was the school's and put something to the family
    recapping = None  # (who is reading the actions back, at which utterance) while a recap goes on
    events = {}  # the days of the events the meeting gave: "the Monday after panel", "before the trip" count from them
    # what the meeting last said of when, and in which utterance: the day it named ("the day after" counts from
    # it) and the date it gave, a deadline too ("by then")
    named_day, named_date = (None, -1), (None, -1)
    said_before = None  # (the sentence before this one, in which utterance)

    def anchor():
        return tuple(d if index - at <= ANCHOR_LASTS else None for d, at in (named_day, named_date))

    def due_of(words, before=""):
        """The due date the words say, counted from the meeting's date (and the events' days, and the day just named,
        in the words ``before`` them in their sentence or else in the utterances just before)."""
        said = anchor()
        if before:
            said = tuple(a or b for a, b in zip(day_named(before, meeting_date, jurisdiction, events, said), said))
        return resolve(words, meeting_date, jurisdiction, events, said)
    for index, seg in enumerate(segments):
        text = seg.text or ""
        transcribed = bool(getattr(seg, "words", None))  # words with their times: a transcription's
        spans = sentences(text, heard=transcribed)
        counts = {}
        side = "parent_side" if seg.speaker_id in parent_side and not (
            # an interpreter speaking of their own work speaks for no one ("I can't say yes to that here, I'm
            # freelance, all my bookings go through the agency")
            attendees[seg.speaker_id].role == "interpreter" and _OWN_INTERPRETING.search(text) and
            not _VOICING.match(text)) else None
        request = _last_request(previous, parent_side, rs, seg.speaker_id, second_opinion) if previous is not None and \
            seg.speaker_id not in (None, previous.speaker_id) else None
        # the family has just said no (in one of the two utterances before)
        recent = segments[max(0, index - 2):index]
        family_no = any(f.kind == "refusal" and f.segment.speaker_id in parent_side and
                        any(f.segment is s for s in recent) for f in out[-12:])
        # the family's first words after the school put something to it may decline it ("No. Sorry, no.")
        put_to_family = side is not None and seg.speaker_id is not None and (previous_puts or (
            # "No. Sorry, no, absolutely not.", "No. No, thank you.": said outright to what the school just said (not
            # asked: "Has he been excluded?" "No, absolutely not." answers), it declines it
            _EMPHATIC_NO.match(normalise(text)) and previous is not None and previous.speaker_id not in parent_side
            and previous.speaker_id is not None and not previous.text.rstrip().endswith("?")))
        # whether this utterance puts something to the family: an offer, or a proposal put as a question ("How do you
        # feel about the bus?", "is the mileage thing an option at all?"), read from its own sentences below
        puts = False
        norms = [normalise(text[a:b]) for a, b in spans]

        def add(kind, start, end, found, **extra):
            start, end = _trim(text, start, end)
            n = counts.get(kind, 0)
            counts[kind] = n + 1
            if extra.get("who_label"):
                # "Officer Tate's coming in": Officer Tate
                extra["who_label"] = re.sub(r"['’]s$", "", extra["who_label"])
            out.append(Finding(kind=kind, segment=seg, n=n, quote=text[start:end].strip(), offset=start,
                               rule=found[0][0], matched=tuple((r["id"], m.group(0)) for r, m in found), **extra))

        # the reply is the first sentence that is not itself a question ("Five days? Yeah, I can live with that.")
        reply_at = next((si for si, (a, b) in enumerate(spans) if not text[a:b].rstrip().endswith("?")), 0)
        # a recap lists what was settled, one item a sentence ("Water and snacks in every class. Sitting for the
        # pledge."): after its cue, each item is an action, of whoever the words name, else the speaker's to record
        recap_at = None if side else next((si for si, norm in enumerate(norms) if _RECAP_CUE.search(norm)), None)
        if recap_at is None and not side and recapping and recapping[0] == seg.speaker_id and \
                index - recapping[1] <= RECAP_RESUMES and _RECAP_RESUMED.match(norms[0] if norms else ""):
            # "No, I said no to the van." "Sorry, you're right. No van. Grandma walks him to the stop…": the recap,
            # corrected ("Three, sorry."), goes on after the correction
            recap_at = 0
        if recap_at is not None:
            recapping = (seg.speaker_id, index)
        dated = set()  # sentences that only gave the promise before them its date ("That'll come tomorrow.")
        for si, (s_start, s_end) in enumerate(spans):
            norm = norms[si]
            # "Mom is saying, at home we speak Vietnamese…", "she's saying she's not giving up on the private one":
            # what the family said, read for a refusal without the interpreter's frame
            passed_on = _relayed(norm) if side and attendees[seg.speaker_id].role == "interpreter" and \
                not _OWN_INTERPRETING.search(text[s_start:s_end]) else norm
            if said_before is not None:
                day, date = day_named(said_before[0], meeting_date, jurisdiction, events, anchor())
                named_day = (day, said_before[1]) if day else named_day
                named_date = (date, said_before[1]) if date else named_date
            # "When's parents' evening?" "It's the eighteenth.": the day of the event just asked about
            asked = event_asked(said_before[0]) if said_before is not None and index - said_before[1] <= 1 else None
            events.update(event_dates(text[s_start:s_end], meeting_date, jurisdiction, asked))
            said_before = (text[s_start:s_end], index)
            asks_family = side is None and seg.speaker_id is not None and not puts
            if asks_family and _PROPOSES.search(norm):
                puts = True
            if si in dated:
                puts = puts or (asks_family and "offer" in match_kinds(norm, rs, set()))
                continue
            lead = _LEAD_PRONOUN.match(norm)
            # (the reply goes on past a bare "Yes.": "Yes. Please.", "Yeah. That's perfect.")
            context = {c for c in (side, "after_request" if request and (si == reply_at or si == reply_at + 1 and
                                                                        _BARE_ASSENT.match(norms[reply_at]))
                                   else None,
                                   "after_ask" if request and si == reply_at and _ASKS.match(normalise(request))
                                   else None,
                                   # the reply's first sentences, or its "so no" or "I can't do that" after
                                   # the family's reasons
                                   "after_proposal" if put_to_family and (reply_at <= si <= reply_at + 2 or
                                                                          _SO_NO.match(norm) or
                                                                          _DECLINES_THAT.search(norm)) else None,
                                   # "I'll let Mrs. Alvarez know. She'll hold him a seat.": the adult just named
                                   "adult_pronoun" if lead and _antecedent(
                                       text[:s_start], lead.group(1), attendees, names, rs, child, common) else None,
                                   # "Megan will pull his service logs": an adult named as the one who will
                                   "adult_named" if _adult_named(text[s_start:s_end], names, child, common)
                                   else None,
                                   # the school's words as the transcription heard them, which often drops an
                                   # "'ll" ("I'll ring the surgery" heard as "I ring the surgery")
                                   "heard_school" if transcribed and not side else None) if c}
            sentence = text[s_start:s_end]
            not_refusing = rs["not_refusing"].search(norm)
            if side and sentence.rstrip().endswith("?") and not _MY_PROMISE.match(norm):
                # a question the family asks (but "I'll send Ben the backup file by Friday?" promises, voice rising)
                if len(sentence.split()) >= QUESTION_MIN_WORDS and not _procedural(norm):
                    reply = next((s for s in segments[index + 1:index + 4]
                                  if s.speaker_id != seg.speaker_id and s.start_ms - seg.end_ms < 30_000), None)
                    add("question", s_start, s_end, [({"id": "question", "kind": "question"}, re.match("", ""))],
                        who=seg.speaker_id, reply=reply)
                continue
            if _READ_ALOUD.match(sentence):
                puts = puts or (asks_family and "offer" in match_kinds(norm, rs, set()))
                continue  # words in quotation marks are a letter or a plan read out, not anyone's own
            relaying = passed_on != norm
            if relaying:
                norm = passed_on  # what the family said, read as they said it

            def as_said(a, b):
                """A clause of this sentence, normalised (as the family said it, when passed on)."""
                return _relayed(normalise(text[a:b]), True) if relaying else normalise(text[a:b])
            kinds = match_kinds(norm, rs, context)
            puts = puts or (asks_family and "offer" in kinds)  # no offer rule or veto depends on the context
            if asks_family and not puts and second_opinion and learned.probability("offer", norm) >= PUT_OFFER:
                # "I usually offer to come in and do a short session with the class.", "please feel free to say
                # no. There's the Early Help assessment…": put to the family in words no offer rule reads, so the
                # family's "No. Sorry, no, absolutely not." after it declines it
                puts = True
            if side and "agreement" in kinds:
                # "okay" or "yes" from the parent is hearing, not agreeing: only words that say so agree
                kinds["agreement"] = [(r, m) for r, m in kinds["agreement"] if not r.get("not_from_parent")]
                if not kinds["agreement"]:
                    kinds.pop("agreement")
            long = len(sentence.split()) > LONG_SENTENCE_WORDS
            parts = clauses(text, s_start, s_end)
            learned_span, learned_spans = None, {}
            if "commitment" not in kinds and len(parts) > 1 and not _vetoed({"kind": "commitment"}, norm, rs,
                                                                              context, whole=True):
                # a veto belongs to its clause: "…will observe him, and then we'll look at whether…" still promises
                # (unless it speaks for the whole sentence: "What I could live with is…, and we look at it again")
                kinds["commitment"] = next((k["commitment"] for a, b in parts if (
                    k := match_kinds(as_said(a, b), rs, context)).get("commitment")), None)
                if kinds["commitment"] is None:
                    kinds.pop("commitment")
            if "refusal" not in kinds and len(parts) > 1 and (not_refusing or kinds.keys() & {"commitment", "offer"} or any(
                    rule["kind"] == "refusal" and (not rule.get("context") or rule["context"] in context) and
                    pattern.search(norm) for rule, pattern in rs["rules"])):
                # "I'm not saying no to Brookfield, but changing the school named isn't decided in a review": the
                # clause after "but" refuses; "I'll write you a summary, but not the notes" promises one thing and
                # refuses another (a bare "No, I'll do it" refuses nothing: a clause of a word or two says no alone);
                # a veto belongs to its clause ("so I can't offer transportation for it, which I did last year")
                refused = next((k["refusal"] for a, b in parts if len(text[a:b].split()) > 2 and not rs[
                    "not_refusing"].search(n := as_said(a, b)) and (k := match_kinds(n, rs, context)).get(
                    "refusal")), None)
                if refused:
                    kinds["refusal"] = refused
            if "offer" in kinds and "commitment" not in kinds and _WHAT_I_CAN_DO.search(norm) and (
                    (due := due_of(sentence)) and due.date):
                # "What I can do is open the assessment this week": offered with its day, it is the promise
                kinds["commitment"] = kinds.pop("offer")
            if "commitment" in kinds and not side and not (si == reply_at and (request or _asked(previous, seg))) \
                    and _unasked_can(kinds["commitment"], norm) and not ((due := due_of(sentence)) and due.date):
                # "I can send you their number." offers what nobody asked for; with its day ("I can have that to you
                # by Friday") it is the promise, and so it is in reply to what was asked
                kinds.setdefault("offer", kinds.pop("commitment"))
            if "commitment" in kinds and _ON_CONDITION.search(norm):
                # "If the scores come back below average, I'll put the extra time in": offered on a condition
                kinds.setdefault("offer", kinds.pop("commitment"))
            if side:
                # the parent's side asks, agrees to what is put to it, and takes on actions of its own; what it
                # offers is its own to know (and "I can do that, if it helps" offers: no action), and it refuses
                # only in its own words for saying no to what was put to it ("So no, I'm not agreeing to that.")
                for other in {o for rule, _ in kinds.get("offer", ()) for o in rule.get("outranks", ())}:
                    kinds.pop(other, None)
                declined = [(r, m) for r, m in kinds.get("refusal", ())
                            if r.get("context") in ("parent_side", "after_proposal") or r.get("either_side")]
                kinds = {k: v for k, v in kinds.items() if k in ("request", "commitment", "agreement", "date",
                                                                 "amount")}
                if declined:
                    # (a promise in a clause of its own stands beside the no: "Tuesday to Thursday I'll keep
                    # bringing him, but not the Friday."; the check below keeps it only there)
                    kinds = {"refusal": declined, **{k: v for k, v in kinds.items() if k in ("date", "amount",
                                                                                             "commitment")}}
            if "agreement" in kinds and _assent_only(kinds["agreement"]) and si + 1 < len(spans) and \
                    _GOES_ON.match(normalise(text[spans[si + 1][0]:spans[si + 1][1]])):
                # "Yeah. So the iPad's district equipment…", "Sure. No, we're on the same page…": a "yeah" that
                # hears and then goes on to say how things are agrees to nothing
                kinds.pop("agreement")
            if "agreement" in kinds and ("refusal" in kinds or second_opinion) and _assent_only(kinds["agreement"]):
                # "Yeah, the private provider piece, we're not in a position to…": the "yeah" hears, it doesn't agree
                if "refusal" in kinds or learned.says("refusal", norm):
                    kinds.pop("agreement")
            if second_opinion and not kinds.keys() & {"refusal", "commitment", "agreement"}:
                # refusals and promises are worded in more ways than rules can list (and the transcription
                # changes words): the model reads what the rules missed; the parent's side refuses nothing
                asked = [k for k in (("commitment", "agreement") if side else ("refusal", "commitment", "offer",
                                                                                   "agreement"))
                         # "we could have her in the nurture group" proposes: the rules read it so
                         if k not in kinds and not (k == "commitment" and "offer" in kinds)
                         # what the rules rule out ("I'll chair", "last year…") the model does not read back in;
                         # a question may refuse ("and where would I find the staff?")
                         and not _vetoed({"kind": k, "questions": k == "refusal"}, norm, rs, context)]
                whole = learned.probabilities(norm, asked)
                each = [(learned.probabilities(as_said(a, b), asked), a, b) for a, b in parts] \
                    if len(parts) > 1 else []
                read, clause_best = [], {}
                said_due = due_of(sentence)
                if (_TOLD_IN_THE_PAST.search(norm) or _HABIT.match(norm) and getattr(
                        said_due, "recurring", False)) and not _AHEAD.search(norm):
                    # "We sent the consent form on August 28th", "Spring break was the week of the 22nd": what
                    # happened promises and offers nothing; nor does what is done each week already ("I ring her
                    # every Friday")
                    asked = [k for k in asked if k not in ("commitment", "offer")]
                if _just_a_date(sentence, said_due) or _ONLY_WHEN.match(norm):
                    # "End of next week.", "First one a week from tomorrow.": when, for what was just said; no
                    # promise of its own (a date put to the meeting may still be offered)
                    asked = [k for k in asked if k != "commitment"]
                for kind in asked:
                    best = max(((p[kind], a, b) for p, a, b in each), default=(0.0, s_start, s_end))
                    clause_best[kind] = best
                    if max(whole[kind], best[0]) >= learned.threshold(kind):
                        read.append((max(whole[kind], best[0]), kind, best[1:] if best[0] >= whole[kind] else None))
                if read and max(read)[1] == "agreement" and _BARE_ASSENT.match(norm) and si + 1 < len(spans) and \
                        _HEARD_THEN_GOES_ON.match(text[spans[si + 1][0]:spans[si + 1][1]].strip().lower()):
                    # "Yes. Can she have it all day?", "Yes. Because I've read it three times…": a "yes" that heard
                    # what was said, then puts the family's own question or case, agrees to nothing
                    read = []
                if read:
                    _, kind, learned_span = max(read)
                    kinds[kind] = [({"id": "learned", "kind": kind}, re.match("", ""))]
                    # "I can't get to you for quarter past eight, I've got ward handover, but I could join on
                    # Teams?": a no in one clause and another way in the next, each read in its own clause
                    other = next((r[1] for r in read if {r[1], kind} in ({"refusal", "offer"},
                                                                         {"refusal", "commitment"})), None)
                    if other is not None and learned_span is not None and \
                            clause_best[other][0] >= learned.threshold(other) and (
                            clause_best[other][2] <= learned_span[0] or learned_span[1] <= clause_best[other][1]):
                        kinds[other] = [({"id": "learned", "kind": other}, re.match("", ""))]
                        learned_spans[other] = clause_best[other][1:]
                    learned_spans[kind] = learned_span
                    # "What we'd offer is, he comes for the day": put to the family, as a rule's offer is
                    puts = puts or (asks_family and kind == "offer")
            if recap_at is not None and si > recap_at and not kinds.keys() & {"refusal", "commitment", "offer",
                                                                                 "agreement", "request"} and \
                    RECAP_ITEM_WORDS[0] <= len(norm.split()) <= RECAP_ITEM_WORDS[1] and not _RECAP_NOT.search(norm):
                kinds["commitment"] = [({"id": "recap_item", "kind": "commitment"}, re.match("", ""))]
            if "agreement" in kinds and not side and request is None and _BARE_OK.match(norm):
                # "That's fine." to "we're recording this" or "sorry, I'm in the car park" agrees to nothing
                kinds.pop("agreement")
            if not side and "commitment" in kinds and "refusal" not in kinds and "after_request" in context and \
                    _YES_I_CAN_DO_THAT.match(norm):
                kinds = {"agreement": [({"id": "can_do_that", "kind": "agreement"}, re.match("", ""))]}
            if not side and "refusal" in kinds and (_PROMISED_NOT.search(norm) or (
                    family_no and _TAKES_THE_NO.search(norm))):
                kinds = {"commitment": [({"id": "promised_not", "kind": "commitment"}, re.match("", ""))],
                         **{k: v for k, v in kinds.items() if k in ("date", "amount")}}
            if "refusal" in kinds:
                # "it isn't something we can fund" offers and promises nothing; "we can't do weekly, but what
                # we could do is…" refuses in one clause and offers in another
                for other in ("offer", "commitment"):
                    if other in kinds and other not in learned_spans and not any(
                            ((k := match_kinds(as_said(a, b), rs, context)).get(other) or
                             other == "offer" and k.get("commitment")) and "refusal" not in k
                            for a, b in parts):
                        kinds.pop(other)
            for kind, found in list(kinds.items()):
                # "if you want, I can send you the activities" leaves the choice to the parent: an offer
                for other in {o for rule, _ in found for o in rule.get("outranks", ())}:
                    kinds.pop(other, None)
            if "commitment" in kinds:
                # "if you send it, I'll take it to panel" is a promise; "of course. I'll…" agrees by promising
                kinds.pop("offer", None)
            if "agreement" in kinds and _BARE_ASSENT.match(norm) and any(
                    k == "commitment" for k in match_kinds(normalise(text[s_end:]), rs, context)):
                kinds.pop("agreement")  # "Yes. I'll send it tomorrow.": the promise says it all
            if "agreement" in kinds and "commitment" in kinds:
                # "of course I'll send it" agrees by promising: the promise is the point. "Yes, that's fair. I'll put
                # it in an email." says both, each in its own sentence: the request agreed to, and the action
                kinds.pop("agreement")
            for kind, found in kinds.items():
                if kind == "commitment":
                    continue
                if kind in ("date", "amount") and len(kinds) > 1:
                    continue  # said inside a point of its own: the point carries it
                start, end = s_start, s_end
                if long or len(kinds) > 1 or (kind == "refusal" and not_refusing):
                    # (an offer may be a clause's unasked "I can…", which its rules read as a promise)
                    hits = [(a, b) for a, b in parts if (k := match_kinds(as_said(a, b), rs, context)).get(kind) or
                            kind == "offer" and k.get("commitment") and not k.get("refusal")]
                    hit = hits[0] if hits else None
                    if hit and kind == "refusal" and len(text[hit[0]:hits[-1][1]].split()) <= REFUSAL_WORDS:
                        # "I wouldn't want to write down that he can never get one, because…, and we don't tend
                        # to do blanket exemptions": one refusal, from its first clause to its last
                        hit = (hit[0], hits[-1][1])
                    if hit and kind == "refusal":
                        # "we don't really do the written books in juniors, and hand on heart I couldn't write one
                        # every day, not with thirty of them": the refusal goes on with its reason, to the clause
                        # that turns to something else ("but what I can do…")
                        for a, b in parts:
                            if a < hit[1]:
                                continue
                            clause = as_said(a, b)
                            if _TURNS.match(clause) or match_kinds(clause, rs, context).keys() - {"refusal", "date",
                                                                                                  "amount"} or \
                                    len(text[hit[0]:b].split()) > REFUSAL_WORDS:
                                break
                            hit = (hit[0], b)
                    if hit:
                        start, end = hit
                    elif found[0][0]["id"] == "learned" and learned_spans.get(kind):
                        start, end = learned_spans[kind]
                extra = {"who": seg.speaker_id}
                if kind == "agreement":
                    extra["reply"] = request  # what was agreed to: the request or question it answers
                    if _BARE_ASSENT.match(norm) and si + 1 < len(spans) and _SAYS_WHAT.match(
                            normalise(text[spans[si + 1][0]:spans[si + 1][1]])):
                        end = spans[si + 1][1]  # "Yes. The sixth is good.": the words say what was agreed
                if kind == "refusal":
                    extra["reason"] = _reason(text, spans, si, rs)
                add(kind, start, end, found, **extra)
            if "commitment" in kinds:
                # one finding per owner and due date: a summary of actions lists several
                owner, nobodys = None, False
                actions = []
                promised_not = kinds["commitment"][0][0]["id"] == "promised_not"
                if promised_not:
                    # "I won't use Ava for messages again.": the speaker's promise, the sentence whole
                    actions.append([s_start, s_end, (seg.speaker_id, None), kinds["commitment"], False])
                for a, b in parts if not promised_not else ():
                    clause_norm = as_said(a, b)
                    # "…I'll have it on her desk by Friday, and she'll get you an answer": the adult just named
                    lead = a > s_start and _LEAD_PRONOUN.match(clause_norm)
                    clause_context = context - {"adult_named"}
                    named_before = lead and _antecedent(text[:a], lead.group(1), attendees, names, rs, child, common)
                    if named_before:
                        clause_context = clause_context | {"adult_pronoun"}
                    if _adult_named(text[a:b], names, child, common):
                        clause_context = clause_context | {"adult_named"}
                    clause_kinds = match_kinds(clause_norm, rs, clause_context)
                    hit = clause_kinds.get("commitment")
                    continues = owner is not None and re.match(r"^(?:also |then )?[a-z]+\b", clause_norm) and \
                        continues_action(clause_norm)
                    # "…and ask if Alfie can have a look round": what is to be asked is no promise of its own
                    asks = bool(actions) and _ASKS_WHETHER.match(clause_norm)
                    if hit and not clause_kinds.get("refusal") and not asks:
                        owner = _owner(text[a:b], clause_norm, seg.speaker_id, attendees, names, rs, child,
                                       text[:a], common)
                        if owner is None and any(rule.get("owner") == "speaker" for rule, _ in hit):
                            owner = (seg.speaker_id, None)  # "He'll start in the group on Tuesday": theirs to arrange
                        if owner == (seg.speaker_id, None) and named_before and \
                                any(rule["id"] == "adult_pronoun_doing" for rule, _ in hit):
                            owner = named_before  # "Gareth's taking the late marks off today, he's putting…": Gareth
                        if owner == (seg.speaker_id, None) and all(rule.get("owner") == "named" for rule, _ in hit) \
                                and not _I_OR_WE.search(clause_norm):
                            owner, nobodys = None, True  # "The inspectors are coming in on the 24th"
                        if owner is not None:
                            actions.append([a, b, owner, hit, False])
                    elif (continues or asks) and actions:
                        actions.append([a, b, owner, actions[-1][3], True])
                if not actions and not nobodys:
                    # a recap says who does what in one breath ("Anita brings the scope and sequence Thursday, and
                    # Ellen sends the work samples by Friday"): one action per person named doing something
                    for a, b in _recap_parts(text, *(learned_span or (s_start, s_end)), child):
                        owner = _owner(text[a:b], as_said(a, b), seg.speaker_id, attendees, names, rs, child,
                                       text[:a], common)
                        if (item := _NEXT_ITEM_DOER.match(text, a)) and owner == (seg.speaker_id, None):
                            # ", Hannah in next Tuesday for the risk assessment": Hannah's
                            owner = _attendee_named(_person_words(item.group("name"), child), names) or \
                                (None, item.group("name"))
                        if owner is not None:
                            actions.append([a, b, owner, kinds["commitment"], False])
                merged = []
                for a, b, who, hit, continuation in actions:
                    due = due_of(text[a:b], text[s_start:a])
                    # a clause with no subject of its own goes on with the action before it (a date in what is to be
                    # asked is not the asking's: "I'll ring Mr Brennan tomorrow and ask if Alfie can have a look
                    # round before Christmas")
                    if merged and continuation and merged[-1][2] == who and (
                            due is None or merged[-1][4] is None or _ASKS_WHETHER.match(normalise(text[a:b]))):
                        merged[-1][1] = b
                        merged[-1][4] = merged[-1][4] or due
                        continue
                    merged.append([a, b, who, hit, due])
                for i in range(len(merged) - 1, 0, -1):
                    # "I'll get you her schedule, I'll email it to you tonight": one action, with its date
                    first, then = merged[i - 1], merged[i]
                    if first[2] == then[2] and first[4] is None and then[4] is not None and \
                            _BACK_REF.match(normalise(text[then[0]:then[1]])):
                        first[1], first[4] = then[1], then[4]
                        del merged[i]
                if len(merged) == 1 and not long:
                    # the sentence, less any clause that says something of its own: in "I'll write it up, and
                    # Bernie in the office will post you a copy", Bernie's promise is the second clause alone
                    start = merged[0][0]
                    merged[0][0], merged[0][1] = _with_lead_ins(text, parts, start, s_start, s_end)
                    refused_at = next((f.offset for f in out if f.segment is seg and f.kind == "refusal" and
                                       merged[0][0] < f.offset < merged[0][1]), None)
                    if refused_at is not None and refused_at > start:
                        # "I'll send you the log every week, but we can't fund a tutor": the promise, not the no
                        merged[0][1] = start + len(re.sub(r"[\s,;:-]*(?:\b(?:but|and|so|although|though))?[\s,;:-]*$",
                                                          "", text[start:refused_at]))
                    if merged[0][0] == start > s_start and _BACK_REF.match(normalise(text[start:merged[0][1]])):
                        # "And the new support plan with the targets on, I'll send that with it": what "that" is
                        merged[0][0] = max((c for c, d in parts if d <= start), default=s_start)
                    ruled_out = _ruled_out(text, start, s_end)
                    if ruled_out and ruled_out.start() < merged[0][1]:
                        # "Tuesday to Thursday I'll keep bringing him…, but not the Friday": the promise, not
                        # what it rules out (nor its day)
                        merged[0][1] = start + len(text[start:ruled_out.start()].rstrip(" ,;:-"))
                    merged[0][4] = merged[0][4] or due_of(text[s_start:ruled_out.start()] if ruled_out else sentence)
                for i, (a, b, (who, label), hit, due) in enumerate(merged):
                    # a date said after the action's own words, before the next action's, is its date
                    upto = merged[i + 1][0] if i + 1 < len(merged) else s_end
                    # (not a day the words go on to rule out: "I'll keep bringing him, but not the Friday")
                    upto = ruled_out.start() if (ruled_out := _ruled_out(text, b, upto)) else upto
                    due = due or due_of(text[b:upto], text[s_start:b])
                    if due is None and i == len(merged) - 1 and si + 1 < len(spans):
                        # "I'll sort the pass out with reception. By Friday at the latest.": a date alone, next (or
                        # after a list of what it is: "I'll send a bag in. Spare clothes, pants, wipes. Monday.")
                        due = _date_alone(text[spans[si + 1][0]:spans[si + 1][1]], due_of)
                        if due is not None:
                            b = spans[si + 1][1]  # the quote carries the date
                            dated.add(si + 1)
                        elif si + 2 < len(spans) and \
                                _only_things(text[spans[si + 1][0]:spans[si + 1][1]], due_of) and \
                                (due := _date_alone(text[spans[si + 2][0]:spans[si + 2][1]], due_of)) is not None:
                            b = spans[si + 2][1]
                            dated.add(si + 2)
                        else:
                            # "I'll do the risk assessment. It's a long one, mind. Friday.": a date alone after a few
                            # words that neither promise nor date anything (not past "what's today", "I'll ring you")
                            for k in range(si + 2, min(si + 4, len(spans))):
                                between = [text[spans[j][0]:spans[j][1]] for j in range(si + 1, k)]
                                if sum(len(w.split()) for w in between) > BETWEEN_WORDS or any(
                                        due_of(w) is not None or _NEW_PROMISE.search(normalise(w)) for w in between):
                                    break
                                if (due := _date_alone(text[spans[k][0]:spans[k][1]], due_of)) is not None:
                                    b = spans[k][1]
                                    dated.add(k)
                                    break
                    if due is None and si > 0 and _THEN.search(as_said(a, b)):
                        # "Her next visit is the 23rd of March. I'll book Leo in for that.": the date just said
                        due = due_of(text[spans[si - 1][0]:spans[si - 1][1]])
                    if due is None and (named := anchor()[0]) is not None and named >= meeting_date and \
                            _ATTENDS.match(as_said(a, b)):
                        # "how about Wednesday April fourteenth?" "I'll dial in.": the day just named, about (said in
                        # other words than these: no phrase)
                        due = Due("", named, approx=True)
                    if due is None and i == 0 and si > 0 and si - 1 not in dated and not _VAGUE.match(
                            as_said(a, b)):
                        # "Every test, every quiz. Starting Monday. I'll send them across.": a date said alone, just
                        # before ("Yeah, I can do that." takes the date up; the action next carries it)
                        due = _date_taken_up(text, spans, si, due_of)
                    earlier = next((f for f in reversed(out) if f.segment is seg and f.kind == "commitment"), None)
                    clause = as_said(a, b)
                    if earlier is not None and (earlier.who, earlier.who_label) == (who, label) and (
                            _RESTATED.match(clause) or si > 0 and _dated(due) != _dated(earlier.due) and
                            spans[si - 1][0] <= earlier.offset < spans[si][0] and _BACK_REF.match(clause) and
                            # "I'll meet you there on the fourteenth. I'll set it up with Mr. Greene.": a new thing
                            # to do, not the dated one handed over
                            not (due is None and _SETS_UP.match(clause)) or
                            # "I'll write my own letter. David's helping me. You'll have it by April thirtieth."
                            due is not None and earlier.due is None and earlier.offset < s_start and
                            _DELIVERED.match(clause)) and \
                            not _FRONTED.search(text[max(s_start, earlier.offset + len(earlier.quote)):a]):
                        # "…so by the seventeenth at the latest. I'll send it to you and Darren at the same time.",
                        # "I'll write him a social story about Lego club. I'll put a copy in his bag on Friday."
                        # "…I'll send you the letter again. I'll do that tomorrow.": one action, with its date
                        earlier.quote = text[earlier.offset:b].strip()
                        earlier.due = earlier.due or due
                        continue
                    if due is None and earlier is not None and earlier.due is not None and earlier.due.date and \
                            (earlier.who, earlier.who_label) == (who, label) and _ADD_ON.search(clause):
                        # "I'll email her tomorrow, and I'll copy you in", "…I'll send Dan that with the programme":
                        # done with the action just promised, on its day
                        due = earlier.due
                    if _IF_CLAUSE.match(clause):
                        add("offer", a, b, hit, who=who, who_label=label)
                        continue
                    add("commitment", a, b, hit, who=who, who_label=label, due=due)
        _settle_vague(out, seg, request, side, counts)
        _refusal_with_its_reason(out, seg, spans, counts)
        _what_the_no_refuses(out, seg, spans)
        _promise_said_again(out, seg, spans, counts)
        _one_promise_in_two(out, seg, counts)
        _due_from_follow_through(out, seg)
        _offer_with_its_terms(out, seg, spans, counts)
        _one_yes(out, seg, counts)
        _offer_backed(out, seg, counts)
        # what was put to the family is still before it while the family answers, one of them after another
        # ("What if she dropped art?" "No, not the art." "I'm not switching.")
        # ("…collected at half eleven." "No." "If we just-" "No, sorry, no." "I can't do that till October."): the
        # school's few words cut off put nothing new, and what was put before them still stands
        cut_off = side is None and _CUT_OFF.search(text) and len(text.split()) <= CUT_OFF_WORDS
        previous, previous_puts = seg, (puts and side is None or put_to_family or cut_off and previous_puts) and \
            seg.speaker_id is not None
    _full_names(out, segments, names, child)
    _recap_owners(out, parent_side, names)
    _interpreted(out, attendees, segments)
    # a point whose words the transcription barely heard ("I'll care.", "I'll hit this hand.") is no point: it stays
    # in the transcript, not in the minutes
    return [f for f in out if f.kind not in POINT_KINDS or heard(f) >= HEARD_MIN]


# what an interpreter says of their own work ("I'll interpret everything", "I can't do written translation outside
# the booking", "I'll read her the comment box in Chinese"), not in the family's voice
_LANGUAGES = ("chinese|mandarin|cantonese|spanish|vietnamese|arabic|urdu|punjabi|polish|romanian|somali|bengali|"
              "ukrainian|russian|portuguese|turkish|farsi|pashto|dari|tigrinya|gujarati|tamil|korean|creole")
_OWN_INTERPRETING = re.compile(r"\b(?:interpret|translat|agency|booking|booked|interpreter|speaking for myself|"
                               r"(?:just )?(?:from|for) me,? not (?:mum|mom|her|him|dad))"
                               r"|\b(?:i'll|i will|let me) (?:just )?(?:read|give|say|explain|go through|tell)\b"
                               rf"[^.?!]{{0,40}}\b(?:her|him|them|mum|mom|dad)\b[^.?!]{{0,50}}\bin (?:{_LANGUAGES})\b",
                               re.IGNORECASE)


# the family as an interpreter names them ("This is Dad.", "Mom is saying…")
_FAMILY_WORDS = "mom|mum|dad|mother|father|grandma|grandpa|nan|nana|granddad|grandad"
# "This is Dad. Good, because we're not signing today… I want to go through it with an interpreter": the interpreter
# says whose words follow, and they are the family's (interpreters and all)
_VOICING = re.compile(r"^(?:(?:okay|ok|so|and|right),? )*(?:this is|that's|that was|it's) "
                      rf"(?:{_FAMILY_WORDS}|the (?:mom|mum|dad|mother|father))\b", re.IGNORECASE)
# an interpreter's frame around the family's words: "Mom is saying, …", "But she's saying that…", "He says no."
_PASSED_ON = re.compile(r"^(?:(?:and|so|but|okay|ok|and then|then|yes|yeah),? )*(?:the )?"
                        rf"(?:{_FAMILY_WORDS}|she|he|they|grandfather|grandmother)"
                        r"(?:(?:'s| is| are|'re) (?:saying|asking|telling you)| says| said)(?: that)?,? (?=\S)")
# the one passed on, speaking: "he'll read her a story", "she doesn't want him to lose ESL", "He accepts the group"
_RELAYED_SUBJECT = re.compile(r"(^|, |; |\b(?:and|so|but|then|because) )(?:he|she)"
                              r"(?P<verb>'ll| will| would|'d| can't| cannot|"
                              r" can| won't| wouldn't| could| couldn't| doesn't| does not| didn't| did| is not| isn't|"
                              r"'s not| is|'s(?= (?:not|happy|okay|ok|fine|going|coming|signing|bringing|sending|"
                              r"reading|taking|picking|off|free|working))| agrees| accepts| wants| needs| prefers| refuses"
                              r"| understands| thinks| signs| brings| sends| reads| likes| has)\b")
# the family's stand, passed on without a frame: "He accepts the group if…", "She doesn't want him to lose ESL."
_STANCE_PASSED_ON = re.compile(r"^(?:(?:and|so|but|then|yes|yeah|okay|ok),? )*(?:he|she) (?:agrees|accepts|refuses|"
                               r"(?:doesn't|does not) (?:want|agree|accept))\b")
_FIRST_PERSON = {"'s not": "'m not", " is not": " am not", " isn't": "'m not", " is": " am", "'s": "'m",
                 " doesn't": " don't", " does not": " do not", " has": " have"}


def _relayed(norm, relaying=False):
    """What the family said, as they said it, from an interpreter's frame ("He says every night, he'll read her a
    story in Arabic." reads as "every night, i'll read her a story in arabic."; "He accepts the group if…" as "i
    accept the group if…"): the rules then read the family's own words. The norm unchanged when nothing is passed
    on. ``relaying``: a clause of a sentence passed on, read as the family's whatever its start."""
    framed = _PASSED_ON.sub("", norm, count=1)
    if framed == norm and not relaying and not _STANCE_PASSED_ON.match(norm):
        return norm

    def first_person(m):
        verb = m.group("verb")
        verb = _FIRST_PERSON.get(verb, verb[:-1] if verb.endswith("s") and verb.startswith(" ") and
                                 verb.strip() not in ("is", "does") else verb)
        return f"{m.group(1)}i{verb}"
    return _RELAYED_SUBJECT.sub(first_person, framed)


def _interpreted(out, attendees, segments):
    """An interpreter speaks for someone in the first person ("Yes. I'm happy with this. I'll sign it today"): what
    the interpreter says they will do, refuse or agree to is theirs, unless the interpreter is speaking of their own
    work ("I can have it translated by the nineteenth"). Whom they speak for: the parent, or the young person, of the
    family at the table, whichever says least in their own voice (a deaf pupil signing, a mother who speaks Polish)."""
    family = [a.id for a in attendees.values() if a.role in ("parent", "second_parent", "young_person", "student")]
    if not family:
        return
    own_words = {who: sum(len((s.text or "").split()) for s in segments if s.speaker_id == who) for who in family}
    rank = {"parent": 0, "young_person": 1, "student": 1, "second_parent": 2}
    voiced = min(family, key=lambda who: (own_words[who], rank[attendees[who].role]))
    for f in out:
        speaker = attendees.get(f.segment.speaker_id)
        if speaker is not None and speaker.role == "interpreter" and f.who == speaker.id and \
                (not _OWN_INTERPRETING.search(f.segment.text or "") or _VOICING.match(f.segment.text or "")):
            f.who = voiced
        elif speaker is not None and speaker.role == "interpreter" and f.who is None and \
                (f.who_label or "").lower() in _PARENT_HE and attendees[voiced].role in ("parent", "second_parent"):
            # "Mom is saying okay. She'll send the form back": the parent the interpreter speaks for
            f.who, f.who_label = voiced, None


def heard(finding):
    """How surely the transcription heard a finding's words: the mean of its words' probabilities (1.0 when the
    utterance has no word probabilities: typed, scripted or imported words)."""
    seg = finding.segment
    text = seg.text or ""
    end = finding.offset + len(finding.quote)
    pos, probs = 0, []
    for w in getattr(seg, "words", None) or ():  # as the utterances carry them: {"text", "probability", …}
        said = str(w.get("text", "")).strip()
        at = text.find(said, pos) if said else -1
        if at < 0:
            continue
        pos = at + len(said)
        if finding.offset <= at < end:
            probs.append(float(w.get("probability", 1.0)))
    return sum(probs) / len(probs) if probs else 1.0


def _recap_owners(out, parent_side, names):
    """A recap's item is the action of whoever took it on when it was first said: the school's earlier promise,
    offer or agreement that shares most of its words ("Sitting for the pledge." after the history teacher's "She
    can sit for the pledge, that's fine with me"); an item said to someone by name, or named as theirs, is theirs
    ("Bernie, healthcare plan on the thirteenth.", "Gail's group, Tuesday to Friday, from next Tuesday.")."""
    from .drafting import content_words

    def stems(text):  # "sitting" and "sit", "passes" and "pass": the same word here
        return {re.sub(r"(.)\1$", r"\1", re.sub(r"(?:ing|ed|es|s)$", "", w)) for w in content_words(text)}

    for f in out:
        # said to someone by name ("Bernie, healthcare plan…"), or the item is theirs by name ("Gail's group, Tuesday
        # to Friday…", "Siobhan's letter by the twelfth.")
        addressed = re.match(r"([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)(?:[,:] |'s (?!(?:going|gonna|got|been|not|just|"
                             r"also|already|still|on|in|off|out|back|here|there)\b)(?=[a-z]))", f.quote)
        if f.kind == "commitment" and f.rule.get("id") == "learned" and not f.who_label and f.who == f.said_by and \
                addressed and names.get(addressed.group(1).lower()) not in (None, *parent_side, f.said_by) and \
                _OWNER.search(normalise(f.quote[addressed.end():])) is None:
            # "Jason, the PEP to Kerry before half term.", "Morag, your report to us by the end of next week.": a
            # recap's item said to someone by name, with no one else doing it in its words, is theirs
            f.who = names[addressed.group(1).lower()]
            continue
        if f.rule.get("id") != "recap_item" or f.who_label:
            continue
        if addressed and names.get(addressed.group(1).lower()) not in (None, *parent_side):
            f.who = names[addressed.group(1).lower()]
            continue
        words = stems(f.quote)
        best = max(((len(words & stems(g.quote)), g.segment.start_ms, g) for g in out
                    if g.kind in ("commitment", "offer", "agreement") and g.segment.start_ms < f.segment.start_ms
                    and g.rule.get("id") != "recap_item" and g.who not in parent_side), default=None,
                   key=lambda c: c[:2])
        if best is not None and best[0] >= 2:
            f.who, f.who_label = best[2].who, best[2].who_label


def _full_names(out, segments, names, child):
    """Someone not at the meeting, named once in full ("Tom Ferris, our counselor, got pulled into something") and
    then by first name ("Tom calls you this week"): the point names them in full (when only one such person has
    that first name)."""
    full = {}
    for seg in segments:
        # a sentence may start with the name: only names have their second word capitalised
        for m in re.finditer(r"\b" + _NAME_PAIR, seg.text or ""):
            words = m.group(0).lower().split()
            said = re.sub(r"['’]s$", "", m.group(0))  # "Greg Fischer's team": Greg Fischer
            if not (set(words) & (child | _NOT_NAMES)) and words[0] not in names and words[-1] not in names:
                full.setdefault(words[0], set()).add(said)
    for f in out:
        label = f.who_label or ""
        if f.who is None and re.fullmatch(r"[A-Z][a-z'-]+", label):
            # by that name, by another form of it ("Bernie"), or by its first letters ("Jas" for Jasmine Cole)
            first = label.lower()
            said = set().union(*(named for given, named in full.items() if given == first or given in
                                 _same_name(first) or len(first) >= 3 and given.startswith(first)))
            if len(said) == 1:
                f.who_label = next(iter(said))


# "Yes, I can do that." promises nothing the words name: "that" is what was asked, or the action said next
_VAGUE = re.compile(r"^(?:(?:yes|yeah|yep|sure|of course|absolutely|definitely|fine|okay|ok|right|true|then|no|oh|well|"
                    r"so|that's (?:true|fair|fine|right)),? )*(?:and )?(?:(?:i|we)(?: can| will|'ll| could| shall) "
                    r"(?:definitely |certainly |absolutely |happily )?(?:do|set|write|sort|arrange|organise|organize|"
                    r"meet|manage|look into|chase|fix|book) (?:that|it|this)(?: up| out| for you| myself| ourselves)?"
                    # "Then I'm doing it myself."
                    r"|(?:i'm|i am|we're|we are) (?:doing|sorting) (?:that|it|this)(?: myself| ourselves)?)[.!]?$")
# "So who takes it to panel?" "I will. I'll ring you tomorrow…": no action of its own when the actions are named next
# ("Then I will." alone takes on what was just said)
_BARE_WILL = re.compile(r"^(?:(?:yes|yeah|okay|ok|right|then),? )*(?:i|we) (?:will|shall)[.!]?$")
# the parent's side's "I can do that" to what the school put is assent, wherever it comes in the sentence ("I'll make
# it into a book for her" is an action of its own)
_VAGUE_PARENT = re.compile(r"\b(?:i|we)(?: can| could| will|'ll) (?:do|manage|make) (?:that|it|this|then|that day"
                           # "Shall we say Tuesday the ninth?" "I can do the ninth."
                           # ("I'll do Tuesdays." takes on a day of its own)
                           r"|(?:the )?(?:[a-z]+-)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
                           r"eleventh|twelfth|[a-z]+teenth|twentieth|thirtieth|\d+(?:st|nd|rd|th)))(?: work)?\b"
                           r"(?! (?:for|with|by|on|at|before|after|tomorrow|today|next|this|if|into|up|out|in)\b)")
# "You'll have it in writing.": an assurance that the action said next keeps
_ASSURED = re.compile(r"^(?:(?:yes|yeah|of course|absolutely|definitely|sure|okay|ok|right|and),? )*you(?:'ll| will) "
                      r"(?:have|get) (?:it|that|this|them|those|both)(?: all)?(?: in writing| back)?[.!]?$")
# a question asking who will do something ("Who's doing that?", "And who does the check-in?")
_ASKS_WHO = re.compile(r"^(?:(?:and|so|but|sorry|okay|ok|then),? )*who(?:'s| is| will|'ll| does| would|'d| can|"
                       r" (?!was\b|has\b)[a-z]+s)\b")  # "So who takes it to panel?"
_VAGUE_RULE = {"id": "vague_yes", "kind": "agreement", "title": "Sounds like agreement to what was asked"}


def _sentence_at(spans, offset):
    """The index of the sentence span (:func:`sentences`) holding the character at ``offset``; None if none does."""
    return next((i for i, (a, b) in enumerate(spans) if a <= offset < b), None)


def _refusal_with_its_reason(out, seg, spans, counts):
    """One refusal, not two: what the learned reader reads as a refusal in the sentence beside one a rule found, in
    the same utterance, is that refusal's reason ("Our EP time this year is bought in, it's eight days for the whole
    school. So she wouldn't be someone I'd put forward for the EP this year."); any other two refusals by one person
    in sentences side by side, or with one sentence between (its reason, most often), are one, said twice ("It's not
    something I can just decide, honestly. We're a trust school, staffing sits with the trust. That's one for the
    trust, not me.")."""
    mine = [f for f in out if f.segment is seg and f.kind == "refusal"]

    def sentence_of(f):
        return _sentence_at(spans, f.offset)

    ruled = {sentence_of(f) for f in mine if f.rule.get("id") != "learned"} - {None}
    drop = [f for f in mine if f.rule.get("id") == "learned" and (at := sentence_of(f)) is not None
            and ruled & {at - 1, at + 1}]
    read_as_no = {sentence_of(f) for f in drop}  # sentences the learned reader read as this refusal
    for f in drop:
        # the draft quotes the reason and the no together ("…this term's are all spoken for. I can't get him an EP
        # before Christmas, I'm sorry."), whichever of the two a rule read
        at = sentence_of(f)
        g = next((g for g in mine if g.rule.get("id") != "learned" and g.who == f.who and
                  sentence_of(g) in (at - 1, at + 1)), None)
        if g is None:
            continue
        a = min(g.offset, spans[at][0])  # the no said first is quoted from its sentence's start ("So, um, I can't…")
        b = max(g.offset + len(g.quote), f.offset + len(f.quote))
        if len(seg.text[a:b].split()) <= REFUSAL_WORDS:
            g.quote = seg.text[a:b].strip()
            g.offset = a + len(seg.text[a:b]) - len(seg.text[a:b].lstrip())
    kept = None
    for f in mine:
        if (at := sentence_of(f)) is None:
            continue
        if any(f is d for d in drop):
            # a reason read beside a refusal still carries the refusal on to the next one ("I can't go. I'll just
            # say it. I'm the only nurse… I can't go on every trip.")
            if kept is not None and at - kept[1] <= 1 + REFUSAL_GAP:
                kept = (kept[0], at)
            continue
        if kept is not None and at - kept[1] <= 1 + REFUSAL_GAP and f.who == kept[0].who and \
                len(seg.text[kept[0].offset:f.offset + len(f.quote)].split()) <= REFUSAL_WORDS:
            first = kept[0]
            first.quote = seg.text[first.offset:f.offset + len(f.quote)].strip()
            first.reason = first.reason or f.reason
            drop.append(f)
            kept = (first, at)
        else:
            kept = (f, at)
    if drop:
        out[:] = [f for f in out if not any(f is d for d in drop)]
        _renumber(out, seg, "refusal", counts)
    # "I can't really tell twenty-four families what they can send. That's not something we'd be able to do.", "We
    # don't release footage that has other students in it. That's a district policy.": the no said just before, in
    # words no rule reads (but the learned reader does), is the same refusal
    taken = [(g.offset, g.offset + len(g.quote)) for g in out if g.segment is seg]
    for f in (g for g in out if g.segment is seg and g.kind == "refusal"):
        at = sentence_of(f)
        if not at or f.offset > spans[at][0] + 3:
            continue
        a, b = spans[at - 1]
        said = seg.text[a:b]
        if (_SAYS_NO.search(normalise(said)) or at - 1 in read_as_no) and not said.rstrip().endswith("?") and \
                not any(x < b and a < y for x, y in taken) and \
                len(seg.text[a:f.offset + len(f.quote)].split()) <= REFUSAL_WORDS:
            f.quote, f.offset = seg.text[a:f.offset + len(f.quote)].strip(), a


def _what_the_no_refuses(out, seg, spans):
    """A bare no goes on with what it says no to, said just after it: "No. Not choir.", "No. Sorry. I don't want
    school ringing CAMHS about her without me there.", "No. Absolutely not. Not Maple House." (the draft quotes what
    was refused, not "No.")."""
    from .drafting import content_words  # drafting imports this module

    mine = [g for g in out if g.segment is seg]
    for f in (g for g in mine if g.kind == "refusal" and content_words(g.quote) - _APOLOGY - _HOW_SAID and
              not content_words(g.quote) - _NOTHING_NAMED):
        # a no that names nothing in words of its own ("I can't promise you anything.", "That's not happening.")
        # goes on from what it answers, said just before it: "…it's set through June and the money for it's spent.
        # …I can't promise you anything."
        at = _sentence_at(spans, f.offset)
        if not at:
            continue
        a, b = spans[at - 1]
        said = seg.text[a:b]
        if not said.rstrip().endswith("?") and len(said.split()) <= NAMED_BEFORE_WORDS and \
                content_words(said) - _NOTHING_NAMED - _APOLOGY and not any(g is not f and _quotes_in(g, a, b)
                                                                            for g in mine):
            f.quote, f.offset = seg.text[a:f.offset + len(f.quote)].strip(), a
    for f in (g for g in mine if g.kind == "refusal" and not content_words(g.quote) - _APOLOGY):
        at = _sentence_at(spans, f.offset)
        if at:
            # what it says no to, said just before it: "Not in SATs year. No. Sorry, but no."
            a, b = spans[at - 1]
            said = seg.text[a:b]
            if len(said.split()) <= NOT_WHAT_WORDS and _NOT_BEFORE.match(normalise(said)) and not any(
                    g is not f and _quotes_in(g, a, b) for g in mine):
                f.quote, f.offset = seg.text[a:f.offset + len(f.quote)].strip(), a
        while at is not None and at + 1 < len(spans):
            a, b = spans[at + 1]
            said = seg.text[a:b]
            if len(said.split()) > NOT_WHAT_WORDS or not _NOT_WHAT.match(normalise(said)) or any(
                    g is not f and _quotes_in(g, a, b) for g in mine):
                break
            f.quote, at = seg.text[f.offset:b].strip(), at + 1


def _offer_with_its_terms(out, seg, spans, counts):
    """An offer announced in a few words goes on with its terms in the next sentence ("What about a halfway house,
    though? He does period five with me in the Base.", "What I'd suggest is we do it in layers. Hannah and Bev on the
    accredited course…"): the draft quotes both; when the next sentence is itself an offer, the two are one."""
    mine = [f for f in out if f.segment is seg]
    drop = []
    for f in [g for g in mine if g.kind == "offer"]:
        if any(f is d for d in drop) or len(f.quote.split()) > OFFER_FRAME_WORDS:
            continue
        at = _sentence_at(spans, f.offset + len(f.quote) - 1)  # the sentence its last character is in
        if at is None or at + 1 >= len(spans):
            continue
        a, b = spans[at + 1]
        there = [g for g in mine if g is not f and not any(g is d for d in drop) and _quotes_in(g, a, b)]
        if not there:
            f.quote = seg.text[f.offset:b].strip()
        elif len(there) == 1 and there[0].kind == "offer" and there[0].who == f.who:
            g = there[0]
            g.quote, g.offset = seg.text[f.offset:g.offset + len(g.quote)].strip(), f.offset
            drop.append(f)
    if drop:
        out[:] = [f for f in out if not any(f is d for d in drop)]
        _renumber(out, seg, "offer", counts)


OFFER_FRAME_WORDS = 12


def _promise_said_again(out, seg, spans, counts):
    """One promise, not two: a later promise in the same utterance, by the same person, whose words (less its date)
    all come from an earlier one, says it again ("I'll ask Dr. Feld whether there's room for Spanish. I'm not
    promising anything. I'm just saying I'll ask."); its date, if the first had none, is the first's."""
    from .drafting import content_words  # drafting imports this module

    mine = [f for f in out if f.segment is seg and f.kind == "commitment"]
    drop = []
    for i, f in enumerate(mine):
        norm = normalise(f.quote)
        # "And Jo in transport will ring you about Monday. She'll ring you this week.": said again, with its date
        words = content_words(f.quote) - _SAYING_WORDS - (content_words(f.due.phrase) if f.due else set())
        if _ASKS_THEM.search(norm):
            words -= {"him", "her", "them"}  # "I'll ask him." after "I'll ask Greg about the bus."
        # "I'll come.", "I'll push for it.", "Leave that with me." after a promise of the same person's: no thing of
        # its own to do, so the promise just made, said again (before any promise, it takes up what was asked)
        thingless = len(norm.split()) <= THINGLESS_WORDS and words <= _DOING_WORDS
        at = _sentence_at(spans, f.offset)
        if _VOUCHES.match(norm) and at:
            # "…it goes in the register properly and you get a letter the same day. I'll make sure of that.": it
            # vouches for the sentence just said, which no point holds, so that is what it promises
            a, b = spans[at - 1]
            if len(seg.text[a:b].split()) >= VOUCHED_WORDS and not seg.text[a:b].rstrip().endswith("?") and not any(
                    g.segment is seg and _quotes_in(g, a, b) for g in out):
                f.quote, f.offset = seg.text[a:f.offset + len(f.quote)].strip(), a
                continue
        same = [g for g in mine[:i] if g.who == f.who and g.who_label == f.who_label and not any(g is d for d in drop)]
        first = next((g for g in same if _VOUCHES.match(norm) or words and words <= content_words(g.quote)), None)
        if first is None and thingless and same:
            first = same[-1]
        if first is not None:
            if first.due is None and f.due is not None and first.offset < f.offset and \
                    len(seg.text[first.offset + len(first.quote):f.offset].split()) <= SAID_AGAIN_GAP_WORDS:
                # "And I'll ring the museum. A lot of them do a handling session… I'll ring them this week.": the
                # quote runs on to the day it is given
                first.quote = seg.text[first.offset:f.offset + len(f.quote)].strip()
            first.due = first.due or f.due
            drop.append(f)
    if drop:
        out[:] = [f for f in out if not any(f is d for d in drop)]
        _renumber(out, seg, "commitment", counts)


def _one_promise_in_two(out, seg, counts):
    """One promise said in two breaths is one point: "I'll tell them. I'll tell Lorraine before we go." (the first
    says nothing the second doesn't), "I'll write you a letter for the panel. You'll have it by the end of next
    week." (the second only delivers what the first made). Said one straight after the other by the same person,
    the two become one finding that quotes both, with the date either gave."""
    from .drafting import content_words  # drafting imports this module

    text = seg.text or ""
    mine = sorted((f for f in out if f.segment is seg and f.kind == "commitment"), key=lambda f: f.offset)
    drop = []
    for f, g in zip(mine, mine[1:]):
        if any(f is d for d in drop) or (f.who, f.who_label) != (g.who, g.who_label) or \
                not _ADJOINS.match(text[f.offset + len(f.quote):g.offset]):
            continue
        later, between = normalise(g.quote), normalise(text[f.offset + len(f.quote):g.offset + len(g.quote)])
        if _AS_WELL.search(later) or re.match(r"^[.!?]* ?and\b", between) and (
                f.quote.rstrip()[-1:] in ".!?" or between.startswith((".", "!", "?"))):
            continue  # "I'll ring her. I'll also send the report.", "I'll come to that. And I'll come in before…"
        if f.due and g.due and f.due.date and g.due.date and f.due.date != g.due.date and not (
                _HANDED_OVER.match(later) or _STARTS_IT.match(later)):
            continue  # "I'll ring SENDIASS this week…, and I'll send it before Christmas": two days, two actions
        first = normalise(f.quote)
        first_words = content_words(f.quote) - _SAYING_WORDS - _PRONOUNS - _MODALS - \
            (content_words(f.due.phrase) if f.due else set())
        # "Leave it with me, I'll ring the leisure centre", "I'll take her. I'll drive her over on the twelfth": the
        # first names nothing to do that the second doesn't ("I'll ask him. I'll let you know what he says." does)
        thingless = len(first.split()) <= THINGLESS_WORDS and first_words <= _VAGUE_DOING
        lead_in = _LEADS_IN.match(first)
        if lead_in and re.search(r"\b(?:i|we|you|he|she|they)(?:'ll| will| can|'d| would)\b|^,? is\b",
                                 first[lead_in.end():]):
            lead_in = None  # "what I'll do is, at the next review, we'll look at it properly": a promise of its own
        if not (first_words and first_words <= content_words(g.quote) or thingless or lead_in or
                _DELIVERS.match(later) or _STARTS_IT.match(later) or _same_doing_again(first, later) or
                # "I'll meet Mr. Stanton myself… I'm in on the fourteenth for something else, I'll do it then."
                f.due is None and g.due is not None and _DOES_IT_THEN.search(later)):
            continue
        g.quote, g.offset = text[f.offset:g.offset + len(g.quote)], f.offset
        g.due = g.due or f.due
        drop.append(f)
    if drop:
        out[:] = [f for f in out if not any(f is d for d in drop)]
        _renumber(out, seg, "commitment", counts)


# a promise that carries the one just made through to the family, to the one it was about, or to its answer: "…, and
# I'll let you know by Friday", "I'll ring them this week" (after "I'll speak to SENDIASS myself"), "…, and you'll
# have an answer in writing by December 4th"
_FOLLOWS_THROUGH = re.compile(
    r"^(?:(?:and|so|then|and then|but),? )*(?:(?:i|we)(?:'ll| will|'m going to| am going to|'re going to) (?:then )?"
    r"(?:let (?:you|mum|mom|dad)(?: (?:both|all))? know|come back to you|get back to you|"
    r"(?:have|get) (?:you )?(?:an|the) (?:answer|update|outcome|decision|reply)\b|"
    r"(?P<them>(?:ring|call|phone|email|e-mail|text|contact|speak to|talk to|catch|ask|chase|write to|message) "
    r"(?:him|her|them)\b))|you(?:'ll| will) (?:have|get|hear)(?: back)? (?:an answer|the answer|a decision|a reply|"
    r"an update|the outcome|something in writing|it in writing|from (?:me|us|him|her|them))\b)")
# who "him", "her" or "them" in the promise that follows can be: someone named ("Dr. Patel", "Mark Ellison") or a
# service ("the SALT service", "Access Services"), not the child
_SOMEONE_NAMED = re.compile(r"(?<=.)\b(?:(?:Dr|Mr|Mrs|Ms|Miss)\.? )?(?:[A-Z][a-z]+|[A-Z]{2,})\b|\b(?:office|team|service|services|"
                            r"coordinator|director|manager|company|clinic|panel|lead)\b")
FOLLOW_THROUGH_GAP_WORDS = 12  # the most words between a promise and the one that carries it through


def _due_from_follow_through(out, seg):
    """A promise with no day of its own is due when the promise that carries it through is ("I'll ring the company
    and find out what a home licence costs, and I'll let you know by Friday": the ringing by Friday too). Both stay
    points; only the first takes the day."""
    text = seg.text or ""
    mine = sorted((f for f in out if f.segment is seg and f.kind == "commitment"), key=lambda f: f.offset)
    for f, g in zip(mine, mine[1:]):
        if f.due is not None or g.due is None or g.due.date is None or (f.who, f.who_label) != (g.who, g.who_label):
            continue
        between = text[f.offset + len(f.quote):g.offset]
        through = _FOLLOWS_THROUGH.match(normalise(g.quote))
        if through is None or len(between.split()) > FOLLOW_THROUGH_GAP_WORDS:
            continue
        if through.group("them") and not any(m.group(0).lower().rstrip("s") not in _NOT_NAMES
                                             for m in _SOMEONE_NAMED.finditer(f.quote)):
            continue  # "Printed packs, Fridays, from reception. I'll email her teachers today.": "her" is the child
        f.due = g.due


# a day ruled out after a promise, at its end: "…, but not the Friday."
_BUT_NOT = re.compile(r"\bbut (?:not|never)\b(?:\W+\w+){0,5}\W*$", re.IGNORECASE)


def _ruled_out(text, start, end):
    """What a promise goes on to rule out, the last few words of its sentence ("I'll keep bringing him, I've squared
    that with work, but not the Friday."), not a sentence that goes on ("…but not the reading paper, and the reading
    paper's extra time in the small room")."""
    return _BUT_NOT.search(text[:end].rstrip(), start)


# a promise's verb: "I'll call Dan Kowalski…" calls
_PROMISE_VERB = re.compile(r"^(?:(?:and|so|then|okay|right|yeah|yes),? )*(?:i|we)(?:'ll| will|'m going to| am going to|"
                           r"'re going to| are going to) (?:just |then |personally )?([a-z]+)\b")


def _same_doing_again(first, later):
    """The same doing again, to whom or what was just named: "I'll call Dan Kowalski, he's the safety manager at
    Tri-County. I'll call him by Friday and ask about…" is one call."""
    a, b = _PROMISE_VERB.match(first), _PROMISE_VERB.match(later)
    return bool(a and b and a.group(1) == b.group(1) and a.group(1) not in ("be", "have", "get", "do") and
                re.match(r" (?:him|her|them|it|that)\b", later[b.end():]))


# the promise just made, given its day: "I'll do it then.", "I'll do that on the day."
_DOES_IT_THEN = re.compile(r"\b(?:i|we)(?:'ll| will| can) (?:just )?do (?:it|that|this|them|both) (?:then|that day|on the day|"
                           r"while (?:i'm|i am|we're|we are) (?:here|there|in))[.!]?$")
# what the one promised to hears of it, not a second thing done: "You'll have it by the end of next week."
_HANDED_OVER = re.compile(r"^(?:(?:and|so|then|yes|yeah),? )*you(?:'ll| will) (?:have|get) (?:it|that|them|this|those|both)\b")
# a promise's lead-in, said as a clause of its own: "And what I'll do, for this half term and the first half term
# back, I'll ring you every Friday"
_LEADS_IN = re.compile(r"^(?:(?:and|so),? )?what (?:i|we)(?:'ll| will|'m going to| am going to|'re going to) do\b")
# when the promise just made starts: "Starting- well, he won't be here this Friday, so starting next Friday."
_STARTS_IT = re.compile(r"^(?:(?:and|so|well),? )?(?:starting|beginning|from)\b")
# what lies between two promises said one after the other: a stop, a comma, an "and"
_ADJOINS = re.compile(r"^[\s,.;:!?\u2013\u2014-]*(?:(?:and|so|then|and then)\b[\s,]*)?$", re.IGNORECASE)
# a second thing, not the first said again: "I'll also…", "…as well", "…too"
_AS_WELL = re.compile(r"\b(?:also|as well|too|another|separately|on top of that)\b")
_PRONOUNS = frozenset({"him", "her", "them", "that", "this", "those", "these", "you", "she", "they", "it's", "that's"})
_MODALS = frozenset({"won't", "can't", "will", "can", "could", "would", "shall", "should", "don't", "isn't", "wouldn't",
                     "couldn't", "i'm", "we're", "you'll", "it'll", "that'll", "there'll"})
# the words of a promise that is only a promise, its thing still to come ("Leave it with me", "I'll take her", "I'll
# sort it"), not one that does something ("I'll ask him", "I'll chase them", "I'll let you know")
_VAGUE_DOING = frozenset({"leave", "take", "come", "sort", "do", "make", "sure", "see", "try", "deal", "handle",
                          "happen", "both", "course", "okay", "fine", "right", "yes", "yeah", "then", "now",
                          "today", "straight", "away", "onto", "get", "back", "out", "definitely"})
# the promise that only delivers what the one before made: "You'll have it by Friday.", "I'll get that to you
# Monday." (not "You'll have the report within a fortnight" after "I'll copy the GP into my report": a thing of its own)
_DELIVERS = re.compile(r"^(?:(?:and|so|then|and then|yes|yeah),? )*(?:you(?:'ll| will) (?:have|get) (?:it|that|them|this|"
                       r"those|both)|(?:i|we)(?:'ll| will) (?:have|get|send|give|email|post|bring)"
                       r" (?:it|that|them|this|those|both)(?: (?:all|over|across|back|through))?(?: (?:to|over to) you)?"
                       # "That goes out this week.", "It'll be with you by Friday."
                       r"|(?:that|it|this|they|those)(?:'ll| will|'s| is|'re| are)?(?: be)? (?:go(?:es|ing)? out|with you|"
                       r"(?:sent|posted|emailed|done|ready|in the post)))"
                       # then only when: "…by Friday", "…tomorrow" (not "I'll have them reply")
                       r"(?:[.!,]?$|,? (?:by|on|in|before|after|within|from|at|for|tomorrow|today|tonight|next|this|first|"
                       r"early|asap|the (?:end|start|beginning)|monday|tuesday|wednesday|thursday|friday)\b)")


# the words that only say a promise is being said again ("I'm just saying I'll ask")
_SAYING_WORDS = frozenset({"saying", "say", "said", "just", "again", "like", "promise", "promised", "promising",
                           "anything", "not", "i'm", "i'll", "i'd", "we're", "we'll", "we'd", "he'll", "she'll",
                           "they'll", "definitely",
                           "really", "honestly", "absolutely"})
# a no said twice, or with its thanks or its "absolutely not": "No. Sorry, no, absolutely not.", "No. No, thank you.",
# "No. Not in her first week."
_EMPHATIC_NO = re.compile(r"^(?:(?:um|uh|oh|well),? )?no[,.!]? (?:(?:no|sorry|i'm sorry)[,.!]? )*(?:no[,.!]? )?(?:thank you|thanks|"
                          r"absolutely not|definitely not|certainly not|no way|not\b(?! (?:really|sure|at all|that|quite|"
                          r"exactly|much|always|yet|necessarily|too|so|very|bad)\b))")
# an utterance broken off ("If we just-", "Can I just—"): a few words and a dash
_CUT_OFF = re.compile(r"[-\u2013\u2014]\s*$")
CUT_OFF_WORDS = 5
# how likely (the learned reader) a school's sentence proposes something for the family's answer to decline it
PUT_OFFER = 0.5
# the words of a promise that names nothing to do ("I'll ask.", "I'll be there.", "I'll chase it up.")
# ("I'll ring you the day after." names its thing: the call)
_DOING_WORDS = frozenset({"ask", "come", "make", "sure", "push", "leave", "let", "there", "both", "back", "do", "sort",
                          "check", "chase", "raise", "look", "see", "try", "follow", "deal", "handle", "take", "pass",
                          "find", "out", "start", "happen", "then", "course", "okay", "fine", "right", "yes", "yeah",
                          "go", "get", "onto", "straight", "away", "now", "today", "through"})
THINGLESS_WORDS = 6
# the most words a promise's quote runs on to the same promise said again with its day
SAID_AGAIN_GAP_WORDS = 40
VOUCHED_WORDS = 5  # "Before Thanksgiving break. I'll make it happen." vouches for the promise before the date
# what is to be asked, said after the call that asks it: "…and ask if Alfie can have a quiet look round"
_ASKS_WHETHER = re.compile(r"^(?:(?:and|then),? )*(?:ask|check|find out|see)(?: (?:him|her|them|[a-z]+))? (?:if|whether)\b")
# a promise that only vouches for the one before it: "I'll make sure of that.", "I'll make it happen.", "You've got my
# word on the nineteenth."
_VOUCHES = re.compile(r"^(?:(?:and|so|yes|yeah|oh|okay|look|honestly),? )*(?:(?:i|we)(?:'ll| will) (?:make sure (?:of )?(?:that|it)|"
                      r"make (?:that|it) happen)|(?:you(?:'ve| have)(?: got)?|you'll have|i give you|i'll give you) my word"
                      r"(?: on (?:that|it|this|the [a-z]+))?)[.!]?$")
# a promise to be in touch with someone, named before and now "him", "her" or "them"
_ASKS_THEM = re.compile(r"\b(?:ask|tell|ring|call|phone|email|e-mail|text|speak to|talk to|contact|chase|remind|check with) "
                        r"(?:him|her|them)\b")


# the family's no to what was put, said with "that" after its reasons: "Two buses, there and back, every day. I've got
# my hip. I can't do that till October."
_DECLINES_THAT = re.compile(r"^(?:(?:so|and|but|well|honestly|sorry),? )*(?:i|we) (?:just |really |honestly )?(?:can't|cannot|"
                            r"couldn't|won't) (?:do|manage|agree to|accept|have|sign) (?:that|it|this)\b")


# the family's no after its reasons: "We went round in October. It's lovely, it's just- … So no, I don't want to go
# round again, sorry."
_SO_NO = re.compile(r"^(?:so|and|but|well|then),? no\b[,.!]?")


# what a bare no says no to, said just after it ("Not choir.", "No, not the art.", "Sorry, no.", "I don't want school
# ringing CAMHS about her without me there.", "She's not going home at noon.")
_NOT_WHAT = re.compile(r"^(?:(?:i'm )?sorry[.!]?$|(?:(?:no|absolutely|definitely|certainly|please|sorry|i'm sorry|um|uh|oh),? )*"
                       r"(?:not\b(?! (?:yet|really|sure|at all|that i know|exactly)\b)|no[.!]?$|(?:[a-z-]+ ){0,2}[a-z-]+,? no[.!]?$"
                       r"|(?:i|we) (?:really |just )?(?:don't|do not) want (?!to (?:say|interrupt|be rude|sound)\b)"
                       r"|(?:i'm|we're|he's|she's|they're|i am|we are|he is|she is) not (?!(?:sure|saying|being|blaming|"
                       r"trying|asking|against)\b)"
                       # "504 is not enough.", "That's not an option."
                       r"|(?:[a-z0-9'-]+ ){0,2}[a-z0-9'-]+(?: is|'s| are|'re) (?:just |still )?not (?:enough|an option|"
                       r"good enough)[.!]?$))")
# what a bare no says no to, said just before it ("Not in SATs year.", "Not the hall, no.")
_NOT_BEFORE = re.compile(r"^(?:(?:um|uh|oh|sorry|well|honestly|no),? )*not (?!(?:yet|really|sure|at all|that i know|"
                         r"exactly|bad|quite|necessarily|always|much|me|us|now)\b)[a-z]")
NOT_WHAT_WORDS = 12
NAMED_BEFORE_WORDS = 30  # the longest sentence a no that names nothing goes on from
# the words of a no that names nothing it refuses ("I can't promise you anything.", "That's not happening.", "It's not
# possible, I'm afraid.")
_NOTHING_NAMED = frozenset(("anything", "promise", "can't", "cannot", "won't", "not", "that's", "it's", "happening",
                            "happen", "yet", "really", "tell", "either", "way", "afraid", "i'm", "something",
                            "possible", "honestly", "realistically", "definitely", "option", "today", "now", "just",
                            "simply", "able", "going", "guarantee", "i'd", "we'd", "i'll", "we'll", "would",
                            "wouldn't", "couldn't", "can", "could", "do", "doing", "there", "that", "no", "sorry"))
# how a bare no is said ("I- honestly, no."): still a bare no
_HOW_SAID = frozenset(("honestly", "realistically", "definitely", "really", "just", "simply", "afraid", "i'm", "no"))
_APOLOGY = frozenset(("sorry", "thanks", "thank"))  # "No. Sorry, but no." says no to nothing named


# a clause that turns from what was refused to something else: "but what I can do…", "although…"
_TURNS = re.compile(r"^(?:but|however|although|though|whereas|what (?:i|we) (?:can|could)|instead|on the other hand|"
                    r"saying that|that said|mind you)\b")


# a sentence that says no in its own words ("I can't really tell twenty-four families…")
_SAYS_NO = re.compile(r"\b(?:i|we)(?: just| really| honestly| simply)? (?:can't|cannot|can not|won't|couldn't|wouldn't|"
                      r"(?:'m|am|are|'re) not (?:able|in a position) to"
                      r"|(?:don't|do not) (?:tend to|normally|usually|generally))\b"
                      r"(?! (?:wait|believe|thank|imagine|remember)\b)"
                      r"|(?:^|, |\bbut )no[.!]?$"  # "Budget-wise, honestly, Craig, no.", "But no."
                      # "…just so everybody knows, our team doesn't follow children into secondary."
                      r"|\b(?:our|the) (?:team|service|school|district|council|trust|authority|department|office) "
                      r"(?:just |really )?(?:doesn't|does not|don't|do not|won't|will not|can't|cannot)\b")


# an offer that only backs the one just made: "I'd like to do that for him.", "I'd be happy to do that."
_BACKS_IT = re.compile(r"^(?:(?:and|so|honestly),? )*(?:i'd|we'd|i would|we would) (?:really )?(?:like|love|want|be happy|"
                       r"be glad) to (?:do|try|offer) (?:that|this|it)(?: for (?:him|her|them|you))?(?: as well| too)?[.!]?$")


def _offer_backed(out, seg, counts):
    """One offer, not two: "What he can have is rest breaks, and the small room. I'd like to do that for him." The
    second only backs the first, said straight after it by the same person; the offer quotes both."""
    _join_pairs(out, seg, counts, "offer", keep_second=False, joins=lambda f, g, between: (
        (f.who, f.who_label) == (g.who, g.who_label) and _BACKS_IT.match(normalise(g.quote)) and
        _ADJOINS.match(between)))


_YES_BETWEEN = re.compile(r"^[\s,.;:!?-]*(?:(?:yes|yeah|yep|okay|ok|sure|right|fine|and|so)\b[\s,.;:!?-]*)*$", re.IGNORECASE)


def _one_yes(out, seg, counts):
    """One yes, not two: a bare "Yes." and the assent said straight after it, by the same person, to the same thing
    ("Yes. Yeah, go, thank you, Josie…", "Yes. Yes, that's fine.") are one agreement quoting both."""
    _join_pairs(out, seg, counts, "agreement", keep_second=True, joins=lambda f, g, between: (
        f.who == g.who and f.reply == g.reply and _BARE_ASSENT.match(normalise(f.quote)) and
        _YES_BETWEEN.match(between)))


def _join_pairs(out, seg, counts, kind, keep_second, joins):
    """Make two of an utterance's findings of one kind, one straight after the other, one finding quoting both where
    ``joins(first, second, words_between)`` says they are one point; the one kept is the second or the first."""
    text = seg.text or ""
    mine = sorted((f for f in out if f.segment is seg and f.kind == kind), key=lambda f: f.offset)
    drop = []
    for f, g in zip(mine, mine[1:]):
        if any(f is d for d in drop) or not joins(f, g, text[f.offset + len(f.quote):g.offset]):
            continue
        kept, gone = (g, f) if keep_second else (f, g)
        kept.quote, kept.offset = text[f.offset:g.offset + len(g.quote)], f.offset
        drop.append(gone)
    if drop:
        out[:] = [f for f in out if not any(f is d for d in drop)]
        _renumber(out, seg, kind, counts)


def _quotes_in(finding, a, b):
    """Whether a finding's quote takes in any of the text from ``a`` to ``b``."""
    return finding.offset < b and a < finding.offset + len(finding.quote)


def _renumber(out, seg, kind, counts):
    """Number an utterance's findings of one kind again, in order, after some were dropped or turned into another
    kind (a finding's id is its place among its kind)."""
    left = [f for f in out if f.segment is seg and f.kind == kind]
    for n, f in enumerate(left):
        f.n = n
    counts[kind] = len(left)


def _settle_vague(out, seg, request, side, counts):
    """An utterance's "I can do that" is no action of its own when the same person names the action next
    ("Yes, I can do that. I'll ring you on the 25th."), or when the parent's side says it to what the school put:
    it agrees to what was asked (when something was), and the named action, if any, is the point."""
    mine = [f for f in out if f.segment is seg and f.kind == "commitment"]
    for f in mine:
        norm = normalise(f.quote)
        named_next = any(g.offset > f.offset and (g.who, g.who_label) == (f.who, f.who_label) for g in mine)
        named_before = any(g.offset < f.offset and (g.who, g.who_label) == (f.who, f.who_label) and
                           not _VAGUE.match(normalise(g.quote)) for g in mine)
        if f.due is None and named_next and _ASSURED.match(norm):
            # "You'll have it in writing. I'll get the plan typed up and over to you by Wednesday.": the action is next
            del out[next(i for i, g in enumerate(out) if g is f)]  # by identity: two findings may read alike
            continue
        vague = side and _VAGUE_PARENT.search(norm)
        if vague and any(0 <= norm.find(said) < vague.start() for _, said in f.matched if said):
            vague = None  # "I'll send you our template letter, and we can do it together": the letter is the action
        if f.due is not None or not (_VAGUE.match(norm) or vague or named_next and _BARE_WILL.match(norm)):
            continue
        if named_before and _VAGUE.match(norm):
            # "I'll do her a visual timetable with photos. Yes, I'll do that.": the action, said again
            del out[next(i for i, g in enumerate(out) if g is f)]
            continue
        if not (named_next or side) or not named_next and request is not None and _ASKS_WHO.match(normalise(request)):
            continue  # "Who's doing that?" "I'll do it.": the action asked about, taken on
        if side and request is None and not named_next and not vague:
            continue  # "The proper route is an optometrist." "I'll book it.": what the school suggested, taken on
        at = next(i for i, g in enumerate(out) if g is f)  # by identity: two findings may read alike
        if request is not None and not any(g.segment is seg and g.kind == "agreement" for g in out) and not (
                named_next and _ASKS_WHO.match(normalise(request))):
            n = counts.get("agreement", 0)
            counts["agreement"] = n + 1
            out[at] = dataclasses.replace(f, kind="agreement", n=n, who=seg.speaker_id, who_label=None, reply=request,
                                          rule=_VAGUE_RULE, matched=(("vague_yes", f.quote),))
        else:
            del out[at]
    _renumber(out, seg, "commitment", counts)


# a question put to everyone ("is everyone in agreement that…?"): a professional's "yes" to it agrees
_PUT_TO_MEETING = re.compile(r"\b(?:is|are) (?:everyone|everybody|we all) (?:happy|agreed|in agreement|okay|ok|content)"
                             r" (?:with|that)\b")


# a question that puts something to the family ("How do you feel about the bus?", "if you're happy to sign today",
# "is the mileage thing an option at all?"), not one that asks what happened ("Has he had a hearing test?")
_PROPOSES = re.compile(
    r"\b(?:would|do|does|how do|how would) (?:you|he|she|they) (?:like|want|fancy|feel about|think about|be happy)\b"
    r"|\b(?:how|what) about\b|\bif you(?:'re| are) (?:happy|ok|okay|alright|all right|willing) to\b"
    r"|\b(?:an|the) option\b|\bwould (?:it|that) help\b"
    # a date put to them: "I was thinking straight after Easter, so Thursday the fifteenth?", "Does Tuesday work?"
    r"|\b(?:i was|i'm|we were|we're) (?:just )?thinking\b|\b(?:does|would) (?:that|it|[a-z]+day) (?:work|suit)\b"
    # announced before it is put: "the other thing I wanted to put out there…", "I want to throw something out"
    r"|\b(?:i|we) (?:just )?(?:want(?:ed)? to|'d like to|would like to|'m going to|am going to|was going to|were going to)"
    r" (?:put|throw|float)"
    r"(?: (?:something|this|it|an idea|one (?:thing|idea)|something else))?(?: out)?(?: there)?\b"
    r"(?=(?: [a-z]+)?[,.!?:-]|$)|\bcan i (?:just )?(?:float|throw out|put out there) (?:something|an idea|one (?:thing|idea))\b"
    r"|\b(?:this|it)(?:'s| is) just an idea\b"
    # asked of the family: "would either of you be able to come in at lunch?"
    r"|\bwould (?:you|either of you|one of you|you both|both of you) be (?:able|willing|happy|okay|ok|up for)\b"
    # "Would you at least go and look at it?"; "I'd like Reuben in it."
    r"|\bwould (?:you|either of you|one of you|you both|both of you) (?:at least |just |maybe |perhaps |even )?(?:go|come"
    r"|look|consider|try|think about|visit|meet|sign|bring)\b[^?]*\?$"
    r"|\b(?:i|we)(?:'d| would) (?:like|love) (?:him|her|them|[a-z]+) (?:in|on|to (?:try|join|come|go|do|have|start))\b"
    r"|\b(?:shall|could|can) (?:we|i) (?:try|put|move|book|do|have|give|get|start|look at|meet|make it|say|set up"
    r"|arrange)\b"
    r"|\b(?:he|she|they|you) could (?:go|have|try|join|come|use|do|sit|start|get|take)\b"
    # asked of the family: "Could one of you get to that?", "Could it live in her backpack?"
    r"|^(?:(?:so|and|but|then|okay|ok|um|uh|or),? )*(?:could|can) (?:one of you|either of you|you both|both of you|it"
    r"|you) (?!(?:just )?(?:tell|remind|say|explain|describe|confirm|clarify|remember|hear|see me|repeat)\b)[a-z]+\b"
    r"[^?]*\?$"
    # another way put as a question: "Or a hat, if the hallway lights are bad?"
    r"|^(?:(?:and|so|um|uh),? )*or (?:a|an|the|some|maybe|perhaps) [^?]{1,60}\?$"
    # the school's preference, put to them: "the district would rather the kid stayed back"
    r"|\b(?:would|'d) rather (?:he|she|they|the [a-z]+|[a-z]+) (?:stayed|stays|went|did|didn't|wasn't|had|kept|waited|"
    r"used|sat|came|left)\b"
    # "We could keep doing that": the way things are, put to them
    r"|\b(?:we|i) could (?:keep|carry on|continue|just|always|also)\b"
    r"|\b(?:a|one) (?:[a-z-]+ ){0,3}(?:place|space|bed|slot|spot|vacancy)s? (?:has |have )?(?:come up|available|free)\b"
    r"|\b(?:i|we)(?:'d| would) (?:love|like) to (?:have|see) you\b|\bif you (?:wanted|want|'d like|would like)\b"
    r"|\byou(?:'re| are|'d| would|'ll| will)(?: both| all)?(?: be)? (?:very |really |more than |always |so )?welcome\b"
    # "her proposal is adapted P.E.", "my suggestion would be…"
    r"|\b(?:her|his|my|our|the|their) (?:proposal|suggestion|recommendation) (?:is|would be|was)\b"
    # asked of the family: "we'd normally ask for ten minutes a night, you and her"
    r"|\b(?:i|we)(?:'d| would)(?: normally| usually| generally| also)? (?:ask|want|expect) "
    r"(?:you|for|that|parents|families)\b")


def _last_request(previous, parent_side, rs, speaker_id=None, second_opinion=True):
    """What an utterance answers: the parent's side's question or request, or the school's or a service's question
    or proposal (the previous utterance's last one, said by someone else; with ``second_opinion``, one the learned
    reader reads as an offer too)."""
    answering_school = previous.speaker_id not in parent_side
    if previous.speaker_id is None:
        return None
    spans = sentences(previous.text or "")
    for i in range(len(spans) - 1, -1, -1):
        a, b = spans[i]
        sentence = previous.text[a:b]
        norm = normalise(sentence)
        asked = match_kinds(norm, rs, set() if answering_school else {"parent_side"})
        if sentence.rstrip().endswith("?") and (not (answering_school and speaker_id not in parent_side)
                                                or _PUT_TO_MEETING.search(norm) or _MAY_I.match(norm)):
            if i and len(norm.split()) <= 3 and previous.text[:a].rstrip().endswith("?"):
                # "Can't the school just give her a reader? On the day?": the question with its afterthought
                a, sentence = spans[i - 1][0], previous.text[spans[i - 1][0]:b]
                norm = normalise(sentence)
            # the school's "yes" to another professional's question is an answer; to a proposal, agreement
            return None if _procedural(norm) else sentence.strip()
        if asked.get("offer" if answering_school else "request") or answering_school and second_opinion and \
                learned.says("offer", norm):
            # (an offer in words no rule reads: "but I could join on Teams?")
            return sentence.strip()
    return None


# another professional asking leave: "Can I join by phone again?", "Could I send it straight to the panel?" (a
# "yes" to it agrees; "Can I add something?" runs the meeting: _PROCEDURAL_QUESTION)
_MAY_I = re.compile(r"^(?:(?:and|so|um|uh|sorry|oh),? )*(?:can|could|may) (?:i|we) (?:just |also )?(?:join|come|send|"
                    r"bring|sit|stay|record|share|copy|ring|call|email|pop|drop)\b")


def continues_action(clause_norm):
    """True when a subject-less clause goes on with an action ("…, and send the information by…")."""
    return re.match(rf"^(?:also |then )?(?:{_CONTINUATION})\b", clause_norm) is not None


def kind_label(kind, jurisdiction):
    return ruleset(jurisdiction)["kinds"].get(kind, {}).get("label", kind)


def marker_kind(kind, jurisdiction):
    """The timeline marker a finding of this kind becomes when the parent confirms it."""
    return ruleset(jurisdiction)["kinds"].get(kind, {}).get("marker", "note")
