"""`iep-assistant demo`: a whole session with a simulated 10th grader who answers
aloud (espeak-ng) through the real pipeline: synthesized answer audio,
end-pointing, recognition, read-back and confirmation. Then the draft.

Sam decides what to say from what Sam heard, like a student at the headset: the
question said last (found by a cue phrase in it) gets the next of Sam's answers
to it; a read-back gets "yes", or "no" when Sam's answer was marked "<no>"."""

from __future__ import annotations

STUDENT = "Sam Rivera"
GRADE = 10
ACCOMMODATIONS = ["extended time", "read aloud", "preferential seating"]
PAST_GOALS = ["Sam will read grade-level texts with 80 percent comprehension"]

READ_BACK = "Is that right?"  # "I heard: ... Is that right?", and each part of the draft at the end
TRY_AGAIN = "let's try again"  # after a "no" to a read-back, the question is asked again
TAKE_YOUR_TIME = "Take your time"  # nothing was heard: Sam says it again

# What Sam says to each question (a phrase of it), in order. "<no>" after an answer:
# Sam says no when it is read back, and answers again.
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


def demo_policy():
    """Sam: ``policy(heard)`` is what Sam says after hearing ``heard`` (the lines
    said since Sam last spoke)."""
    queue = {cue: list(answers) for cue, answers in ANSWERS}
    state = {"no": False, "last": "that's all"}  # a "no" owed to a read-back; what Sam said last

    def policy(heard: list[str]) -> str:
        if not heard:
            return state["last"]
        if heard[-1].startswith(TAKE_YOUR_TIME):
            return state["last"]  # not heard: the same again
        shown = " ".join(heard)
        if TRY_AGAIN in shown:
            state["no"] = False
        # the question is the cue said last (a read-back ends with its question)
        cue = max([READ_BACK, *queue], key=shown.rfind)
        if shown.rfind(cue) < 0:
            said = "that's all"
        elif cue == READ_BACK:
            said = "no" if state["no"] else "yes"
        else:
            said = queue[cue].pop(0) if queue[cue] else "that's all"
            if queue[cue] and queue[cue][0] == "<no>":
                queue[cue].pop(0)
                state["no"] = True
        state["last"] = said
        return said

    return policy
