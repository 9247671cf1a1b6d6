"""A whole spoken session on (virtual) audio devices: the app speaks each prompt
to the virtual speaker; a simulated student waits until the app has finished
speaking and is listening, then answers aloud into the virtual microphone, in a
natural voice (Piper's, pitch-raised: Kim is in grade 2), since the student is
meant to be understood. Recognition, end-pointing, read-back and storage are all
real."""

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict

import pytest

from assistant.audio.level import dbfs, trim_leading_silence
from assistant.audio.wav import read_wav, write_wav
from assistant.evaluate import cer
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # a whole spoken session on virtual audio devices (minutes)

SCRIPT = {
    "What are you good at? Drawing": ["repeat", "I am good at drawing", "I am good at building things"],
    "What else are you good at": ["I like to swim"],
    "Anything else you are good at": ["that's all"],
    "What do you like to do most": ["play games"],
    "What is hard for you at school": ["skip"],
    "How do you learn best": ["when someone shows me"],
    "you can get breaks": ["yes it helps"],
    "something that would help you at school": ["I don't know"],
    "get better at this year": ["I want to read big books"],
    "teachers to know about you": ["I like it when you help me"],
    "Is that right?": [],  # read-backs: yes, except once
}
REJECT = "I am good at drawing"  # the student says "no" when this is read back
# A read-back of something else than the student said (tiny.en once wrote the
# child-like voice's "skip" as "F", and the student confirmed it): the student says
# "no" and says it again, as a real student does, at most this often per answer. The
# comparison is a student's, not a spelling test: contractions are the same words,
# and a few letters may differ (CER), so a read-back that is right is never refused
# again and again.
MAX_CORRECTIONS = 2
MAX_CER = 0.3
HEARD = re.compile(r"I heard: (.*?)\. Is that right\?")
CONTRACTIONS = {"i'm": "i am", "that's": "that is", "don't": "do not", "it's": "it is"}


def same(said: str, heard: str) -> bool:
    """Whether a read-back is what the student said, as the student would judge it."""
    def words(text: str) -> str:
        return " ".join(CONTRACTIONS.get(w, w) for w in re.sub(r"[^\w' ]", " ", text.lower()).split())
    return cer([words(said)], [words(heard)]) <= MAX_CER


VOICE = "piper-joe-child-like"  # a child-like copy of a natural voice, for a second grader


class SimulatedStudent:
    def __init__(self, pulse, speech):
        self.pulse, self.speech = pulse, speech  # speech: the natural_speech fixture
        self.queues = defaultdict(list, {k: list(v) for k, v in SCRIPT.items()})
        self.last: dict[str, str] = {}
        self.previous = ""
        self.again: str | None = None  # the answer to say again after a "no" to a misheard read-back
        self.corrections: dict[str, int] = defaultdict(int)
        self.said: list[str] = []

    def reply(self, shown: str) -> str:
        cue = max(SCRIPT, key=lambda c: shown.rfind(c))
        assert shown.rfind(cue) >= 0, f"the student does not know what to say to: {shown}"
        if cue == "Is that right?":
            heard = HEARD.findall(shown)
            if self.previous == REJECT:
                answer = "no"
            elif (heard and not same(self.previous, heard[-1])
                  and self.corrections[self.previous] < MAX_CORRECTIONS):
                self.corrections[self.previous] += 1
                self.again, answer = self.previous, "no"
                return answer  # self.previous stays what the student means
            else:
                answer = "yes"
        elif self.again is not None:
            answer, self.again = self.again, None
        else:
            answer = self.queues[cue].pop(0) if self.queues[cue] else self.last[cue]
            self.last[cue] = answer
        self.previous = answer
        return answer

    def say(self, answer: str) -> None:
        self.said.append(answer)
        time.sleep(0.3)  # a student who waits a moment before answering
        self.pulse.play_into_mic(self.speech(answer, VOICE))


def test_spoken_session_through_virtual_devices(cli, pulse, natural_speech, tmp_path):
    data = tmp_path / "data"
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(data))
    assert cli("student", "add", "Kim", "--grade", "2", "--accommodation", "breaks", env=env).returncode == 0
    errors = open(tmp_path / "stderr.txt", "w+")
    student = SimulatedStudent(pulse, natural_speech)
    shown, everything = "", ""
    # the watcher (a parec process) and the session end with the test, even when it fails midway
    with pulse.watch("speaker.monitor", keep=True) as speaker:  # everything the student hears
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "session", "--student", "Kim", "--input-device",
                                 "pulse", "--output-device", "pulse", "--rate", "220"], stdout=subprocess.PIPE,
                                stderr=errors, text=True, env=env, cwd=ROOT)
        try:
            started = time.monotonic()
            assert proc.stdout is not None
            for line in proc.stdout:
                shown += line
                everything += line
                if "(listening)" in line:  # the prompt has been spoken; the app listens now
                    student.say(student.reply(" ".join(shown.split())))
                    shown = ""
                assert time.monotonic() - started < 900, "the session took too long"
            code = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            (tmp_path / "shown.txt").write_text(everything)  # what the student saw, for a failure's reader
        speaker.wait_for_quiet(0.5, timeout=10)  # the goodbye has been recorded to its end
        speaker_recording = write_wav(tmp_path / "speaker.wav", speaker.samples(), 16000)
    errors.seek(0)
    err = errors.read()
    assert code == 0, err
    assert "finished" in err, err + everything

    # the voice commands did what they say
    first_q = "What are you good at? Drawing"
    assert everything.count(first_q) >= 3  # asked, said again for "repeat", asked again after "no"
    assert "Okay, let's try again" in everything  # the "no" to a read-back
    assert "we will skip that one" in everything
    assert "ask your teacher" in everything  # "I don't know"

    d = json.loads(cli("export", "--student", "Kim", "--format", "json", env=env).stdout)
    strengths = [(i["text"].rstrip("."), i["label"]) for i in d["strengths"]]
    # the confirmed answer (the student confirms whatever is read back, so a misheard "good at" would pass here)
    assert any("building things" in t and label == "motor" for t, label in strengths), strengths
    assert not any("drawing" in t.lower() for t, _ in strengths)  # rejected at the read-back
    assert len(d["strengths"]) == 2  # "that's all" ended the list
    assert d["challenges"] == []  # skipped
    assert [q["question"] for q in d["open_questions"]] == ["Is there something that would help you at school?"]
    assert [i["accommodation"] for i in d["accommodations"]["helpful"]] == ["breaks"]
    assert d["goals"][0]["area"] == "reading"

    db = sqlite3.connect(data / "iep.sqlite3")
    assert not db.execute("SELECT 1 FROM answers WHERE lower(text) LIKE '%repeat%'").fetchall()  # commands are not answers
    attempts = db.execute("SELECT text, confirmed, audio_path, words FROM answers WHERE step='good_at_choice'").fetchall()
    # the rejected attempt is kept, not confirmed (so is any misheard one the student said no to)
    assert [a[1] for a in attempts].count(1) == 1 and attempts[-1][1] == 1 and len(attempts) >= 2, attempts
    assert any("drawing" in a[0].lower() and a[1] == 0 for a in attempts), attempts
    for _, _, audio, words in attempts:
        assert read_wav(data / audio).seconds > 1  # stored relative to the data folder
        times = [w["start"] for w in json.loads(words)]
        assert times and times == sorted(times)

    # the prompts really went out on the speaker, and are intelligible
    heard = read_wav(speaker_recording)
    assert heard.seconds > 30 and dbfs(heard.samples) > -45
    # the first 12 s of sound: on a loaded machine the program takes seconds to start speaking
    spoken = trim_leading_silence(heard.samples, heard.rate, threshold_db=-45.0, keep=0.2)
    opening = write_wav(tmp_path / "opening.wav", spoken[: heard.rate * 12], heard.rate)
    r = cli("transcribe", opening)
    assert "questions" in r.stdout.lower() or "school" in r.stdout.lower(), r.stdout
