"""Chinese date formats: Django's, except that tables keep the compact numeric
form offices use (2011-06-30, 2011-06-30 15:04); DATE_FORMAT (2011年6月30日) is
for prose. English pages get Django's own English formats."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
