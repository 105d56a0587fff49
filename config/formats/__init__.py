"""Date formats that no reader can misread (FORMAT_MODULE_PATH): the month is a word, never a
number that could be the day ("12/01/2026" is 1 December in English and 12 January to a
Vietnamese reader). Django's own formats cover everything not set here."""
