"""Day first (en-gb): 20/12/1961, Saturday 20 December 1961. Dots and dashes are read
too (20.12.1961, 20-12-1961), as written in much of Europe."""

DATE_FORMAT = "l j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
MONTH_DAY_FORMAT = "D j M"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"]
