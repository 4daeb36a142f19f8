"""Vietnamese date formats: "24 tháng 11 năm 2026", so sentences can say "ngày ..." themselves."""

DATE_FORMAT = r"j \t\h\á\n\g n \n\ă\m Y"
DATETIME_FORMAT = r"H:i, j \t\h\á\n\g n \n\ă\m Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."

# What the admin reads from a date field: day first, as the site prints dates ("06/01/2027"
# is 6 January), or ISO. The first entry is also what the admin's date widget writes.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M:%S.%f", "%H:%M"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
]
