"""`iep-assistant demo`: a whole session with a simulated 10th grader who answers
aloud (espeak-ng) through the real pipeline: synthesized answer audio,
end-pointing, recognition, read-back and confirmation. Then the draft."""

from __future__ import annotations

from collections import defaultdict

from assistant.dialogue.engine import DialogueEngine

STUDENT = "Sam Rivera"
GRADE = 10
ACCOMMODATIONS = ["extended time", "read aloud", "preferential seating"]
PAST_GOALS = ["Sam will read grade-level texts with 80 percent comprehension"]

# What Sam says to each question, in order. "<no>" answers a read-back with no.
ANSWERS: dict[str, list[str]] = {
    "strengths": ["I am good at fixing bikes and building things, and I am good at math"],
    "strengths+1": ["that's all"],
    "interests": ["I like music and cars", "<no>", "I like making music and working on cars"],
    "interests+1": ["no"],
    "challenges": ["repeat", "Reading long chapters is hard and I get nervous on tests"],
    "challenges+1": ["that's all"],
    "learn_best": ["I learn best when the teacher shows me an example first"],
    "learn_best+1": ["no"],
    "accommodation_check:extended time": ["yes it helps a lot"],
    "accommodation_check:read aloud": ["no I never use it"],
    "accommodation_check:preferential seating": ["not sure"],
    "wish": ["I wish I could use audiobooks in English class"],
    "wish+1": ["no"],
    "past_goal": ["I got better but I still need help with long books"],
    "goal_what": ["I want to write a full essay with an outline"],
    "goal_measure": ["I don't know"],
    "goal_when": ["by the end of the school year"],
    "goal_help": ["graphic organizers and time with the writing teacher"],
    "goals:again@2": ["no"],
    "after_school_education": ["skip"],
    "after_school_job": ["I want to be a mechanic"],
    "after_school_living": ["I want my own apartment so I need to learn budgeting"],
    "message": ["I want to lead my own meeting"],
}


def demo_policy():
    """Sam's answers, keyed by the question being asked."""
    queue: dict[str, list[str]] = defaultdict(list, {k: list(v) for k, v in ANSWERS.items()})
    pending_no: set[str] = set()

    def policy(engine: DialogueEngine, expect: str) -> str:
        if engine.phase == "review":
            return "yes"
        key = engine.current.key.split(":")[0] if engine.current.key.startswith("past_goal") else engine.current.key
        if engine.phase == "confirm":
            if key in pending_no:
                pending_no.discard(key)
                return "no"
            return "yes"
        said = queue[key].pop(0) if queue[key] else "that's all"
        if queue[key] and queue[key][0] == "<no>":
            queue[key].pop(0)
            pending_no.add(key)
        return said

    return policy
