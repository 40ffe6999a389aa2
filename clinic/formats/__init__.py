"""Date formats per clinic locale (settings.FORMAT_MODULE_PATH), ahead of Django's own:
each names the same order for reading (DATE_INPUT_FORMATS, the first one also how a
form shows a date) and for showing (SHORT_DATE_FORMAT, DATE_FORMAT, MONTH_DAY_FORMAT).
Times stay on the 24-hour clock everywhere. ISO 8601 (2025-04-03) is read in every
locale, so an unambiguous date is never refused."""
