"""Vietnamese date formats: "24 tháng 11 năm 2026", so sentences can say "ngày ..." themselves."""

DATE_FORMAT = r"j \t\h\á\n\g n \n\ă\m Y"
DATETIME_FORMAT = r"H:i, j \t\h\á\n\g n \n\ă\m Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
