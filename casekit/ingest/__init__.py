"""Importing agency spreadsheets: agency merges, Annex A and case-management extracts.

All three open files, find header rows and match headers through :mod:`casekit.ingest.grid`,
and the Annex A and extract imports report what they could not place in one
:class:`casekit.ingest.matching.Matching`.
"""
