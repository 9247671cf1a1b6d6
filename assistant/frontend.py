"""The student's side of any spoken or typed conversation: the IEP session, a
lesson, a rehearsal, a goal check-in. Each command adds the same options
(``add_talk_args``) and opens the same voice and ears (``talking``): the speaker
with the student's voice and rate, the microphone and recognizer (or typed
answers), and the student's page when there is a screen for it. What is said is
then the command's own (a ``DialogueEngine``, or a ``Conversation``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.dialogue.voice import Ears
    from assistant.screen.server import StudentScreen
    from assistant.session import Screen, SpokenVoice
    from assistant.speech.tts import Speaker
    from assistant.store import Store, Student

ENGINES = ["auto", "vosk", "whisper"]

# seconds a conversation waits for its page to open before it speaks (a browser starting on a
# school computer; the launcher of a kiosk); then it goes on without
PAGE_WAIT = 15.0


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def active_student(store: Store, ref: str) -> Student:
    """The student a conversation is with. An archived student is kept with all they
    said, but nobody talks to them until a teacher brings them back."""
    from assistant.errors import UserError

    student = store.roster.find(ref)
    if student.archived:
        raise UserError(f"{student.label} is archived: a teacher can bring them back in the review app, or with "
                        f"iep-assistant student edit '{student.label}' --unarchive")
    return student


def add_talk_args(p: argparse.ArgumentParser) -> None:
    """The options of every command a student talks to: who, typed or spoken, which
    devices, voice and rate, the screen, the data folder."""
    p.add_argument("--student", required=True, help="the student's name (NAME#ID when two share a name)")
    p.add_argument("--text", action="store_true", help="typed answers on standard input instead of the microphone")
    p.add_argument("--no-voice", action="store_true", help="do not speak the prompts (text only)")
    p.add_argument("--input-device")
    p.add_argument("--output-device")
    p.add_argument("--engine", choices=ENGINES, default="auto")
    p.add_argument("--model")
    p.add_argument("--rate", type=int, help="speech rate in words per minute (default: the student's, or 165)")
    p.add_argument("--voice")
    p.add_argument("--data-dir")
    p.add_argument("--screen", choices=["browser", "terminal", "auto"], default="auto",
                   help="where the student reads: a page in a browser, or the terminal (default: auto: the browser "
                        "when there is a graphical display)")
    p.add_argument("--no-open", action="store_true",
                   help="with the browser screen: open nothing, print the page's address on standard error")
    p.add_argument("--kiosk", action="store_true", help="open the student's page full screen (chromium --kiosk)")


@dataclass
class Talk:
    """An open conversation with a student. ``ending`` is what the page shows at the
    end ("finished" or "paused"): the command sets it before the ``with`` ends."""

    voice: SpokenVoice
    ears: Ears
    speaker: Speaker | None
    page: StudentScreen | None
    ending: str = "paused"


@contextmanager
def talking(args: Any, store: Store, student: Student) -> Iterator[Talk]:
    """The student's voice and ears for one conversation, closed (speaker, page,
    recognizer) however it ends."""
    from assistant.recordings import StudentFiles
    from assistant.session import ListeningEars, Screen, SpokenVoice, TypedEars
    from assistant.speech.tts import DEFAULT_RATE, Speaker

    recognizer = None
    page: StudentScreen | None = None
    speaker: Speaker | None = None
    factory: Callable[[Screen, SpokenVoice], Ears]
    browser = wants_browser(args)
    if args.text and browser:
        from assistant.screen.ears import PageEars

        # answers and buttons come from the page, not from standard input
        factory = lambda screen, voice: PageEars(page.page, page.hub)  # type: ignore[union-attr]  # noqa: E731
    elif args.text:
        factory = lambda screen, voice: TypedEars(sys.stdin, screen)  # noqa: E731
    else:
        from assistant.audio.devices import resolve
        from assistant.models import choose_model
        from assistant.speech.asr import BackgroundRecognizer

        # the model loads while the first prompt is spoken (about 0.7 s sooner to the first sound)
        recognizer = BackgroundRecognizer(choose_model(args.engine, args.model, student.language))
        device = resolve(args.input_device, "input")
        # by name, not number: if the microphone is lost, the list of devices is read
        # again and numbers can change; with no --input-device, whichever input is the
        # default (then and after a loss) is used. What the student must know about a
        # lost microphone is said aloud as well as shown.
        name = device.name if args.input_device not in (None, "") else None

        def factory(screen: Screen, voice: SpokenVoice) -> Ears:
            if page is None:
                return ListeningEars(recognizer, screen, name, notify=voice.notify, language=student.language)
            from assistant.screen.ears import PageAndMicrophoneEars

            # the microphone and the page together: a press on the page stops the listening at once
            ears = ListeningEars(recognizer, screen, name, notify=voice.notify, hub=page.hub, cancel=page.page.pending,
                                 problem=voice.problem, language=student.language)
            return PageAndMicrophoneEars(ears, page.page, page.hub)
    talk: Talk | None = None
    try:
        screen = Screen()
        rate = args.rate or student.rate or DEFAULT_RATE
        # the natural voice loads on a thread of its own while the first prompt (if cached) plays
        speaker = None if args.no_voice else Speaker(voice=args.voice or student.voice, rate=rate,
                                                     output_device=args.output_device, language=student.language,
                                                     private_cache=StudentFiles(store.dir, student.id).speech_cache(),
                                                     preload=True)
        if browser:  # the student's page, started before anything is said: it needs the speaker (voice settings)
            from assistant.screen.server import StudentScreen

            page = StudentScreen(store.dir, student, speaker).start()
            _err(f"student screen: {page.url}")
            if not args.no_open:
                open_page(page.url, args.kiosk)
        # what the voice and ears say of their own (a lost microphone) is in the student's language
        voice = SpokenVoice(screen, speaker, hub=page.hub if page is not None else None, language=student.language)
        if page is not None:
            page.voice = voice
        talk = Talk(voice, factory(screen, voice), speaker, page)
        if page is not None and not page.wait_for_page(PAGE_WAIT):
            _err(f"the student's page did not open within {PAGE_WAIT:g} s; it goes on in the terminal too, "
                 "and the page shows it when it opens")
        yield talk
    finally:
        if speaker is not None:
            speaker.close()
        if page is not None:
            page.end(talk.ending if talk is not None else "paused")
            page.close()
        if recognizer is not None:
            recognizer.close()


def wants_browser(args: Any) -> bool:
    """``--screen``: browser, terminal, or auto (the browser when there is a graphical display)."""
    from assistant.paths import graphical_display

    return args.screen == "browser" or (args.screen == "auto" and graphical_display())


def open_page(url: str, kiosk: bool) -> None:
    """The student's page as an app window (chromium --app, or --kiosk: full screen),
    else in the default browser."""
    import shutil
    import subprocess
    import webbrowser

    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            # its own session: the window is the student's, not tied to this terminal
            subprocess.Popen([exe, "--kiosk", url] if kiosk else [exe, f"--app={url}"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            return
    if not webbrowser.open(url):
        _err(f"could not open a browser: open {url} on this computer")
