"""Speech in and out: text-to-speech, recognition and end-pointing."""
