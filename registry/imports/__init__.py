"""Bulk import of operators, filings and cameras from .xlsx and .csv sheets.

Templates have a Chinese header row and an English field-name row (either row alone also works;
columns may be in any order; unknown columns are ignored and reported). A file is imported
all-or-nothing by default: one bad cell refuses the whole file, and the error file — the same sheet
with an added 错误/errors column, bad cells highlighted in .xlsx — says what is wrong in each cell.
With ``valid_only`` the good rows are stored and the error file lists the rest.

Re-importing the same file creates no duplicates; a row that matches a stored record is reported as
``present`` (identical) or ``differs`` (listing the columns that differ) and nothing is updated:

* operators: by 统一社会信用代码 (uscc);
* filings: by 备案编号 (number) when given, else by (operator's uscc, 系统名称, 投入使用日期);
* cameras: within their filing, by 序列号 + MAC地址 when a serial is given, else by 摄像机名称;
  only active cameras are matched (a removed camera's code is never revived).

Two rows of one file with the same key are an error on the second. Cameras on a filed filing get
their codes at import (officers of its filing unit only); on an open filing they wait for filing.
"""
