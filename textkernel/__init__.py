"""The text kernel: pure functions on article text (normalising, hashing, paragraphs, UTF-16
offsets, quote context and quote finding, cleaning user text, parsing parameters).

It imports nothing from the project and nothing from Django, so every app can use it and it can
be tested without a database.
"""
