"""Month first (en-us): 12/20/1961, Saturday, December 20, 1961. A date with dots
(20.12.1961) is read day first, as it is only ever written."""

DATE_FORMAT = "l, F j, Y"
SHORT_DATE_FORMAT = "m/d/Y"
MONTH_DAY_FORMAT = "D, M j"
DATETIME_FORMAT = "F j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"]
