"""Date and number formats for Urdu pages: day, Urdu month name, year; lakh/crore digit grouping."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "j F Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
# 1,00,00,000: groups of three, then two (lakh, crore), as Urdu writing in Pakistan groups them.
NUMBER_GROUPING = (3, 2, 0)
