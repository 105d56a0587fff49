# "1 thg 12, 2026", "1 thg 12, 2026 14:05": how Vietnamese writes a short date, with the month
# named ("thg 12"), so it cannot be read as a day.
DATE_FORMAT = r"j \t\h\g n, Y"
SHORT_DATE_FORMAT = r"j \t\h\g n, Y"
DATETIME_FORMAT = r"j \t\h\g n, Y H:i"
SHORT_DATETIME_FORMAT = r"j \t\h\g n, Y H:i"
