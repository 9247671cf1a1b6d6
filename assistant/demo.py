"""`iep-assistant demo`: a whole session with a simulated 10th grader who answers
aloud through the real pipeline: synthesized answer audio, end-pointing,
recognition, read-back and confirmation. Then the draft.

Sam decides what to say from what Sam heard, like a student at the headset: the
question said last (found by a cue phrase in it) gets the next of Sam's answers
to it. A read-back ("I heard: ... Is that right?") is compared with what Sam said
(``same_words``): "yes" when it is what Sam said, else "no", and Sam says the
answer again, more slowly, when the question comes back: at most
``MAX_CORRECTIONS`` times per answer. Misheard once more after that, Sam says
"no" and then "skip": the draft must hold only what the student said, so Sam
leaves the answer to the teacher (who has the recordings) rather than accept
words Sam did not say; the demo's summary lists it. One answer is marked "<no>":
Sam changes their mind at its read-back and gives a fuller answer."""

from __future__ import annotations

import re

from assistant.evaluate import wer
from assistant.text import normalize_words

STUDENT = "Sam Rivera"
GRADE = 10
ACCOMMODATIONS = ["extended time", "read aloud", "preferential seating"]
PAST_GOALS = ["Sam will read grade-level texts with 80 percent comprehension"]

READ_BACK = "Is that right?"  # "I heard: ... Is that right?", and each part of the draft at the end
HEARD = "I heard: "  # the engine's read-back of one answer: f"I heard: {text}. Is that right?"
SAY_YES_OR_NO = "Please say yes or no"  # a yes/no that was not understood: the same question again
DID_YOU_MEAN = "Did you mean"  # a near-miss of a command: "Did you mean 'that's all'?"
TAKE_YOUR_TIME = "Take your time"  # nothing was heard: Sam says it again
MAX_CORRECTIONS = 2  # "no" to a misheard read-back of one answer at most this often

# What Sam says to each question (a phrase of it), in order. "<no>" after an answer:
# Sam says no when it is read back (a change of mind), and answers again.
ANSWERS: list[tuple[str, list[str]]] = [
    ("What are your strengths", ["I am good at fixing bikes and building things, and I am good at math"]),
    ("Any other strengths", ["that's all"]),
    ("What are your interests", ["I like music and cars", "<no>", "I like making music and working on cars"]),
    ("Any other interests", ["no"]),
    ("What gets in the way", ["repeat", "Reading long chapters is hard and I get nervous on tests"]),
    ("Anything else that is hard", ["that's all"]),
    ("How do you learn best", ["I learn best when the teacher shows me an example first"]),
    ("Anything else that helps you learn", ["no"]),
    ("lists extended time", ["yes it helps a lot"]),
    ("lists read aloud", ["no I never use it"]),
    ("lists preferential seating", ["not sure"]),
    ("support you do not have", ["I wish I could use audiobooks in English class"]),
    ("Any other support", ["no"]),
    ("last year's goals was", ["I got better but I still need help with long books"]),
    ("What is a goal you want", ["I want to write a full essay with an outline"]),
    ("How will we measure it", ["I don't know"]),
    ("By when do you want", ["by the end of the school year"]),
    ("What support do you need", ["graphic organizers and time with the writing teacher"]),
    ("draft another goal", ["no"]),
    ("After high school, do you want", ["skip"]),
    ("What kind of job", ["I want to be a mechanic"]),
    ("Where do you want to live", ["I want my own apartment so I need to learn budgeting"]),
    ("hear from you at the meeting", ["I want to lead my own meeting"]),
]


def same_words(said: str, heard: str) -> bool:
    """Whether ``heard`` is what was ``said``, as the student who said it would judge
    a read-back: the same words after ``text.normalize`` (case, punctuation, "Lego"
    or "lego", "80" or "eighty"), with the spaces between them ignored, so
    "audio books" is "audiobooks" and "every day" is "everyday" (the same sounds,
    written apart or together). A word missing, added or changed is a difference:
    "I like music" is not "I like the music"."""
    return "".join(normalize_words(said)) == "".join(normalize_words(heard))


def _quoted(line: str, after: str) -> str | None:
    """The text in quotes after ``after``: "Did you mean 'that's all'?" gives "that's all"
    (greedy to the last quote, since the phrase may hold an apostrophe)."""
    m = re.search(re.escape(after) + r"\s*['\"‘“](.*)['\"’”]", line)
    return m.group(1) if m else None


class DemoStudent:
    """Sam's answer policy: ``policy(heard)`` is what Sam says after hearing ``heard``
    (the lines said since Sam last spoke). ``again`` is how many times the line
    has been said before without being heard right (0 for a new line): the
    simulated student says it more slowly each time, as a misunderstood student does."""

    def __init__(self) -> None:
        self.queue = {cue: list(answers) for cue, answers in ANSWERS}
        self.last = "that's all"  # what Sam said last (said again after "Take your time")
        self.answer = "that's all"  # what Sam said last to a question (not to a read-back)
        self.change_mind = False  # a "no" owed to the next read-back ("<no>")
        self.owed: str | None = None  # what to say when the question comes back after a "no"
        self.tries = 0  # times the current answer was said again after a mishearing
        self.again = 0
        self.read_backs: list[tuple[str, str]] = []  # (what Sam said, what was read back), each read-back once
        self.first_hearings: list[tuple[str, str]] = []  # the read-backs of answers said the first time
        self.corrected: list[tuple[str, str]] = []  # misheard read-backs Sam said "no" to
        self.changed_mind = 0
        self.skipped: list[str] = []  # answers still misheard after MAX_CORRECTIONS: skipped

    def __call__(self, heard: list[str]) -> str:
        not_heard = not heard or heard[-1].startswith(TAKE_YOUR_TIME)
        said = self._reply(heard)
        if not not_heard:  # said again after silence: as slowly as before
            self.again = self.tries if said == self.answer else 0
        self.last = said
        return said

    def _reply(self, heard: list[str]) -> str:
        if not heard or heard[-1].startswith(TAKE_YOUR_TIME):
            return self.last  # not heard: the same again, as it was said
        shown = " ".join(heard)
        # the question is the cue said last (a read-back ends with its question)
        cue = max([READ_BACK, DID_YOU_MEAN, *self.queue], key=shown.rfind)
        if shown.rfind(cue) < 0:
            return self._to_question("that's all")
        if cue == DID_YOU_MEAN:  # a near-miss of a command, checked before it is taken
            meant = _quoted(shown[shown.rfind(cue):], cue)
            if meant is not None and same_words(self.last, meant):  # the line it follows, answer or yes/no
                return "yes"
            if self.last == self.answer:
                self.owed = self.answer  # said again when the question comes back
            return "no"
        if cue == READ_BACK:
            return self._read_back(shown)
        if self.owed is not None:  # asked again after a "no"
            said, self.owed = self.owed, None
            if said == "skip":
                return self._to_question(said)
            self.tries += 1
            self.answer = said
            return said
        said = self.queue[cue].pop(0) if self.queue[cue] else "that's all"
        if self.queue[cue] and self.queue[cue][0] == "<no>":
            self.queue[cue].pop(0)
            self.change_mind = True
        return self._to_question(said)

    def _to_question(self, said: str) -> str:
        self.answer, self.tries = said, 0
        return said

    def _read_back(self, shown: str) -> str:
        start = shown.rfind(HEARD)
        if start < 0 or shown.rfind(READ_BACK) < start:
            return "yes"  # a part of the draft at the end: its answers were each confirmed already
        heard = shown[start + len(HEARD): shown.rfind(READ_BACK)].strip().removesuffix(".")
        first = SAY_YES_OR_NO not in shown[max(0, start - 40): start]  # not the same read-back asked again
        if first:
            self.read_backs.append((self.answer, heard))
            if self.tries == 0:
                self.first_hearings.append((self.answer, heard))
        if self.change_mind:
            if first:
                self.changed_mind += 1
            self.change_mind = False
            return "no"
        if same_words(self.answer, heard):
            return "yes"
        if first:
            self.corrected.append((self.answer, heard))
            if self.tries >= MAX_CORRECTIONS:
                self.skipped.append(self.answer)
        self.owed = "skip" if self.tries >= MAX_CORRECTIONS else self.answer
        return "no"

    def summary(self) -> str:
        """How the read-backs went, for the end of the demo."""
        n = len(self.read_backs)
        fixed = len(self.corrected) + self.changed_mind
        lines = [f"{STUDENT.split()[0]} corrected {fixed} of {n} read-back{'s' * (n != 1)}: "
                 f"{len(self.corrected)} misheard, {self.changed_mind} a change of mind."]
        if self.first_hearings:  # the recognizer's own accuracy, before any correction
            said, heard = zip(*self.first_hearings, strict=True)
            wrong = sum(not same_words(s, h) for s, h in self.first_hearings)
            lines.append(f"First hearing of {len(said)} answers: WER {wer(list(said), list(heard)):.3f}, "
                         f"{wrong} not as said (spacing aside).")
        lines += [f'  said "{s}", heard "{h}"' for s, h in self.corrected]
        lines += [f'  skipped after {MAX_CORRECTIONS} corrections did not help: "{s}"' for s in self.skipped]
        return "\n".join(lines)


def demo_policy() -> DemoStudent:
    """Sam, a new ``DemoStudent``: ``policy(heard)`` is what Sam says after hearing ``heard``."""
    return DemoStudent()
