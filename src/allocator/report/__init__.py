"""Reports for people: the Excel workbook an adviser reads and prints (and plots, lazily).

:func:`write_report` writes the workbook (:mod:`allocator.report.workbook`); a sheet of
one's own is added with ``write_report(..., extra_sheets=[writer])``, where ``writer(report)``
calls ``report.add_sheet(name)`` and fills it (:class:`Report`).
"""

from allocator.report.context import Report, ReportData, SheetWriter
from allocator.report.layout import (
    DIFFERS_FILL,
    FUNDED_FILL,
    INELIGIBLE_FILL,
    PARTLY_FILL,
    STATE_AID_FILL,
    Col,
    write_table,
)
from allocator.report.workbook import SHEETS, write_report

__all__ = [
    "DIFFERS_FILL",
    "FUNDED_FILL",
    "INELIGIBLE_FILL",
    "PARTLY_FILL",
    "SHEETS",
    "STATE_AID_FILL",
    "Col",
    "Report",
    "ReportData",
    "SheetWriter",
    "write_report",
    "write_table",
]
