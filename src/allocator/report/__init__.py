"""Reports for people: the Excel workbook an adviser opens (plots come later, lazily)."""

from allocator.report.excel import write_report

__all__ = ["write_report"]
