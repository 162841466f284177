"""Text on its way to speech: scripts and their placeholders, SSML, normalisation (numbers,
dates, money as words), pronunciation lexicons, and the one sentence splitter."""
