"""The counter workspace and the auditors' review; ID numbers travel in POST bodies and the session,
never in URLs."""
