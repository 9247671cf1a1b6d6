"""Where every file made from a student's words lives, and who removes them: their
recordings (kept for the teacher's review) and speech rendered from their words
(read-backs, the meeting script). Recordings are saved and deleted only here; the
speech is rendered by ``speech.tts.Speaker`` into ``speech_cache()`` and deleted
here with the rest (a student deleted, a draft approved). The one exception: the
meeting script's audio, rendered for one download, is removed by the review app
as soon as it is read.

    <data>/audio/student-<id>/*.wav    recordings of answers, named uniquely
    <data>/speech/student-<id>/*.wav   speech made from the student's words (a cache)

Paths stored in the database are relative to the data folder, so a moved or
restored folder keeps its recordings; a path that leads outside it is never used.
"""

from __future__ import annotations

import io
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from assistant import paths


def resolve(data_dir: Path, stored: str | None) -> Path | None:
    """The file a stored recording path names, if it is a file inside the data
    folder's recordings (an absolute path from an older database counts when it
    is inside); anything else, ``..`` and links out included, is None."""
    if not stored:
        return None
    root = os.path.realpath(Path(data_dir) / "audio") + os.sep
    real = os.path.realpath(Path(data_dir) / stored)  # an absolute ``stored`` replaces data_dir
    return Path(real) if real.startswith(root) and os.path.isfile(real) else None


class StudentFiles:
    def __init__(self, data_dir: Path, student_id: int):
        self.data_dir = Path(data_dir)
        self.student_id = student_id
        self.recordings = self.data_dir / "audio" / f"student-{student_id}"
        self.speech = self.data_dir / "speech" / f"student-{student_id}"

    def save_recording(self, pcm: np.ndarray, rate: int = 16000) -> str:
        """Write an answer's recording (0600, atomically); returns its stored path."""
        from assistant.audio.wav import write_wav

        paths.private_dir(self.recordings)
        buf = io.BytesIO()
        write_wav(buf, pcm, rate)
        # a name no other session or run can have: recordings are never overwritten
        path = self.recordings / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.wav"
        paths.write_private(path, buf.getvalue())
        return str(path.relative_to(self.data_dir))

    def speech_cache(self) -> Path:
        return paths.private_dir(self.speech)

    def delete_recordings(self) -> int:
        """Delete every recording of this student; returns how many there were."""
        count = sum(1 for _ in self.recordings.rglob("*.wav")) if self.recordings.exists() else 0
        shutil.rmtree(self.recordings, ignore_errors=True)
        return count

    def delete_speech(self) -> None:
        shutil.rmtree(self.speech, ignore_errors=True)

    def delete_all(self) -> None:
        self.delete_recordings()
        self.delete_speech()
